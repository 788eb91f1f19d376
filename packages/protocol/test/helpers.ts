/** Test helpers: frames as bytes, a recording handler, output decoded back into frames. */

import type { ProtocolError as ProtocolErrorLike } from '@strata-ws/codec';
import { FrameParser, mask } from '@strata-ws/codec';
import { Connection, type ConnectionHandler, type ConnectionOptions } from '@strata-ws/protocol';

export { Connection };

/** The mask key used for every frame built by {@link frame} when masked. */
export const TEST_MASK_KEY = 0x37fa213d;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export interface FrameSpec {
  fin?: boolean;
  rsv?: number;
  /** Default true: frames a client sends (what a server engine receives). */
  masked?: boolean;
}

/**
 * One frame as wire bytes (masked with {@link TEST_MASK_KEY} unless `masked: false`). Built
 * by hand, without the codec's checks, so tests can build frames that break the rules.
 */
export function frame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  spec: FrameSpec = {},
): Uint8Array {
  const data = typeof payload === 'string' ? utf8(payload) : payload;
  const masked = spec.masked !== false;
  const n = data.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const headerLength = 2 + lengthBytes + (masked ? 4 : 0);
  const out = new Uint8Array(headerLength + n);
  out[0] = ((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv ?? 0) | opcode;
  out[1] = (masked ? 0x80 : 0) | (n < 126 ? n : n < 65536 ? 126 : 127);
  if (lengthBytes === 2) {
    out[2] = n >> 8;
    out[3] = n & 0xff;
  } else if (lengthBytes === 8) {
    const high = Math.floor(n / 2 ** 32);
    for (let i = 0; i < 4; i++) out[2 + i] = (high >>> (24 - 8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) out[6 + i] = (n >>> (24 - 8 * i)) & 0xff;
  }
  out.set(data, headerLength);
  if (masked) {
    const key = headerLength - 4;
    out[key] = TEST_MASK_KEY >>> 24;
    out[key + 1] = (TEST_MASK_KEY >>> 16) & 0xff;
    out[key + 2] = (TEST_MASK_KEY >>> 8) & 0xff;
    out[key + 3] = TEST_MASK_KEY & 0xff;
    mask(out.subarray(headerLength), TEST_MASK_KEY);
  }
  return out;
}

/** A close frame payload: code + reason. */
export function closePayload(code: number, reason = ''): Uint8Array {
  const r = utf8(reason);
  const out = new Uint8Array(2 + r.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(r, 2);
  return out;
}

export type Event =
  | ['message', string, boolean]
  | ['ping', string]
  | ['pong', string]
  | ['close', number, string]
  | ['fail', number, string]
  | ['resume'];

/** A handler that records every event (messages as text, or hex when binary). */
export class Recorder implements ConnectionHandler {
  events: Event[] = [];
  messages: Uint8Array[] = [];
  outputSignals = 0;
  errors: ProtocolErrorLike[] = [];

  onMessage(data: Uint8Array, isBinary: boolean): void {
    this.messages.push(data.slice());
    this.events.push(['message', isBinary ? hex(data) : text(data), isBinary]);
  }
  onPing(data: Uint8Array): void {
    this.events.push(['ping', hex(data)]);
  }
  onPong(data: Uint8Array): void {
    this.events.push(['pong', hex(data)]);
  }
  onClose(code: number, reason: string): void {
    this.events.push(['close', code, reason]);
  }
  onFail(error: ProtocolErrorLike): void {
    this.errors.push(error);
    this.events.push(['fail', error.closeCode, error.message]);
  }
  onOutput(): void {
    this.outputSignals++;
  }
  onResumeInput(): void {
    this.events.push(['resume']);
  }
}

export function hex(data: Uint8Array): string {
  let s = '';
  for (const b of data) s += b.toString(16).padStart(2, '0');
  return s;
}

export interface WireFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** Parses bytes an engine wrote back into frames (unmasked). */
export function parseFrames(chunks: readonly Uint8Array[]): WireFrame[] {
  const frames: WireFrame[] = [];
  const parser = new FrameParser();
  const sink = {
    frame(
      header: { fin: boolean; rsv: number; opcode: number; masked: boolean; maskKey: number },
      payload: Uint8Array,
    ) {
      const copy = payload.slice();
      if (header.masked) mask(copy, header.maskKey);
      frames.push({
        fin: header.fin,
        rsv: header.rsv,
        opcode: header.opcode,
        masked: header.masked,
        payload: copy,
      });
    },
  };
  for (const chunk of chunks) parser.push(chunk, sink);
  if (parser.bufferedLength !== 0) throw new Error('output ends inside a frame');
  return frames;
}

/** The close code of a close frame payload (1005 when empty). */
export function closeCodeOf(payload: Uint8Array): number {
  return payload.length === 0 ? 1005 : (payload[0]! << 8) | payload[1]!;
}

/** A server engine (receives masked frames) with a recorder. */
export function server(options: Partial<ConnectionOptions> = {}): {
  conn: Connection;
  rec: Recorder;
  /** Takes the output and parses it into frames. */
  out: () => WireFrame[];
} {
  const rec = new Recorder();
  const conn = new Connection(rec, { role: 'server', ...options });
  return { conn, rec, out: () => parseFrames(conn.takeOutput()) };
}

/** A client engine (receives unmasked frames) with a deterministic random source. */
export function client(options: Partial<ConnectionOptions> = {}): {
  conn: Connection;
  rec: Recorder;
  out: () => WireFrame[];
} {
  const rec = new Recorder();
  let counter = 0;
  const conn = new Connection(rec, {
    role: 'client',
    randomFill: (b) => {
      for (let i = 0; i < b.length; i++) b[i] = (counter++ * 31 + 7) & 0xff;
    },
    ...options,
  });
  return { conn, rec, out: () => parseFrames(conn.takeOutput()) };
}

/** Feeds `data` to the engine in chunks of `size` bytes (copies: the engine owns chunks). */
export function feed(conn: Connection, data: Uint8Array, size: number = data.length): void {
  if (data.length === 0) {
    conn.receive(new Uint8Array(0));
    return;
  }
  for (let i = 0; i < data.length; i += size) conn.receive(data.slice(i, i + size));
}

/** The close code of the failure recorded, or undefined. */
export function failCode(rec: Recorder): number | undefined {
  const fail = rec.events.find((e) => e[0] === 'fail');
  return fail === undefined ? undefined : (fail[1] as number);
}

/** Asserts the output is exactly one close frame with `code`; returns it. */
export function closeFrameCode(frames: WireFrame[]): number[] {
  return frames.filter((f) => f.opcode === 8).map((f) => closeCodeOf(f.payload));
}
