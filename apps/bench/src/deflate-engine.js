// permessage-deflate engine benchmark: Strata's engine vs ws's PerMessageDeflate, same run.
//
//   npx turbo run build && node --expose-gc apps/bench/src/deflate-engine.js [--seconds 3] [--rounds 3]
//        [--only "strata,strata dedicated"] [--no-memory] [--instances 1000]
//
// 1. Throughput: the server side of a compressed echo. 10 connections, 10 messages in flight
//    each; the client offered client_no_context_takeover (as in the echo benchmark). Messages
//    are 16 KiB JSON texts (64 different ones, cycled): the server inflates the client's
//    compressed message and deflates its reply. Reported: messages/s (inflate + deflate each),
//    process CPU time per message (all threads), and the ratios to ws. Implementations:
//    ws (defaults: level 6, server context takeover), ws at level 1, Strata's defaults
//    (pooled, server context takeover with a kept compressor from the process-wide budget,
//    level 6 adaptive), Strata with `level: 6` (fresh contexts), dedicated, all-sync.
// 2. Memory: 1,000 server-side extension instances with default options, each after one
//    message in and one out, kept alive. Each implementation runs in its own child process
//    (node --expose-gc) so neither pollutes the other; reported: RSS, external and
//    array-buffer growth per instance after GC.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, deflateRawSync } from 'node:zlib';
import {
  createPerMessageDeflate,
  PerMessageDeflateServer,
} from '@strata-ws/permessage-deflate/node';
import { jsonMessage } from './lib/json-message.js';

const require = createRequire(import.meta.url);
const wsDir = dirname(require.resolve('ws/package.json'));
const WsPerMessageDeflate = require(join(wsDir, 'lib/permessage-deflate.js'));
const wsExtension = require(join(wsDir, 'lib/extension.js'));

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const SECONDS = Number(arg('seconds', '3'));
const ROUNDS = Number(arg('rounds', '3'));
const CONNECTIONS = 10;
const IN_FLIGHT = 10;
const INSTANCES = Number(arg('instances', '1000'));

// 64 different documents (same shape, different values), cycled: identical messages would
// flatter context takeover (ws keeps its server context by default) far beyond real traffic.
const MESSAGES = Array.from({ length: 64 }, (_, i) => jsonMessage(16 * 1024, i + 1));
const MESSAGE = MESSAGES[0];
// What a client using no context takeover sends (zlib default level).
const CLIENT_ZS = MESSAGES.map((m) => {
  const z = deflateRawSync(m, { finishFlush: constants.Z_SYNC_FLUSH });
  return z.subarray(0, z.length - 4);
});
const CLIENT_OFFER = 'permessage-deflate; client_no_context_takeover; client_max_window_bits';

// ---- implementations: a server-side extension negotiated with CLIENT_OFFER ----

function wsServer(options = {}) {
  const ext = new WsPerMessageDeflate({ ...options, isServer: true, maxPayload: 64 * 1024 * 1024 });
  ext.accept(wsExtension.parse(CLIENT_OFFER)['permessage-deflate']);
  return {
    inflate: (data, cb) => ext.decompress(data, true, cb),
    deflate: (data, cb) => ext.compress(data, true, cb),
    threshold: options.threshold ?? 1024,
  };
}

const strataNegotiator = new PerMessageDeflateServer();
function strataServer(options = {}) {
  const offers = [
    [
      { name: 'client_no_context_takeover', value: null },
      { name: 'client_max_window_bits', value: null },
    ],
  ];
  const selection = strataNegotiator.select(offers);
  const ext = createPerMessageDeflate(selection.agreement, options);
  return {
    inflate: (data, cb) => ext.decode(data, true, 64 * 1024 * 1024, cb),
    deflate: (data, cb) => ext.encode(data, cb),
    ext,
  };
}

const IMPLEMENTATIONS = {
  ws: () => wsServer(),
  'ws level 1': () => wsServer({ zlibDeflateOptions: { level: 1 } }),
  strata: () => strataServer(),
  'strata level 6': () => strataServer({ level: 6 }),
  'strata dedicated': () => strataServer({ memoryMode: 'dedicated' }),
  'strata sync': () => strataServer({ syncLimit: 1 << 30 }),
};

// ---- throughput ----

function throughput(make, seconds) {
  return new Promise((resolve, reject) => {
    let done = 0;
    let stop = false;
    let active = 0;
    const start = performance.now();
    setTimeout(() => {
      stop = true;
    }, seconds * 1000);
    const cpu0 = process.cpuUsage();
    const finish = () => {
      if (active !== 0) return;
      const cpu = process.cpuUsage(cpu0);
      resolve({
        rate: (done * 1000) / (performance.now() - start),
        cpuPerMessage: (cpu.user + cpu.system) / done,
      });
    };
    // One connection as a server sees it: up to IN_FLIGHT client messages waiting; messages
    // are inflated one at a time (in order), each reply deflated one at a time (in order);
    // the two directions overlap. Every echoed reply lets the client send one more message.
    // Continuations go through setImmediate for every implementation alike, as socket
    // events would (and so that synchronous completions cannot recurse).
    const connection = () => {
      const conn = make();
      let waiting = IN_FLIGHT;
      let nextMessage = Math.floor(Math.random() * MESSAGES.length);
      let inflating = false;
      let deflating = false;
      const replies = [];
      const pump = () => {
        if (stop) {
          if (!inflating && !deflating) {
            active--;
            finish();
          }
          return;
        }
        if (!inflating && waiting > 0) {
          inflating = true;
          waiting--;
          const input = CLIENT_ZS[nextMessage++ % CLIENT_ZS.length];
          conn.inflate(input, (error, plain) => {
            inflating = false;
            if (error) return reject(error);
            if (plain.length !== 16 * 1024) return reject(new Error('bad inflate'));
            replies.push(plain);
            setImmediate(pump);
          });
        }
        if (!deflating && replies.length > 0) {
          deflating = true;
          conn.deflate(replies.shift(), (error, z) => {
            deflating = false;
            if (error) return reject(error);
            if (z.length === 0) return reject(new Error('bad deflate'));
            done++;
            waiting++;
            setImmediate(pump);
          });
        }
      };
      active++;
      pump();
    };
    for (let i = 0; i < CONNECTIONS; i++) connection();
  });
}

