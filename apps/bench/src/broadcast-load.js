// Load process of the broadcast benchmark: opens N raw node:net WebSocket clients (no
// library on this side, so every server is measured against the same receiver), then counts
// the 128-byte text frames each client receives. Frames are checked, not guessed: the
// receiver walks every frame header, so a wrong length or opcode is reported as an error.
//
// Usage: node broadcast-load.js <port> <clients> <warmupMs> <durationMs>
// Prints one JSON line: { clients, frames, seconds, deliveriesPerSecond, errors }.
import { connect } from 'node:net';

const [port, clientCount, warmupMs, durationMs] = process.argv.slice(2).map(Number);
const PAYLOAD = 128;
const FRAME = PAYLOAD + 4; // 0x81, 126, 16-bit length, payload (RFC 6455 §5.2)

const request =
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

let counting = false;
let frames = 0;
let errors = 0;
let open = 0;

/** One client: handshake, then walk frame boundaries and count frames. */
function client() {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.write(request);
    let handshake = '';
    let upgraded = false;
    // Offset inside the current frame (0 = at a header).
    let inFrame = 0;
    const onData = (chunk) => {
      let i = 0;
      if (!upgraded) {
        handshake += chunk.toString('latin1');
        const end = handshake.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!handshake.startsWith('HTTP/1.1 101')) {
          reject(new Error(`handshake refused: ${handshake.split('\r\n')[0]}`));
          socket.destroy();
          return;
        }
        upgraded = true;
        open++;
        i = chunk.length - (handshake.length - end - 4);
        resolve(socket);
      }
      const n = chunk.length;
      // Finish the frame we are in, then hop from header to header.
      if (inFrame > 0) {
        const rest = FRAME - inFrame;
        if (n - i < rest) {
          inFrame += n - i;
          return;
        }
        i += rest;
        inFrame = 0;
        if (counting) frames++;
      }
      while (i < n) {
        if (chunk[i] !== 0x81 || (i + 1 < n && chunk[i + 1] !== 126)) {
          errors++;
          socket.destroy();
          return;
        }
        if (n - i >= FRAME) {
          i += FRAME;
          if (counting) frames++;
        } else {
          inFrame = n - i;
          i = n;
        }
      }
    };
    socket.on('data', onData);
    socket.on('error', (error) => {
      if (!upgraded) reject(error);
      else errors++;
    });
  });
}

const sockets = [];
// Connect in batches so the listen backlog is not overrun.
for (let i = 0; i < clientCount; i += 100) {
  const batch = [];
  for (let j = i; j < Math.min(clientCount, i + 100); j++) batch.push(client());
  sockets.push(...(await Promise.all(batch)));
}
process.stdout.write(`${JSON.stringify({ connected: open })}\n`);

await new Promise((resolve) => setTimeout(resolve, warmupMs));
counting = true;
const started = process.hrtime.bigint();
await new Promise((resolve) => setTimeout(resolve, durationMs));
counting = false;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(
  `${JSON.stringify({ clients: open, frames, seconds, deliveriesPerSecond: frames / seconds, errors })}\n`,
);
for (const socket of sockets) socket.destroy();
process.exit(0);
