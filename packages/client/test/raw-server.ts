/**
 * A deliberately misbehaving WebSocket server on node:net for tests: it reads the upgrade
 * request and then runs a scenario that writes whatever bytes the test wants.
 */
import { createHash } from 'node:crypto';
import * as net from 'node:net';

export interface RawRequest {
  head: string;
  headers: Record<string, string>;
  key: string;
  accept: string;
}

export type Scenario = (socket: net.Socket, request: RawRequest, received: ReceivedFrames) => void;

/** Frames the client sent after the handshake, parsed and unmasked. */
export interface ReceivedFrames {
  frames: { fin: boolean; opcode: number; masked: boolean; payload: Buffer }[];
  /** Resolves when a frame with this opcode has arrived. */
  waitFor(opcode: number): Promise<Buffer>;
}

export function acceptFor(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** A 101 response for `request`, with extra header lines. */
export function switching(request: RawRequest, extra: string[] = []): string {
  return [
    'HTTP/1.1 101 Switching Protocols',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${request.accept}`,
    ...extra,
    '',
    '',
  ].join('\r\n');
}

/** An unmasked server frame. */
export function frame(
  opcode: number,
  payload: Buffer | string = Buffer.alloc(0),
  fin = true,
): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const n = data.length;
  const head =
    n < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, n])
      : n < 65536
        ? Buffer.from([(fin ? 0x80 : 0) | opcode, 126, n >> 8, n & 0xff])
        : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 127]), bigLength(n)]);
  return Buffer.concat([head, data]);
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** A close frame payload. */
export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

export function parseFrames(buffer: Buffer, out: ReceivedFrames['frames']): Buffer {
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const b0 = buffer[offset]!;
    const b1 = buffer[offset + 1]!;
    let len = b1 & 0x7f;
    let p = offset + 2;
    if (len === 126) {
      if (buffer.length < p + 2) break;
      len = buffer.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (buffer.length < p + 8) break;
      len = Number(buffer.readBigUInt64BE(p));
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const maskLen = masked ? 4 : 0;
    if (buffer.length < p + maskLen + len) break;
    const key = buffer.subarray(p, p + maskLen);
    const payload = Buffer.from(buffer.subarray(p + maskLen, p + maskLen + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i & 3]!;
    out.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, payload });
    offset = p + maskLen + len;
  }
  return buffer.subarray(offset);
}

/** Starts the server; every connection runs `scenario` after the request head. */
export async function startRawServer(
  scenario: Scenario,
): Promise<{ url: string; port: number; close: () => Promise<void>; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered: Buffer = Buffer.alloc(0);
    let request: RawRequest | null = null;
    const frames: ReceivedFrames['frames'] = [];
    const waiters: { opcode: number; resolve: (b: Buffer) => void }[] = [];
    const received: ReceivedFrames = {
      frames,
      waitFor(opcode) {
        const found = frames.find((f) => f.opcode === opcode);
        if (found) return Promise.resolve(found.payload);
        return new Promise((resolve) => waiters.push({ opcode, resolve }));
      },
    };
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (request === null) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        buffered = buffered.subarray(end + 4);
        const headers: Record<string, string> = {};
        for (const line of head.split('\r\n').slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const key = headers['sec-websocket-key'] ?? '';
        request = { head, headers, key, accept: acceptFor(key) };
        scenario(socket, request, received);
      }
      const before = frames.length;
      buffered = parseFrames(buffered, frames);
      for (const f of frames.slice(before)) {
        for (const w of waiters.filter((x) => x.opcode === f.opcode)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(f.payload);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
