/**
 * `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.1, §4.2.2, §1.3).
 */

import { encodeBase64 } from './base64.js';
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
  if (key.length !== 24) return encodeBase64(sha1(latin1Bytes(key + WEBSOCKET_GUID)));
  // Every valid key: the 24 key bytes go in front of the GUID in a reused buffer (SHA-1 is
  // synchronous and copies nothing it is given), so nothing is allocated but the digest.
  const input = ACCEPT_INPUT;
  for (let i = 0; i < 24; i++) input[i] = key.charCodeAt(i) & 0xff;
  return encodeBase64(sha1(input));
}

/** Key (24 bytes) + GUID (36 bytes), the GUID written once. */
const ACCEPT_INPUT = new Uint8Array(60);
for (let i = 0; i < 36; i++) ACCEPT_INPUT[24 + i] = WEBSOCKET_GUID.charCodeAt(i);

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
  // 22 base64 characters then "==": 16 bytes (decoded without allocating).
  for (let i = 0; i < 22; i++) if (!isBase64Char(key.charCodeAt(i))) return false;
  return true;
}

function isBase64Char(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2b || // +
    c === 0x2f // /
  );
}