// ---- memory (child process) ----

async function memoryChild(name) {
  const make = IMPLEMENTATIONS[name];
  const keep = [];
  const before = process.memoryUsage();
  gc();
  const base = process.memoryUsage();
  for (let i = 0; i < INSTANCES; i++) {
    const conn = make();
    await new Promise((resolve, reject) =>
      conn.inflate(CLIENT_ZS[i % CLIENT_ZS.length], (error, plain) => {
        if (error) return reject(error);
        conn.deflate(plain, (error2) => (error2 ? reject(error2) : resolve()));
      }),
    );
    keep.push(conn);
  }
  // Let zlib streams settle, then collect garbage twice.
  await new Promise((r) => setTimeout(r, 200));
  gc();
  gc();
  const after = process.memoryUsage();
  const per = (k) => (after[k] - base[k]) / INSTANCES;
  process.stdout.write(
    JSON.stringify({
      name,
      rss: per('rss'),
      external: per('external'),
      arrayBuffers: per('arrayBuffers'),
      heap: per('heapUsed'),
      kept: keep.length,
      before: before.rss,
    }),
  );
}

function memory(name) {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', self, '--memory-child', name, '--instances', String(INSTANCES)],
    {
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`${name}: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

// ---- main ----

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

if (args.includes('--memory-child')) {
  await memoryChild(arg('memory-child'));
} else {
  const avg = Math.round(CLIENT_ZS.reduce((a, z) => a + z.length, 0) / CLIENT_ZS.length);
  console.log(
    `permessage-deflate engine, node ${process.version}, ${MESSAGES.length} different 16 KiB JSON messages, ${avg} B compressed on average (zlib level 6)`,
  );
  console.log(
    `throughput: ${CONNECTIONS} connections x ${IN_FLIGHT} in flight, server inflate + deflate per message, ${SECONDS}s per run, ${ROUNDS} rounds, median`,
  );
  const results = {};
  const cpu = {};
  const only = arg('only', '');
  const chosen = Object.entries(IMPLEMENTATIONS).filter(
    ([name]) => name === 'ws' || only === '' || only.split(',').includes(name),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, make] of chosen) {
      // Let the previous run's zlib work and garbage settle so it does not bill the next one.
      await new Promise((r) => setTimeout(r, 300));
      globalThis.gc?.();
      const r = await throughput(make, SECONDS);
      if (results[name] === undefined) {
        results[name] = [];
        cpu[name] = [];
      }
      results[name].push(r.rate);
      cpu[name].push(r.cpuPerMessage);
    }
  }
  // The machine may be shared: report the median of the rounds, wall clock and CPU time.
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ws = median(results.ws);
  const wsCpu = median(cpu.ws);
  for (const name of Object.keys(results)) {
    const rate = median(results[name]);
    const c = median(cpu[name]);
    console.log(
      `  ${name.padEnd(18)} ${Math.round(rate).toString().padStart(7)} msg/s  ${(rate / ws).toFixed(2)}x ws   ` +
        `CPU ${c.toFixed(0).padStart(4)} us/msg  ${(wsCpu / c).toFixed(2)}x ws efficiency   ` +
        `(rounds: ${results[name].map((x) => Math.round(x)).join(', ')})`,
    );
  }
  const sizes = {};
  for (const [name] of chosen) {
    const conn = IMPLEMENTATIONS[name]();
    sizes[name] = await new Promise((resolve) =>
      conn.deflate(MESSAGE, (_e, z) => resolve(z.length)),
    );
  }
  console.log(
    `  compressed reply size: ${Object.entries(sizes)
      .map(([n, s]) => `${n} ${s} B`)
      .join(', ')}`,
  );

  if (args.includes('--no-memory')) process.exit(0);
  console.log(
    `memory: ${INSTANCES} server-side instances, default options, one message in + one out each, after GC`,
  );
  const mem = {};
  for (const name of ['ws', 'strata', 'strata dedicated']) mem[name] = memory(name);
  for (const [name, m] of Object.entries(mem)) {
    console.log(
      `  ${name.padEnd(18)} RSS ${kb(m.rss).padStart(9)}/conn  external ${kb(m.external).padStart(9)}  heap ${kb(m.heap).padStart(8)}   RSS ${(m.rss / mem.ws.rss).toFixed(3)}x ws`,
    );
  }
}
