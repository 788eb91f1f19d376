/**
 * What `peer.send` and `peer.publish` accept, turned into what an engine or a runtime's
 * WebSocket sends: a string (a text message) or bytes (a binary message). Portable.
 */
import type { SendData } from '../types.js';

/** A payload ready for an engine: text as a string, binary as bytes (a view, never a copy). */
export interface Payload {
  readonly data: string | Uint8Array;
  readonly isBinary: boolean;
}

/**
 * Normalises {@link SendData}: a string is text; an `ArrayBuffer` or any `ArrayBufferView` is
 * binary (viewed as bytes, not copied).
 *
 * @throws TypeError naming the type for anything else (a number, an object, `undefined`)
 */
export function toPayload(data: SendData): Payload {
  if (typeof data === 'string') return { data, isBinary: false };
  if (data instanceof Uint8Array) return { data, isBinary: true };
  if (ArrayBuffer.isView(data)) {
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary: true };
  }
  if (data instanceof ArrayBuffer || isSharedArrayBuffer(data)) {
    return { data: new Uint8Array(data), isBinary: true };
  }
  const kind = data === null ? 'null' : typeof data;
  throw new TypeError(
    `send: data must be a string, an ArrayBuffer or an ArrayBufferView, got ${kind}`,
  );
}

function isSharedArrayBuffer(value: unknown): value is ArrayBuffer {
  return typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer;
}
