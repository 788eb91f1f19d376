// CPU per delivery of `wss.publish` without the network: 1000 subscribers on in-memory Duplex
// streams that discard what they are given (handleUpgrade takes any Duplex), rounds of 10 x 128 B
// text messages, one event-loop turn per round. Measures the publish path itself (topics, the
// engine's sendPrepared, the flush and node:stream's write), not the kernel.
//
//   node apps/bench/src/publish-cpu.js [server module, default @strata-ws/server] [label]
import { Duplex } from 'node:stream';

const serverPath = process.argv[2] ?? '@strata-ws/server';
const label = process.argv[3] ?? 'strata';
const { WebSocketServer } = await import(serverPath);
const wss = new WebSocketServer({ noServer: true, heartbeatInterval: 0 });
let bytes = 0;
const N = 1000;
for (let i = 0; i < N; i++) {
  const s = new Duplex({
    read() {},
    write(chunk, _e, cb) {
      bytes += chunk.length;
      cb();
    },
    writev(chunks, cb) {
      for (const c of chunks) bytes += c.chunk.length;
      cb();
    },
  });
  s.setNoDelay = () => s; // servers before #15 required it
  const req = {
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    headers: {
      host: 'x',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
    },
  };
  wss.handleUpgrade(req, s, Buffer.alloc(0), (ws) => ws.subscribe('b'));
}
const msg = 'x'.repeat(128);
async function round(k) {
  for (let r = 0; r < k; r++) {
    for (let m = 0; m < 10; m++) wss.publish('b', msg);
    await new Promise((res) => setImmediate(res));
  }
}
await round(300); // warm-up
const t0 = process.cpuUsage();
const w0 = performance.now();
const ROUNDS = 1500;
await round(ROUNDS);
const cpu = process.cpuUsage(t0);
const wall = performance.now() - w0;
const deliveries = ROUNDS * 10 * N;
console.log(
  `${label}: ${(((cpu.user + cpu.system) / deliveries) * 1000).toFixed(1)} ns CPU per delivery, ${(((deliveries / wall) * 1000) / 1e6).toFixed(2)} M deliveries/s wall, ${Math.round(bytes / 1e6)} MB written`,
);
process.exit(0);
