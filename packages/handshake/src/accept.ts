/**
 * `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2, §1.3).
 */

import { decodeBase64, encodeBase64 } from './base64.js';
import { sha1 } from './sha1.js';

/** The GUID RFC 6455 §1.3 appends to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Fills a byte array with cryptographically strong random bytes (e.g. `crypto.getRandomValues`). */
export type RandomFill = (bytes: Uint8Array) => void;

function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/**
 * The `Sec-WebSocket-Accept` value for a key: base64(SHA-1(key + GUID)).
 * `computeAccept('dGhlIHNhbXBsZSBub25jZQ==') === 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='`.
 */
export function computeAccept(key: string): string {
  return encodeBase64(sha1(latin1Bytes(key + WEBSOCKET_GUID)));
}

/** The host's `crypto.getRandomValues`, looked up without DOM typings. */
export function defaultRandomFill(bytes: Uint8Array): void {
  const c = (globalThis as { crypto?: { getRandomValues?: (b: Uint8Array) => unknown } }).crypto;
  if (c?.getRandomValues === undefined) {
    throw new TypeError('No crypto.getRandomValues in this runtime: pass randomFill');
  }
  c.getRandomValues(bytes);
}

/** A fresh `Sec-WebSocket-Key`: base64 of 16 random bytes from `randomFill`. */
export function generateKey(randomFill: RandomFill = defaultRandomFill): string {
  const bytes = new Uint8Array(16);
  randomFill(bytes);
  return encodeBase64(bytes);
}

/** True when `key` is the base64 encoding of exactly 16 bytes (RFC 6455 §4.2.1 item 5). */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  const bytes = decodeBase64(key);
  return bytes !== null && bytes.length === 16;
}
