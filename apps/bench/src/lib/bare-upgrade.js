// The bare-JS floor's WebSocket opening handshake, shared by the benchmarks' node:net ceiling
// servers: collect the request head, answer 101 with Sec-WebSocket-Accept (RFC 6455 §4.2.2),
// then hand the socket over. No HTTP parser, no header checks beyond the key: the least any
// node:net WebSocket server must do. Plain ESM, Node only.
import { createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = /\r\nsec-websocket-key:[ \t]*([A-Za-z0-9+/=]+)/i;

/**
 * Answers the upgrade request arriving on `socket` with a 101, then calls `onOpen(socket,
 * rest)` with the bytes that followed the head (a 400 and close for a request without a key).
 */
export function bareUpgrade(socket, onOpen) {
  let head = '';
  const onHead = (chunk) => {
    head += chunk.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) {
      if (head.length > 8192) socket.destroy();
      return;
    }
    socket.off('data', onHead);
    const key = KEY.exec(head);
    if (!key) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1')
      .update(key[1] + GUID)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const rest = Buffer.from(head.slice(end + 4), 'latin1');
    head = '';
    onOpen(socket, rest);
  };
  socket.on('data', onHead);
  socket.on('error', () => {});
}
