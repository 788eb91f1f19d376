// The bare-JS ceiling of an echo server that hands each message over as one buffer, as the
// APIs of `ws` and Strata both do: node:net and the bare 101 (lib/bare-upgrade.js), then per
// frame (the load generator's: final, masked, no control frames) the least work:
// - a payload inside one read is unmasked in place (`bufferutil`) and echoed as a view of it;
// - a payload spread over reads is unmasked straight into one fresh buffer as its pieces arrive
//   (one pass, no list of pieces to join), then echoed;
// - the replies of one read leave in one corked write: header + payload by reference.
// No checks, no UTF-8, no close handshake: not a usable server. Used with server-bench.js
// `--also echo-floor=apps/bench/src/server-echo-bare.js` (the 1 MiB echo's ceiling).
// Usage: node server-echo-bare.js [port] — prints "listening <port>".
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { bareUpgrade } from './lib/bare-upgrade.js';
import { reportMemoryOnSignal } from './lib/bench-server.js';

const bufferUtil = createRequire(import.meta.url)('bufferutil');

/** The mask key rotated by `offset` bytes of payload already unmasked. */
function rotated(key, offset) {
  const k = Buffer.allocUnsafe(4);
  for (let i = 0; i < 4; i++) k[i] = key[(i + offset) & 3];
  return k;
}

/** A server frame header (final, opcode) for `length` payload bytes. */
function header(opcode, length) {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 65536) return Buffer.from([0x80 | opcode, 126, length >> 8, length & 0xff]);
  const h = Buffer.alloc(10);
  h[0] = 0x80 | opcode;
  h[1] = 127;
  h.writeUInt32BE(length, 6);
  return h;
}

function echo(socket, rest) {
  let pending = null; // bytes of an incomplete frame header
  let message = null; // the payload being gathered
  let filled = 0;
  let key = null;
  let opcode = 0;
  const onChunk = (input) => {
    let chunk = pending === null ? input : Buffer.concat([pending, input]);
    pending = null;
    let at = 0;
    socket.cork();
    while (at < chunk.length) {
      if (message !== null) {
        const n = Math.min(message.length - filled, chunk.length - at);
        bufferUtil.mask(chunk.subarray(at, at + n), rotated(key, filled), message, filled, n);
        filled += n;
        at += n;
        if (filled === message.length) {
          socket.write(header(opcode, message.length));
          socket.write(message);
          message = null;
        }
        continue;
      }
      if (chunk.length - at < 2) break;
      const b1 = chunk[at + 1] & 0x7f;
      const extra = b1 === 126 ? 2 : b1 === 127 ? 8 : 0;
      if (chunk.length - at < 2 + extra + 4) break;
      opcode = chunk[at] & 0x0f;
      const length =
        b1 === 126 ? chunk.readUInt16BE(at + 2) : b1 === 127 ? chunk.readUInt32BE(at + 6) : b1;
      key = chunk.subarray(at + 2 + extra, at + 6 + extra);
      at += 6 + extra;
      if (chunk.length - at >= length) {
        const payload = chunk.subarray(at, at + length);
        bufferUtil.mask(payload, key, payload, 0, length);
        at += length;
        socket.write(header(opcode, length));
        socket.write(payload);
        continue;
      }
      message = Buffer.allocUnsafe(length);
      key = Buffer.from(key);
      filled = 0;
    }
    if (at < chunk.length) pending = Buffer.from(chunk.subarray(at));
    chunk = null;
    socket.uncork();
  };
  socket.on('data', onChunk);
  if (rest.length > 0) onChunk(rest);
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  bareUpgrade(socket, echo);
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
reportMemoryOnSignal();
