// Bare node:net "server" for the idle-memory reference: answers a WebSocket upgrade with a
// 101 (computing Sec-WebSocket-Accept, RFC 6455 §4.2.2) and then only holds the socket. No
// HTTP parser, no frame parser: the floor any node:net WebSocket server starts from.
// Usage: node server-bare.js [port] — prints "listening <port>".
// SIGUSR2 runs a full GC when started with --expose-gc and prints "mem {rss, heapUsed, ...}".
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { reportMemoryOnSignal } from './lib/bench-server.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = /\r\nsec-websocket-key:[ \t]*([A-Za-z0-9+/=]+)/i;

function onData(chunk) {
  const head = (this.head ?? '') + chunk.toString('latin1');
  if (!head.includes('\r\n\r\n')) {
    if (head.length > 8192) this.destroy();
    else this.head = head;
    return;
  }
  this.head = undefined;
  this.removeListener('data', onData);
  const key = KEY.exec(head);
  if (!key) {
    this.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  const accept = createHash('sha1')
    .update(key[1] + GUID)
    .digest('base64');
  this.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
}
function onError() {}

const server = createServer((socket) => {
  socket.on('data', onData);
  socket.on('error', onError);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
reportMemoryOnSignal();
