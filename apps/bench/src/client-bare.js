// The floor of the client benchmark: a bare `node:net` WebSocket client doing the minimum a
// client that hands each message over as an ArrayBuffer of its own must do for the same
// traffic, with the cheapest I/O pattern, and nothing else (no checks, no events, no UTF-8, no
// close handshake):
// - send: the header and the payload masked into one buffer (`bufferutil`, one native pass, as
//   every masking client needs); buffers come back for reuse once their write is done (no
//   fresh allocation per message in steady state); everything sent while one read is handled
//   leaves in one `writev` (the socket is corked for the read);
// - receive: walk the frame headers across reads, copy each message's payload into a buffer
//   of its own (one copy: an ArrayBuffer must be the message's alone), count it.
// `{ view: true }` skips that copy and hands over views of the read (what `ws` does with its
// default `nodebuffer`): the floor of that contract.
// Used by client-run.js as impls `bare` and `bare-view`; not a usable client.
import { randomBytes, randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { connect } from 'node:net';

const require = createRequire(import.meta.url);
const bufferUtil = require('bufferutil');

/**
 * Connects, then calls `onOpen(send)` and `onMessage(bytes)` per message; `send(payload, binary)`.
 * @returns a function that destroys the socket
 */
export function bareClient(url, onOpen, onMessage, { view = false } = {}) {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), noDelay: true });
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const maskKey = Buffer.allocUnsafe(4);
  // Frame buffers whose write is done, for reuse (a few: the writes of one read).
  const spare = [];
  const send = (payload, binary) => {
    const length = payload.length;
    const headerLength = length < 126 ? 6 : length < 65536 ? 8 : 14;
    const size = headerLength + length;
    let buffer = spare.pop();
    if (buffer === undefined || buffer.length < size) buffer = Buffer.allocUnsafe(size);
    const frame = buffer.subarray(0, size);
    frame[0] = 0x80 | (binary ? 2 : 1);
    if (length < 126) frame[1] = 0x80 | length;
    else if (length < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeUInt32BE(0, 2);
      frame.writeUInt32BE(length, 6);
    }
    randomFillSync(maskKey);
    maskKey.copy(frame, headerLength - 4);
    bufferUtil.mask(payload, maskKey, frame, headerLength, length);
    socket.write(frame, () => {
      if (spare.length < 64) spare.push(buffer);
    });
  };
  let head = true;
  let pending = Buffer.alloc(0); // an incomplete frame header
  let message = null; // the payload being gathered
  let filled = 0;
  socket.on('data', (chunk) => {
    socket.cork();
    try {
      onData(chunk);
    } finally {
      socket.uncork();
    }
  });
  const onData = (chunk) => {
    if (head) {
      const end = chunk.indexOf('\r\n\r\n');
      if (end < 0) throw new Error('response head split across reads (not handled)');
      head = false;
      onOpen(send);
      chunk = chunk.subarray(end + 4);
    }
    let at = 0;
    while (at < chunk.length) {
      if (message !== null) {
        const n = Math.min(message.length - filled, chunk.length - at);
        chunk.copy(message, filled, at, at + n);
        filled += n;
        at += n;
        if (filled === message.length) {
          const done = message;
          message = null;
          onMessage(done);
        }
        continue;
      }
      // A header: gather at least the 10 bytes of the longest server header.
      if (pending.length > 0 || chunk.length - at < 10) {
        pending = Buffer.concat([pending, chunk.subarray(at)]);
        at = chunk.length;
        const h = headerOf(pending, 0);
        if (h === null) continue;
        chunk = pending;
        at = h.start;
        pending = Buffer.alloc(0);
        message = Buffer.allocUnsafeSlow(h.length);
        filled = 0;
        if (h.length === 0) {
          message = null;
          onMessage(Buffer.alloc(0));
        }
        continue;
      }
      const h = headerOf(chunk, at);
      at = h.start;
      if (view && chunk.length - at >= h.length) {
        // The whole payload is in this read: hand over a view of it.
        at += h.length;
        onMessage(chunk.subarray(at - h.length, at));
        continue;
      }
      message = Buffer.allocUnsafeSlow(h.length);
      filled = 0;
    }
  };
  return () => socket.destroy();
}

/** The payload length and start of the (unmasked) frame header at `at`, or null if incomplete. */
function headerOf(bytes, at) {
  if (bytes.length - at < 2) return null;
  const b = bytes[at + 1] & 0x7f;
  if (b < 126) return { length: b, start: at + 2 };
  if (b === 126)
    return bytes.length - at < 4 ? null : { length: bytes.readUInt16BE(at + 2), start: at + 4 };
  return bytes.length - at < 10 ? null : { length: bytes.readUInt32BE(at + 6), start: at + 10 };
}
