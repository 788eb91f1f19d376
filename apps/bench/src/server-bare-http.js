// Bare node:http "server" for the handshake and idle references: answers a WebSocket upgrade
// with a 101 (computing Sec-WebSocket-Accept, RFC 6455 §4.2.2) and then only holds the
// socket (closing it when the peer does). No frame parser: what any server on node:http
// pays before doing anything of its own. Usage: node server-bare-http.js [port] — prints
// "listening <port>". SIGUSR2 runs a full GC when started with --expose-gc and prints
// "mem {rss, heapUsed, ...}".
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { reportMemoryOnSignal } from './lib/bench-server.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function onEnd() {
  this.destroy();
}
function onError() {}

const server = createServer((_req, res) => {
  res.writeHead(426, { Connection: 'close' });
  res.end();
});
server.on('upgrade', (req, socket) => {
  const accept = createHash('sha1')
    .update(req.headers['sec-websocket-key'] + GUID)
    .digest('base64');
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.resume();
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
reportMemoryOnSignal();
