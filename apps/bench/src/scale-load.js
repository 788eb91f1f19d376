// Load process of the scale-out benchmark: opens N raw node:net WebSocket clients to each
// set-up under test (spread over that set-up's ports), the same receiver for every set-up. It
// walks every frame header and, for each 64-byte binary frame, reads the publish time and
// publisher index it carries. Driven by lines on stdin so the orchestrator can interleave the
// set-ups: `count <setup>` starts a window counting that set-up's deliveries, `report` ends
// it and prints {report, deliveries, seconds, latency...}. Prints {phase:'ready'} once every
// client is open. Latency percentiles come from every 8th frame; `remote` are frames
// published by another process than the one the client is connected to (each server's first
// frame to a client carries publish time 0 and its own index).
//
// Usage: node scale-load.js '<json [{name, ports: [..]}, ...]>' <clients per set-up>
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const groups = JSON.parse(process.argv[2]);
const clientCount = Number(process.argv[3]);
const FRAME = 66; // 0x82, 64, then 64 payload bytes

/** The counting window: one set-up at a time. */
let window = null;
let errors = 0;
let resets = 0;

function client(group, port) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let head = '';
    let upgraded = false;
    let rest = null;
    let home = -1;
    socket.on('data', (chunk) => {
      let data = chunk;
      if (!upgraded) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.startsWith('HTTP/1.1 101')) {
          reject(new Error(head.split('\r\n')[0]));
          return;
        }
        upgraded = true;
        resolve();
        data = chunk.subarray(chunk.length - (head.length - end - 4));
      }
      if (rest !== null) {
        data = Buffer.concat([rest, data]);
        rest = null;
      }
      const w = window !== null && window.group === group ? window : null;
      const now = performance.timeOrigin + performance.now();
      let i = 0;
      for (; i + FRAME <= data.length; i += FRAME) {
        if (data[i] !== 0x82 || data[i + 1] !== 64) {
          errors++;
          socket.destroy();
          return;
        }
        const from = data.readUInt32LE(i + 10);
        const sentAt = data.readDoubleLE(i + 2);
        if (sentAt === 0) {
          home = from;
          continue;
        }
        if (w === null) continue;
        w.deliveries++;
        if ((w.sampleTick++ & 7) === 0) {
          const latency = now - sentAt;
          (from === home ? w.local : w.remote).push(latency);
        }
      }
      if (i < data.length) rest = Buffer.from(data.subarray(i));
    });
    // A server may drop a client it cannot keep up with (its backpressure policy): counted.
    socket.on('error', (error) => {
      if (upgraded) resets++;
      else reject(error);
    });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))].toFixed(3));
}

for (const group of groups) {
  const opening = [];
  for (let c = 0; c < clientCount; c++) {
    opening.push(client(group.name, group.ports[c % group.ports.length]));
    if (opening.length % 50 === 0) await Promise.all(opening.slice(-50));
  }
  await Promise.all(opening);
}
process.stdout.write(`${JSON.stringify({ phase: 'ready' })}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, name] = line.trim().split(' ');
  if (command === 'count') {
    window = {
      group: name,
      started: performance.now(),
      cpu0: process.cpuUsage(),
      deliveries: 0,
      sampleTick: 0,
      local: [],
      remote: [],
    };
  } else if (command === 'report' && window !== null) {
    const w = window;
    window = null;
    const seconds = (performance.now() - w.started) / 1000;
    const cpu = process.cpuUsage(w.cpu0);
    const all = [...w.local, ...w.remote].sort((a, b) => a - b);
    w.local.sort((a, b) => a - b);
    w.remote.sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        report: w.group,
        deliveries: w.deliveries,
        seconds,
        loadCpuSeconds: (cpu.user + cpu.system) / 1e6,
        errors,
        resets,
        p50: percentile(all, 0.5),
        p99: percentile(all, 0.99),
        localP50: percentile(w.local, 0.5),
        localP99: percentile(w.local, 0.99),
        remoteP50: percentile(w.remote, 0.5),
        remoteP99: percentile(w.remote, 0.99),
      })}\n`,
    );
  } else if (command === 'exit') {
    process.exit(0);
  }
});
