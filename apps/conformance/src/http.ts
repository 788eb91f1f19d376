/**
 * Just enough HTTP/1.1 for the fuzzers: reading a head off a socket (bounded in bytes and
 * time), the accept value of a key, and random keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

/** A parsed HTTP head (request or response). */
export interface Head {
  /** Status line or request line. */
  line: string;
  status: number;
  /** Header values by lower-case name, repeated fields kept. */
  headers: Map<string, string[]>;
  /** Bytes after the head. */
  rest: Buffer;
}

/** The first value of a header, or ''. */
export function header(head: Head, name: string): string {
  return head.headers.get(name)?.join(', ') ?? '';
}

/** `Sec-WebSocket-Accept` for a key (RFC 6455 §4.2.2). */
export function acceptOf(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** A fresh `Sec-WebSocket-Key`. */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Reads one head from `socket`; null when the socket closes or `timeoutMs` passes first, or
 * the head exceeds 64 KiB. Data after the head is returned in `rest` and no longer listened to.
 */
export function readHead(socket: Socket, timeoutMs = 5000): Promise<Head | null> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const finish = (head: Head | null) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      resolve(head);
    };
    const onClose = () => finish(null);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > 65536) finish(null);
        return;
      }
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const line = lines.shift() ?? '';
      const headers = new Map<string, string[]>();
      for (const l of lines) {
        const colon = l.indexOf(':');
        if (colon < 0) continue;
        const name = l.slice(0, colon).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), l.slice(colon + 1).trim()]);
      }
      const status = /^HTTP\/\d\.\d (\d{3})/.exec(line);
      finish({
        line,
        status: status ? Number(status[1]) : 0,
        headers,
        rest: buffered.subarray(end + 4),
      });
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
}
