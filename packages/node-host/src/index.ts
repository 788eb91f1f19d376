/**
 * The Node host capabilities Strata's Node packages (server, client, `@strata-ws/ws`) hand the
 * portable layers, chosen in this one place:
 * - per process: native UTF-8 validation and SHA-1 (process-wide seams of the codec and the
 *   handshake), {@link installNodeHost};
 * - per connection: native masking from the optional `bufferutil` package, the way `ws` uses
 *   it, as the engine's `masking` option ({@link nodeMasking});
 * - the engine's output allocator on Node ({@link allocateBuffer}).
 */
import { isUtf8 } from 'node:buffer';
import * as crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { type MaskFunctions, setUtf8Validator } from '@strata-ws/codec';
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
 * and SHA-1 from node:crypto for `Sec-WebSocket-Accept`. They give the same answers as the
 * portable code, only faster. Idempotent; called by constructors rather than at import so that
 * the packages stay free of import side effects.
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

interface BufferUtil {
  mask(
    source: Uint8Array,
    mask: Uint8Array,
    output: Uint8Array,
    offset: number,
    length: number,
  ): void;
}

let masking: MaskFunctions | null | undefined;

/** `bufferutil` when installed and not turned off (`STRATA_NO_BUFFERUTIL`, or `ws`'s `WS_NO_BUFFER_UTIL`). */
function loadBufferUtil(): BufferUtil | null {
  if (process.env.STRATA_NO_BUFFERUTIL || process.env.WS_NO_BUFFER_UTIL) return null;
  try {
    const loaded = createRequire(import.meta.url)('bufferutil') as Partial<BufferUtil>;
    return typeof loaded.mask === 'function' ? (loaded as BufferUtil) : null;
  } catch {
    return null;
  }
}

/** bufferutil's mask as the engine's {@link MaskFunctions} (synchronous: one shared key buffer). */
function bufferUtilMasking(bufferUtil: BufferUtil): MaskFunctions {
  const key = new Uint8Array(4);
  // The key bytes, rotated by the part of the key already used.
  const setKey = (maskKey: number, keyOffset: number): void => {
    for (let i = 0; i < 4; i++) key[i] = (maskKey >>> (24 - 8 * ((i + keyOffset) & 3))) & 0xff;
  };
  return {
    mask(data, maskKey, keyOffset) {
      setKey(maskKey, keyOffset);
      bufferUtil.mask(data, key, data, 0, data.length);
    },
    // Copy and mask in one native pass (payloads gathered across reads, masked sends).
    maskInto(source, target, targetOffset, maskKey, keyOffset) {
      setKey(maskKey, keyOffset);
      bufferUtil.mask(source, key, target, targetOffset, source.length);
    },
  };
}

/**
 * Native masking for a connection, from the optional `bufferutil` package (what `ws` does):
 * handed to each connection as the engine's per-connection `masking` option, so nothing
 * process-wide changes; frames under the codec's threshold stay in JavaScript, where a native
 * call costs more than it saves. `null` (the codec's JavaScript) when bufferutil is not
 * installed or `STRATA_NO_BUFFERUTIL` / `WS_NO_BUFFER_UTIL` is set. Loaded once per process.
 */
export function nodeMasking(): MaskFunctions | null {
  if (masking === undefined) {
    const bufferUtil = loadBufferUtil();
    masking = bufferUtil === null ? null : bufferUtilMasking(bufferUtil);
  }
  return masking;
}
