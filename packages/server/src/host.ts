/**
 * The Node host capabilities the server hands the portable layers, chosen in one place:
 * native UTF-8 validation and SHA-1 (process-wide seams of the codec and the handshake).
 * Masking is chosen per connection by the engine (the server keeps the codec's default).
 */
import { isUtf8 } from 'node:buffer';
import * as crypto from 'node:crypto';
import { setUtf8Validator } from '@strata-ws/codec';
import { setSha1 } from '@strata-ws/handshake';

let installed = false;

type OneShotHash = (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer;
// `crypto.hash` (Node >= 20.12) skips the Hash object a createHash() call builds.
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

function nodeSha1(data: Uint8Array): Uint8Array {
  return oneShot !== undefined
    ? oneShot('sha1', data, 'buffer')
    : crypto.createHash('sha1').update(data).digest();
}

/**
 * Hands the portable layers Node's fast paths: native UTF-8 validation (`buffer.isUtf8`)
 * and SHA-1 from node:crypto for `Sec-WebSocket-Accept`. Masking stays the codec's
 * 32-bit-word JavaScript loop (no native dependency). Idempotent; called by the server
 * constructor rather than at import so that the package stays free of import side effects.
 */
export function installNodeHost(): void {
  if (installed) return;
  installed = true;
  setUtf8Validator(isUtf8);
  setSha1(nodeSha1);
}

/**
 * The engine's byte allocator on Node: `Buffer.allocUnsafe`, so the chunks handed to sockets
 * are Buffers (node:stream wraps any other Uint8Array in a new Buffer on every write). One
 * function for the whole process: the engine keeps one shared output slab per allocator.
 * Every byte is written by the engine before use.
 */
export const allocateBuffer = (length: number): Uint8Array => Buffer.allocUnsafe(length);
