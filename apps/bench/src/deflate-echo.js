// Compressed echo benchmark: Strata's server vs ws's (+ bufferutil) and Bun's, all with
// permessage-deflate, INTERLEAVED in one run (the servers run side by side; each round the load
// generator takes them in turn, alternating the order; figures are medians of per-round
// ratios), under one raw-TCP load generator (this file with --load, a separate process, no
// WebSocket library: pre-encoded compressed frames, header walking).
//
//   npx turbo run build && flock /tmp/bench.lock node apps/bench/src/deflate-echo.js \
//     [--seconds 4] [--rounds 5] [--shapes same,varied,chat] [--connections 1000] [--no-bun]
//     [--no-memory] [--json] [--quick] [--variants 'name={json options};name2={...}']
//     [--trees name=/path/to/apps/bench/src[,name2=...]]
//
// Traffic shapes (the client offers `permessage-deflate; client_no_context_takeover;
// client_max_window_bits`, as the load generator of issue 14 does, and sends every message
// compressed with a fresh context):
//   same   — one 16 KiB JSON document, the same each time;
//   varied — 64 different 16 KiB JSON documents, cycled;
//   chat   — ~200 B chat messages from 64 variants, cycled.
// Servers use their library's defaults except `threshold: 0` (both; ws's and Strata's default
// of 1024 would send chat messages uncompressed). `--variants` adds Strata servers with other
// perMessageDeflate options to the same interleaved rounds (e.g. `l5={"takeoverLevel":5}`).
// `--trees` replaces this checkout's Strata server by one per named checkout, each started from
// that tree's own deflate-echo-server.js (its own built packages): before/after in one run. Echo: 10 connections x 10 in flight.
// Reported per shape: echoed messages/s, server CPU per message (all threads, /proc), and the
// compressed reply payload bytes per message as received on the wire. Connection 0 inflates
// its first 400 replies with the window they imply (context takeover) and checks them byte for
// byte (every connection checks its first); beyond that the load generator only counts.
// Memory: 1,000 connections, one 16 KiB message echoed each, then idle: server RSS growth per
// connection after a full GC (and the same without compression, for scale).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { jsonMessage } from './lib/json-message.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};

const OFFER = 'permessage-deflate; client_no_context_takeover; client_max_window_bits';
const TAIL = Buffer.from([0, 0, 255, 255]);

const WORDS =
  'the a new old red blue green fast slow big small happy busy quiet loud early late'.split(' ');
