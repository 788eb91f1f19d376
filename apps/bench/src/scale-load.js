// Load process of the scale-out benchmark: opens N raw node:net WebSocket clients spread
// over the given ports (the same receiver for every set-up), walks every frame header, and
// for each 64-byte binary frame reads the publish time and publisher index it carries.
// After all clients are open it waits warmupMs, prints {phase:'start'}, counts deliveries for
// durationMs and prints {phase:'end', deliveries, seconds, latency...}. Latency percentiles
// come from every 8th frame; `remote` are frames published by another process than the one
// the client is connected to (each server's first frame to a client carries publish time 0
// and its own index).
//
// Usage: node scale-load.js <ports,comma,separated> <clients> <warmupMs> <durationMs>
import { connect } from 'node:net';

const [portList, clientArg, warmupArg, durationArg] = process.argv.slice(2);
const ports = portList.split(',').map(Number);
const clientCount = Number(clientArg);
const warmupMs = Number(warmupArg);
const durationMs = Number(durationArg);
const FRAME = 66; // 0x82, 64, then 64 payload bytes

let counting = false;
let deliveries = 0;
let errors = 0;
let resets = 0;
let sampleTick = 0;
const local = [];
const remote = [];

function client(port) {
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
        if (!counting) continue;
        deliveries++;
        if ((sampleTick++ & 7) === 0) {
          const latency = now - sentAt;
          (from === home ? local : remote).push(latency);
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

const opening = [];
for (let c = 0; c < clientCount; c++) {
  opening.push(client(ports[c % ports.length]));
  if (opening.length % 50 === 0) await Promise.all(opening.slice(-50));
}
await Promise.all(opening);
await new Promise((resolve) => setTimeout(resolve, warmupMs));
const started = performance.now();
counting = true;
process.stdout.write(`${JSON.stringify({ phase: 'start' })}\n`);
await new Promise((resolve) => setTimeout(resolve, durationMs));
counting = false;
const seconds = (performance.now() - started) / 1000;
const all = [...local, ...remote].sort((a, b) => a - b);
local.sort((a, b) => a - b);
remote.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    phase: 'end',
    deliveries,
    seconds,
    errors,
    resets,
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    localP50: percentile(local, 0.5),
    localP99: percentile(local, 0.99),
    remoteP50: percentile(remote, 0.5),
    remoteP99: percentile(remote, 0.99),
  })}\n`,
);
process.exit(0);
