// Memory of a server whose connections are reset mid-frame (issue #13: 10,000 connections
// reset mid-frame grew the server by ~38 MB; goal <= 30 MB and no growth that stays after
// a GC).
//
// The server (@strata-ws/server on its own port, or with --server bare a node:net floor: a
// 101, then read and discard) runs in a child process with --expose-gc and reports
// process.memoryUsage() after a full GC on request, so only the server's memory is measured.
// This process opens N raw TCP clients in batches; each sends an upgrade, then the first part
// of a masked binary frame (header announcing --frame bytes, --sent bytes of it), then every
// socket is reset (RST, not FIN). Reported: RSS and heapUsed growth at the peak (all
// connections mid-frame) and after the resets and a full GC, relative to the server's baseline
// after a warm-up round. `--server strata,bare --rounds 2` measures each in turn, alternated.
//
//   node apps/bench/src/reset-memory.js [--n 10000] [--frame 65536] [--sent 16384] [--server strata|bare|strata,bare] [--rounds 1]
//
// Also a module: apps/conformance (case 9.10.2) imports measureResetMemory and runs the
// Strata child on the TypeScript sources (execArgv ['--import', <ts-loader>]); this CLI runs
// the child on the built packages (dist).
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);

async function startStrata() {
  const { WebSocketServer } = await import('@strata-ws/server');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
  wss.on('connection', (ws) => ws.on('error', () => {}));
  await new Promise((resolve) => wss.on('listening', resolve));
  return { clients: () => wss.clients.size, address: () => wss.address() };
}

async function startBare() {
  const { createServer } = await import('node:net');
  const { bareUpgrade } = await import('./lib/bare-upgrade.js');
  const open = new Set();
  const discard = () => {};
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    bareUpgrade(socket, () => socket.on('data', discard));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { clients: () => open.size, address: () => server.address() };
}

/** The child: one server, answering 'memory' with process.memoryUsage() after a full GC. */
async function child(kind) {
  const { clients, address } = kind === 'bare' ? await startBare() : await startStrata();
  process.send({ port: address().port });
  process.on('message', (m) => {
    if (m === 'memory') {
      for (let i = 0; i < 4; i++) globalThis.gc();
      process.send({ memory: process.memoryUsage(), clients: clients() });
    }
  });
}

const UPGRADE = Buffer.from(
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

/** A masked binary frame header announcing `frame` bytes (16- or 64-bit length), then `sent` of them. */
function partialFrame(frame, sent) {
  const header =
    frame < 65536
      ? Buffer.from([0x82, 0x80 | 126, frame >> 8, frame & 0xff, 1, 2, 3, 4])
      : Buffer.from([
          0x82,
          0x80 | 127,
          0,
          0,
          0,
          0,
          (frame >>> 24) & 0xff,
          (frame >>> 16) & 0xff,
          (frame >>> 8) & 0xff,
          frame & 0xff,
          1,
          2,
          3,
          4,
        ]);
  return Buffer.concat([header, Buffer.alloc(sent, 0x61)]);
}

/** Opens `count` clients to `port`, each mid-frame once the promise resolves. */
async function open(port, count, partial) {
  const sockets = [];
  const BATCH = 250;
  for (let done = 0; done < count; done += BATCH) {
    const batch = Math.min(BATCH, count - done);
    await Promise.all(
      Array.from(
        { length: batch },
        () =>
          new Promise((resolve, reject) => {
            const s = connect(port, '127.0.0.1');
            s.on('error', () => {});
            s.once('connect', () => s.write(UPGRADE));
            let head = '';
            const onData = (chunk) => {
              head += chunk.toString('latin1');
              if (head.includes('\r\n\r\n')) {
                s.off('data', onData);
                s.write(partial, () => resolve());
              }
            };
            s.on('data', onData);
            s.once('close', () => reject(new Error('closed before the upgrade')));
            sockets.push(s);
          }),
      ),
    );
  }
  return sockets;
}

async function resetAll(sockets) {
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise((resolve) => {
          s.once('close', resolve);
          s.resetAndDestroy();
        }),
    ),
  );
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {{ rss: number, heapTotal: number, heapUsed: number, external: number }} Growth
 *   Growth over the baseline, in bytes (negative when below it).
 * @typedef {{ server: string, n: number, frame: number, sent: number, open: number,
 *   left: number, base: NodeJS.MemoryUsage, peak: Growth, after: Growth, later: Growth }} ResetMemory
 *   One measurement: connections open at the peak, left after the resets, and the growth at
 *   the peak, after the resets and a full GC, and `idleMs` later.
 */

