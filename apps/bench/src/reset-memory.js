// Memory of a server whose connections are reset mid-frame (issue #13: 10,000 connections
// reset mid-frame grew the server by ~38 MB; goal <= 30 MB and no growth that stays after
// a GC).
//
// The server (@strata-ws/server on its own port, or with --server bare a node:net floor) runs in a child process with --expose-gc and reports
// process.memoryUsage() after a full GC on request. This process opens N raw TCP clients in
// batches; each sends an upgrade, then the first part of a masked binary frame (header
// announcing --frame bytes, --sent bytes of it), then every socket is reset (RST, not FIN).
// Reported: RSS and heapUsed growth at the peak (all connections mid-frame) and after the
// resets and a full GC, relative to the server's baseline after a warm-up round.
//
//   node apps/bench/src/reset-memory.js [--n 10000] [--frame 65536] [--sent 16384] [--server strata|bare]
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const N = Number(option('n', '10000'));
const FRAME = Number(option('frame', '65536'));
const SENT = Number(option('sent', '16384'));
// `strata` (default) or `bare`: a node:net server that answers the upgrade with a 101 and then
// only reads and discards, the floor any node:net WebSocket server starts from.
const SERVER = option('server', 'strata');

async function startStrata() {
  const { WebSocketServer } = await import('@strata-ws/server');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
  wss.on('connection', (ws) => ws.on('error', () => {}));
  await new Promise((resolve) => wss.on('listening', resolve));
  return { clients: () => wss.clients.size, address: () => wss.address() };
}

async function startBare() {
  const { createServer } = await import('node:net');
  const { createHash } = await import('node:crypto');
  const open = new Set();
  const server = createServer((socket) => {
    open.add(socket);
    let head = '';
    const discard = () => {};
    const onHead = (chunk) => {
      head += chunk.toString('latin1');
      const key = /sec-websocket-key:[ \t]*([A-Za-z0-9+/=]+)/i.exec(head);
      if (!head.includes('\r\n\r\n') || !key) return;
      socket.off('data', onHead).on('data', discard);
      const accept = createHash('sha1')
        .update(`${key[1]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      head = '';
    };
    socket.on('data', onHead).on('error', () => {});
    socket.once('close', () => open.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { clients: () => open.size, address: () => server.address() };
}

if (process.argv[2] === '--child') {
  const { clients, address } = SERVER === 'bare' ? await startBare() : await startStrata();
  process.send({ port: address().port });
  process.on('message', (m) => {
    if (m === 'memory') {
      for (let i = 0; i < 4; i++) globalThis.gc();
      process.send({ memory: process.memoryUsage(), clients: clients() });
    }
  });
} else {
  const child = fork(fileURLToPath(import.meta.url), ['--child', '--server', SERVER], {
    execArgv: ['--expose-gc'],
  });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const { port } = await next();
  const memory = async () => {
    child.send('memory');
    return next();
  };

  const upgrade = Buffer.from(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  // Masked binary frame header with a 64-bit or 16-bit length, then SENT bytes of payload.
  const header =
    FRAME < 65536
      ? Buffer.from([0x82, 0x80 | 126, FRAME >> 8, FRAME & 0xff, 1, 2, 3, 4])
      : Buffer.from([
          0x82,
          0x80 | 127,
          0,
          0,
          0,
          0,
          (FRAME >>> 24) & 0xff,
          (FRAME >>> 16) & 0xff,
          (FRAME >>> 8) & 0xff,
          FRAME & 0xff,
          1,
          2,
          3,
          4,
        ]);
  const partial = Buffer.concat([header, Buffer.alloc(SENT, 0x61)]);

  /** Opens `count` clients, each mid-frame; resolves with the sockets once all are there. */
  async function open(count) {
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
              s.once('connect', () => s.write(upgrade));
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

  async function settled() {
    for (let i = 0; i < 50; i++) {
      const m = await memory();
      if (m.clients === 0) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    return memory();
  }

  // Warm-up round (JIT, pools, arenas), then the measured round.
  await resetAll(await open(Math.min(2000, N)));
  const base = await settled();
  const sockets = await open(N);
  await new Promise((r) => setTimeout(r, 500));
  const peak = await memory();
  await resetAll(sockets);
  const after = await settled();
  // V8 gives pages back to the OS lazily (its memory reducer runs when the process is idle).
  await new Promise((r) => setTimeout(r, 8000));
  const later = await memory();
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  console.log(
    `reset mid-frame: ${N} connections, frame ${FRAME} B announced, ${SENT} B sent, then RST (node ${process.version})`,
  );
  console.log(
    `  at peak (all open):    RSS +${mb(peak.memory.rss - base.memory.rss)}, heapUsed +${mb(peak.memory.heapUsed - base.memory.heapUsed)}, external +${mb(peak.memory.external - base.memory.external)}`,
  );
  console.log(
    `  after reset + GC:      RSS +${mb(after.memory.rss - base.memory.rss)}, heapTotal +${mb(after.memory.heapTotal - base.memory.heapTotal)}, heapUsed +${mb(after.memory.heapUsed - base.memory.heapUsed)}, external +${mb(after.memory.external - base.memory.external)}, clients left ${after.clients}`,
  );
  console.log(
    `  8 s later (idle):      RSS +${mb(later.memory.rss - base.memory.rss)}, heapTotal +${mb(later.memory.heapTotal - base.memory.heapTotal)}, heapUsed +${mb(later.memory.heapUsed - base.memory.heapUsed)}`,
  );
  child.kill();
}
