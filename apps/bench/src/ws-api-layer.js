// CPU of the ws-API layer itself, without the network: what `ws` (+ bufferutil) and
// @strata-ws/ws cost per echoed 64 B message and per handshake (upgrade, `connection`, socket
// gone), on in-memory Duplex streams (`handleUpgrade` takes any Duplex). The kernel's and
// node:net's share, which both implementations pay alike, is left out, so this shows what the
// layer adds; the figures for real sockets come from ws-api-bench.js.
//
//   node apps/bench/src/ws-api-layer.js [--rounds 7] [--only echo,handshake] [--candidate module]
// (--candidate, --base: other modules in place of @strata-ws/ws and ws, e.g. an earlier build's
// packages/ws/dist/index.js as --base, for before/after figures.)
// Both implementations run in this one process, alternating round by round; the report is
// each one's median CPU per operation and the median of the per-round ratios.
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const rounds = Number(opt('rounds', '7'));
const only = opt('only', 'echo,handshake').split(',');

const impls = [
  [opt('base', 'ws'), await import(opt('base', 'ws'))],
  [opt('candidate', '@strata-ws/ws'), await import(opt('candidate', '@strata-ws/ws'))],
];

function fakeSocket(onWrite) {
  const s = new Duplex({
    read() {},
    write(chunk, _e, cb) {
      onWrite(chunk.length);
      cb();
    },
    writev(chunks, cb) {
      for (const c of chunks) onWrite(c.chunk.length);
      cb();
    },
  });
  // what ws calls on a net.Socket
  s.setTimeout = () => s;
  s.setNoDelay = () => s;
  return s;
}

function upgradeRequest() {
  return {
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    headers: {
      host: '127.0.0.1',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    },
  };
}

/** N masked 64 B binary frames, back to back. */
function frames(n) {
  const size = 64;
  const one = Buffer.alloc(2 + 4 + size);
  one[0] = 0x82;
  one[1] = 0x80 | size;
  const mask = randomBytes(4);
  mask.copy(one, 2);
  for (let i = 0; i < size; i++) one[6 + i] = 0x61 ^ mask[i & 3];
  return Buffer.concat(Array.from({ length: n }, () => one));
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** An echo connection on `m`; returns push(frameBytes) and a counter of written bytes. */
function echoConnection(m) {
  const wss = new m.WebSocketServer({ noServer: true });
  let written = 0;
  const socket = fakeSocket((n) => {
    written += n;
  });
  wss.handleUpgrade(upgradeRequest(), socket, Buffer.alloc(0), (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return { push: (bytes) => socket.push(bytes), written: () => written };
}

const single = frames(1);
const burst = frames(100);
const SCENARIOS = {
  echo: {
    title: '64 B echo (one message per read, then 100 per read)',
    setup: (m) => echoConnection(m),
    ops: 20_000,
    async run(conn) {
      // half the messages one per read (round trips), half in reads of 100 (pipelined)
      for (let i = 0; i < 10_000; i++) {
        conn.push(single);
        if ((i & 255) === 0) await tick();
      }
      for (let i = 0; i < 100; i++) {
        conn.push(burst);
        await tick();
      }
      await tick();
    },
  },
  handshake: {
    title: 'handshake: handleUpgrade, 101 written, connection, socket destroyed',
    setup: (m) => new m.WebSocketServer({ noServer: true }),
    ops: 10_000,
    async run(wss) {
      for (let i = 0; i < 10_000; i++) {
        const socket = fakeSocket(() => {});
        wss.handleUpgrade(upgradeRequest(), socket, Buffer.alloc(0), (ws) => {
          wss.emit('connection', ws);
        });
        socket.destroy();
        if ((i & 63) === 0) await tick();
      }
      await tick();
    },
  },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(`node ${process.version}; ${rounds} rounds, implementations alternating\n`);
for (const key of only) {
  const scenario = SCENARIOS[key];
  const states = impls.map(([, m]) => scenario.setup(m));
  const cpu = impls.map(() => []);
  for (let r = -2; r < rounds; r++) {
    // two warm-up rounds; then the order alternates round by round
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const t0 = process.cpuUsage();
      await scenario.run(states[i]);
      const t = process.cpuUsage(t0);
      if (r >= 0) cpu[i].push(((t.user + t.system) * 1000) / scenario.ops); // ns per op
    }
  }
  const ratios = cpu[0].map((ws, i) => ws / cpu[1][i]);
  process.stdout.write(
    `${scenario.title}\n  ${impls.map(([name], i) => `${name} ${median(cpu[i]).toFixed(0)} ns CPU/op`).join(' | ')}\n` +
      `  ${impls[0][0]} / ${impls[1][0]} CPU: ${median(ratios).toFixed(2)}x [${ratios.map((x) => x.toFixed(2)).join(' ')}]\n`,
  );
}
process.exit(0);