/** A ~200-byte chat message, variant `i` (deterministic). */
function chatMessage(i) {
  let seed = i * 2654435761 + 1;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const text = Array.from({ length: 8 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  return Buffer.from(
    JSON.stringify({
      type: 'chat.message',
      room: `room-${i % 4}`,
      user: { id: 10000 + i, name: `user${i}`, avatar: `https://cdn.example/a/${i}.png` },
      text,
      ts: 1700000000000 + i * 1337,
    }),
  );
}

function shapeMessages(shape) {
  if (shape === 'same') return [jsonMessage(16 * 1024, 1)];
  if (shape === 'varied')
    return Array.from({ length: 64 }, (_, i) => jsonMessage(16 * 1024, i + 1));
  if (shape === 'chat') return Array.from({ length: 64 }, (_, i) => chatMessage(i));
  throw new Error(`unknown shape ${shape}`);
}

// ---------------------------------------------------------------- load generator (--load)

function loadMain() {
  const port = Number(opt('port', '0'));
  const mode = opt('mode', 'echo');
  const connections = Number(opt('connections', '10'));
  const inflight = Number(opt('inflight', '10'));
  const seconds = Number(opt('seconds', '5'));
  const warmup = Number(opt('warmup', '1'));

  const messages = shapeMessages(opt('shape', 'varied'));
  const mask = randomBytes(4);
  // One masked frame per message: FIN + RSV1 + text, 16-bit length, compressed payload.
  const plain = argv.includes('--plain'); // baseline: no compression offered or used
  const frames = messages.map((message) => {
    const z = deflateRawSync(message, { finishFlush: constants.Z_SYNC_FLUSH });
    const payload = plain ? message : z.subarray(0, z.length - 4);
    const small = payload.length < 126;
    const h = small ? 6 : 8;
    const frame = Buffer.alloc(h + payload.length);
    frame[0] = plain ? 0x81 : 0xc1;
    if (small) frame[1] = 0x80 | payload.length;
    else {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(payload.length, 2);
    }
    mask.copy(frame, h - 4);
    for (let i = 0; i < payload.length; i++) frame[h + i] = payload[i] ^ mask[i & 3];
    return frame;
  });
  let received = 0;
  let total = 0;
  let replyBytes = 0;
  let counting = false;
  let verified = 0;

  // check: inflate every reply of this connection with the window it implies (the last 32 KiB
  // of plain text, as a dictionary) and compare with what was sent.
  function open(start, onOpen, onMessage, check = false) {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${plain ? '' : `Sec-WebSocket-Extensions: ${OFFER}\r\n`}\r\n`,
    );
    let head = true;
    let buffer = Buffer.alloc(0);
    let first = true;
    let index = start;
    let window = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      if (head) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = buffer.subarray(0, end).toString('latin1');
        if (
          !text.startsWith('HTTP/1.1 101') ||
          (!plain && !/sec-websocket-extensions:\s*permessage-deflate/i.test(text))
        ) {
          throw new Error(`handshake: ${text}`);
        }
        head = false;
        buffer = buffer.subarray(end + 4);
        onOpen(socket);
      }
      // Walk the frames: server frames are unmasked.
      let o = 0;
      for (;;) {
        if (buffer.length - o < 2) break;
        let len = buffer[o + 1] & 0x7f;
        let h = 2;
        if (len === 126) {
          if (buffer.length - o < 4) break;
          len = buffer.readUInt16BE(o + 2);
          h = 4;
        } else if (len === 127) {
          if (buffer.length - o < 10) break;
          len = Number(buffer.readBigUInt64BE(o + 2));
          h = 10;
        }
        if (buffer.length - o < h + len) break;
        const b0 = buffer[o];
        const compressed = (b0 & 0x40) !== 0;
        if (!plain && !compressed) throw new Error('echo was not compressed');
        if (counting) replyBytes += len;
        total++;
        if (first || (check && index - start < 400)) {
          // The first message of a connection depends on no earlier context: always checked.
          first = false;
          const body = buffer.subarray(o + h, o + h + len);
          const text = !compressed
            ? body
            : inflateRawSync(Buffer.concat([body, TAIL]), {
                finishFlush: constants.Z_SYNC_FLUSH,
                ...(window.length > 0 ? { dictionary: window } : {}),
              });
          if (!text.equals(messages[index % messages.length]))
            throw new Error(`echo ${index - start} differs from the message`);
          if (compressed) {
            window = Buffer.concat([window, text]);
            if (window.length > 32768) window = window.subarray(window.length - 32768);
          }
          verified++;
        }
        index++;
        onMessage(socket);
        o += h + len;
      }
      buffer = o === buffer.length ? Buffer.alloc(0) : buffer.subarray(o);
    });
    socket.on('error', (e) => {
      throw e;
    });
    return socket;
  }

  if (mode === 'echo') {
    const sockets = [];
    for (let c = 0; c < connections; c++) {
      let next = c * 7;
      sockets.push(
        open(
          next,
          (s) => {
            for (let i = 0; i < inflight; i++) s.write(frames[next++ % frames.length]);
          },
          (s) => {
            if (counting) received++;
            s.write(frames[next++ % frames.length]);
          },
          c === 0,
        ),
      );
    }
    setTimeout(() => {
      counting = true;
      const start = performance.now();
      setTimeout(() => {
        const elapsed = (performance.now() - start) / 1000;
        process.stdout.write(
          `${JSON.stringify({ messagesPerSecond: received / elapsed, verified, total, bytesPerReply: replyBytes / received })}\n`,
        );
        for (const s of sockets) s.destroy();
        process.exit(0);
      }, seconds * 1000);
    }, warmup * 1000);
  } else {
    // memory: open, one message each, report when all echoed, hold until stdin closes.
    let echoed = 0;
    let opened = 0;
    const concurrency = 50;
    const next = () => {
      if (opened >= connections) return;
      opened++;
      const start = opened;
      open(
        start,
        (s) => s.write(frames[start % frames.length]),
        () => {
          echoed++;
          if (echoed === connections)
            process.stdout.write(`${JSON.stringify({ ready: echoed, verified })}\n`);
          else next();
        },
      );
    };
    for (let i = 0; i < concurrency; i++) next();
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  }
}

// ---------------------------------------------------------------- driver

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuSeconds: ticks / 100, rss: rssKb * 1024 };
}

const BUN = join(here, '../../../node_modules/.bin/bun');

/** --trees: name → the apps/bench/src directory of another checkout (before/after figures). */
const trees = new Map(
  (process.argv[process.argv.indexOf('--trees') + 1] ?? '')
    .split(',')
    .filter((entry) => process.argv.includes('--trees') && entry.includes('='))
    .map((entry) => entry.split('=')),
);

function startServer(which, { plain = false, threshold, extra } = {}) {
  const tree = trees.get(which);
  return new Promise((resolve, reject) => {
    const args =
      which === 'bun'
        ? [BUN, [join(here, 'deflate-echo-server-bun.js')]]
        : [
            process.execPath,
            [
              '--expose-gc',
              join(tree ?? here, 'deflate-echo-server.js'),
              tree === undefined ? which : 'strata',
              plain ? 'plain' : 'deflate',
              ...(threshold === undefined ? [] : [String(threshold)]),
              ...(extra === undefined ? [] : [JSON.stringify(extra)]),
            ],
          ];
    const child = spawn(args[0], args[1], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${which} server exited ${code}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function runLoad(args, onReady) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--load', ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', async (chunk) => {
      out += chunk;
      if (onReady && out.includes('"ready"')) {
        const ready = onReady;
        onReady = null;
        const result = await ready(JSON.parse(out.trim().split('\n').pop()));
        child.stdin.end();
        resolve(result);
      }
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited ${code}`));
      else if (!onReady) resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

async function echo(server, shape, seconds) {
  const before = procStat(server.child.pid);
  const result = await runLoad([
    '--port',
    String(server.port),
    '--mode',
    'echo',
    '--shape',
    shape,
    '--seconds',
    String(seconds),
    '--warmup',
    '0.5',
  ]);
  const after = procStat(server.child.pid);
  // CPU over the whole run (warm-up included) per message echoed over the whole run.
  return {
    ...result,
    cpuPerMessage: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / result.total,
  };
}

async function memory(which, connections, plain = false) {
  const server = await startServer(which, { plain });
  const { child, port } = server;
  await sleep(300);
  child.kill('SIGUSR2');
  await sleep(300);
  const before = procStat(child.pid);
  const result = await runLoad(
    [
      '--port',
      String(port),
      '--mode',
      'memory',
      '--shape',
      'varied',
      '--connections',
      String(connections),
      ...(plain ? ['--plain'] : []),
    ],
    async (ready) => {
      await sleep(500);
      child.kill('SIGUSR2');
      await sleep(700);
      const after = procStat(child.pid);
      return { ...ready, perConnection: (after.rss - before.rss) / connections, rss: after.rss };
    },
  );
  child.kill('SIGTERM');
  return result;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const TITLES = {
  same: '16 KiB JSON, the same document each time',
  varied: '16 KiB JSON, 64 different documents cycled',
  chat: '~200 B chat messages, 64 variants cycled',
};

async function main() {
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  const seconds = Number(opt('seconds', quick ? '2' : '4'));
  const rounds = Number(opt('rounds', quick ? '3' : '5'));
  const connections = Number(opt('connections', quick ? '300' : '1000'));
  const shapes = opt('shapes', 'same,varied,chat').split(',');
  const strataExtra = opt('strata-options', undefined);
  const variants = Object.fromEntries(
    (opt('variants', '') || '')
      .split(';')
      .filter((v) => v.includes('='))
      .map((v) => [
        `strata:${v.slice(0, v.indexOf('='))}`,
        JSON.parse(v.slice(v.indexOf('=') + 1)),
      ]),
  );
  const withBun = !argv.includes('--no-bun') && !quick;
  const log = json ? (...a) => console.error(...a) : (...a) => console.log(...a);
  const servers = [
    'ws',
    ...(trees.size === 0 ? ['strata'] : []),
    ...trees.keys(),
    ...Object.keys(variants),
    ...(withBun ? ['bun'] : []),
  ];
  log(
    `compressed echo, node ${process.version}, offer "${OFFER}", defaults + threshold 0` +
      `${strataExtra ? `, strata ${strataExtra}` : ''}; ${rounds} interleaved rounds of ${seconds}s, 10 connections x 10 in flight`,
  );
  const rows = [];
  for (const shape of shapes) {
    const running = {};
    for (const s of servers) {
      try {
        running[s] = await startServer(s.startsWith('strata') && !trees.has(s) ? 'strata' : s, {
          threshold: 0,
          extra:
            variants[s] ?? (s === 'strata' && strataExtra ? JSON.parse(strataExtra) : undefined),
        });
      } catch (error) {
        if (s !== 'bun') throw error;
        log(`  (bun not started: ${error.message})`);
      }
    }
    const names = servers.filter((s) => running[s] !== undefined);
    const per = Object.fromEntries(names.map((s) => [s, []]));
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? names : [...names].reverse();
      for (const s of order) per[s].push(await echo(running[s], shape, seconds));
    }
    for (const s of names) running[s].child.kill('SIGTERM');
    const ratio = (s, key) =>
      per[s] === undefined ? Number.NaN : median(per[s].map((x, i) => x[key] / per.ws[i][key]));
    log(`${shape}: ${TITLES[shape]}`);
    for (const s of names) {
      const rates = per[s].map((x) => x.messagesPerSecond);
      log(
        `  ${s.padEnd(10)} ${Math.round(median(rates)).toString().padStart(6)} msg/s  ${ratio(s, 'messagesPerSecond').toFixed(2)}x ws` +
          `   CPU ${median(per[s].map((x) => x.cpuPerMessage))
            .toFixed(0)
            .padStart(4)} us/msg (${ratio(s, 'cpuPerMessage').toFixed(2)}x ws)` +
          `   reply ${median(per[s].map((x) => x.bytesPerReply))
            .toFixed(0)
            .padStart(5)} B (${ratio(s, 'bytesPerReply').toFixed(2)}x ws)` +
          `   verified ${per[s].reduce((a, x) => a + x.verified, 0)}   rounds ${rates.map(Math.round).join(', ')}`,
      );
    }
    const values = (key) =>
      Object.fromEntries(
        names.map((s) => [s, Math.round(median(per[s].map((x) => x[key])) * 10) / 10]),
      );
    const base = {
      how: `10 conns x 10 in flight, ${rounds} rounds of ${seconds}s interleaved, median of per-round ratios`,
    };
    const rateRatio = ratio('strata', 'messagesPerSecond');
    const bytesRatio = ratio('strata', 'bytesPerReply');
    rows.push({
      id: `deflate-${shape}`,
      title: `permessage-deflate echo, ${TITLES[shape]}`,
      unit: 'msgs/s',
      higherIsBetter: true,
      values: values('messagesPerSecond'),
      ratio: rateRatio,
      ...(per.bun ? { bunRatio: ratio('bun', 'messagesPerSecond') } : {}),
      goal: '>= 2x ws',
      goalMet: rateRatio >= 2,
      ...base,
    });
    rows.push({
      id: `deflate-${shape}-bytes`,
      title: `compressed reply bytes per message, ${TITLES[shape]}`,
      unit: 'B',
      higherIsBetter: false,
      values: values('bytesPerReply'),
      ratio: bytesRatio,
      ...(per.bun ? { bunRatio: ratio('bun', 'bytesPerReply') } : {}),
      goal: '<= 1.1x ws',
      goalMet: bytesRatio <= 1.1,
      ...base,
    });
    rows.push({
      id: `deflate-${shape}-cpu`,
      title: `server CPU per message, ${TITLES[shape]}`,
      unit: 'us',
      higherIsBetter: false,
      values: values('cpuPerMessage'),
      ratio: ratio('strata', 'cpuPerMessage'),
      ...(per.bun ? { bunRatio: ratio('bun', 'cpuPerMessage') } : {}),
      ...base,
    });
  }
  if (!argv.includes('--no-memory')) {
    log(
      `memory: ${connections} connections, one 16 KiB message echoed each, server RSS growth per connection after GC`,
    );
    const mem = {};
    const base = {};
    for (const s of ['ws', 'strata']) {
      mem[s] = await memory(s, connections);
      base[s] = await memory(s, connections, true);
    }
    const kb = (n) => `${(n / 1024).toFixed(1).padStart(6)} KB`;
    for (const s of ['ws', 'strata']) {
      log(
        `  ${s.padEnd(7)} compressing ${kb(mem[s].perConnection)}  ${(mem[s].perConnection / mem.ws.perConnection).toFixed(3)}x ws` +
          `   (uncompressed ${kb(base[s].perConnection)}; compression adds ${kb(mem[s].perConnection - base[s].perConnection)})`,
      );
    }
    const r = mem.strata.perConnection / mem.ws.perConnection;
    rows.push({
      id: 'deflate-memory',
      title: `RSS per compressing connection (${connections} idle after one 16 KiB message)`,
      unit: 'KB',
      higherIsBetter: false,
      values: {
        ws: Math.round(mem.ws.perConnection / 102.4) / 10,
        strata: Math.round(mem.strata.perConnection / 102.4) / 10,
      },
      ratio: r,
      goal: '<= 0.1x ws',
      goalMet: r <= 0.1,
      how: 'server RSS growth / connections, after a full GC, one server at a time',
    });
  }
  if (json) console.log(JSON.stringify({ rows }));
}

if (argv.includes('--load')) loadMain();
else await main();