/**
 * Measures one server kind (`strata` or `bare`) in a child process: baseline after a warm-up
 * round, peak with `n` connections mid-frame, after they are all reset and a full GC, and
 * `idleMs` later. Each figure is the child's process.memoryUsage(); `execArgv` is added to the
 * child's (which always has --expose-gc).
 * @param {{ server?: 'strata' | 'bare', n?: number, frame?: number, sent?: number,
 *   warmup?: number, idleMs?: number, execArgv?: string[] }} [options]
 * @returns {Promise<ResetMemory>}
 */
export async function measureResetMemory({
  server = 'strata',
  n = 10000,
  frame = 65536,
  sent = 16384,
  warmup = 2000,
  idleMs = 8000,
  execArgv = [],
} = {}) {
  const proc = fork(HERE, ['--child', server], {
    execArgv: ['--expose-gc', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`reset-memory child exited (${code})`));
      proc.once('exit', onExit);
      proc.once('message', (m) => {
        proc.off('exit', onExit);
        resolve(m);
      });
    });
  try {
    const { port } = await next();
    const memory = async () => {
      proc.send('memory');
      return next();
    };
    const settled = async () => {
      for (let i = 0; i < 50; i++) {
        const m = await memory();
        if (m.clients === 0) return m;
        await sleep(100);
      }
      return memory();
    };
    const partial = partialFrame(frame, sent);
    // Warm-up round (JIT, pools, arenas), then the measured round.
    await resetAll(await open(port, Math.min(warmup, n), partial));
    const base = await settled();
    const sockets = await open(port, n, partial);
    await sleep(500);
    const peak = await memory();
    await resetAll(sockets);
    const after = await settled();
    // V8 gives pages back to the OS lazily (its memory reducer runs when the process is idle).
    await sleep(idleMs);
    const later = await memory();
    const delta = (m) => ({
      rss: m.memory.rss - base.memory.rss,
      heapTotal: m.memory.heapTotal - base.memory.heapTotal,
      heapUsed: m.memory.heapUsed - base.memory.heapUsed,
      external: m.memory.external - base.memory.external,
    });
    return {
      server,
      n,
      frame,
      sent,
      open: peak.clients,
      left: after.clients,
      base: base.memory,
      peak: delta(peak),
      after: delta(after),
      later: delta(later),
    };
  } finally {
    proc.kill();
  }
}

const mb = (bytes) => `${bytes < 0 ? '' : '+'}${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The report lines of one measurement.
 * @param {ResetMemory} r
 * @returns {string[]}
 */
export function formatResetMemory(r) {
  return [
    `reset mid-frame, ${r.server} server: ${r.n} connections (${r.open} open at the peak), frame ${r.frame} B announced, ${r.sent} B sent, then RST (node ${process.version})`,
    `  at peak (all open):    RSS ${mb(r.peak.rss)}, heapUsed ${mb(r.peak.heapUsed)}, external ${mb(r.peak.external)}`,
    `  after reset + GC:      RSS ${mb(r.after.rss)}, heapTotal ${mb(r.after.heapTotal)}, heapUsed ${mb(r.after.heapUsed)}, external ${mb(r.after.external)}, clients left ${r.left}`,
    `  later (idle):          RSS ${mb(r.later.rss)}, heapTotal ${mb(r.later.heapTotal)}, heapUsed ${mb(r.later.heapUsed)}`,
  ];
}

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const isMain = Boolean(process.argv[1]) && resolvePath(process.argv[1]) === HERE;
if (isMain && process.argv[2] === '--child') {
  await child(process.argv[3]);
} else if (isMain) {
  const servers = option('server', 'strata').split(',');
  const rounds = Number(option('rounds', '1'));
  for (let round = 0; round < rounds; round++) {
    for (const server of servers) {
      const r = await measureResetMemory({
        server,
        n: Number(option('n', '10000')),
        frame: Number(option('frame', '65536')),
        sent: Number(option('sent', '16384')),
      });
      for (const line of formatResetMemory(r)) console.log(line);
    }
  }
}
