// Abuse client for the conformance suite (case 9.10.2): opens <count> WebSocket connections to
// 127.0.0.1:<port> (<concurrency> handshakes at a time); on each, after the 101, sends the
// header and the first 16 KiB of a 64 KiB masked binary frame and leaves it there. Prints
// {"ready": n, "refused": m} when all are mid-frame; on a line on stdin resets every one (RST)
// and prints {"reset": n}.
//   node reset-flood.js <port> <count> <concurrency>
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { createInterface } from 'node:readline';

const [port, count, concurrency] = process.argv.slice(2).map(Number);
const head = (key) =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
const partial = Buffer.concat([
  Buffer.from([0x82, 0xfe, 0xff, 0xff]),
  randomBytes(4),
  randomBytes(16384),
]);
const sockets = [];
let started = 0;
let refused = 0;

function one() {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.once('error', () => {});
    socket.once('connect', () => socket.write(head(randomBytes(16).toString('base64'))));
    socket.once('data', (chunk) => {
      if (!chunk.toString('latin1').startsWith('HTTP/1.1 101')) refused++;
      socket.write(partial, () => resolve());
    });
    socket.once('close', () => resolve());
  });
}

async function lane() {
  while (started < count) {
    started++;
    await one();
  }
}

setTimeout(() => process.exit(2), 300000).unref();
await Promise.all(Array.from({ length: concurrency }, lane));
console.log(JSON.stringify({ ready: sockets.length, refused }));
createInterface({ input: process.stdin }).once('line', () => {
  for (const socket of sockets) socket.resetAndDestroy();
  console.log(JSON.stringify({ reset: sockets.length }));
  setTimeout(() => process.exit(0), 200);
});
