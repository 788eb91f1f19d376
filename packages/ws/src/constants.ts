/**
 * Shared constants of the `ws` API surface (ready states, defaults `ws` documents) and the
 * Node host hooks handed to the portable layers (native UTF-8 validation, node:crypto SHA-1).
 */
import { isUtf8 } from 'node:buffer';
import * as crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { type MaskFunctions, setUtf8Validator } from '@strata-ws/codec';
import { setSha1 } from '@strata-ws/handshake';

/** `readyState` names, indexed by value, as `ws` prints them in its errors. */
export const READY_STATE_NAMES: readonly string[] = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'];

/** `ws`'s default `maxPayload`: 100 MiB (Strata's servers default to 16 MiB; see the README). */
export const WS_DEFAULT_MAX_PAYLOAD: number = 100 * 1024 * 1024;

/** `ws`'s close timeout: how long a closing socket may take before it is destroyed. */
export const CLOSE_TIMEOUT_MS = 30_000;

/** An empty Buffer, shared (the `reason` of a close without one). */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** The binary types `ws` accepts. */
export const BINARY_TYPES: readonly string[] = ['nodebuffer', 'arraybuffer', 'fragments'];

/**
 * The engine's output allocator: `Buffer.allocUnsafe`, so the chunks written to sockets are
 * Buffers (node:stream wraps any other Uint8Array in a new Buffer on every write).
 */
export const allocateBuffer = (length: number): Uint8Array => Buffer.allocUnsafe(length);

let installed = false;

type OneShotHash = (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer;
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;

function nodeSha1(data: Uint8Array): Uint8Array {
  return oneShot !== undefined
    ? oneShot('sha1', data, 'buffer')
    : crypto.createHash('sha1').update(data).digest();
}

/**
 * Hands the portable layers Node's fast paths (native UTF-8 validation, SHA-1 from
 * node:crypto). Idempotent; called by the constructors, so importing has no side effect.
 */
export function installNodeHost(): void {
  if (installed) return;
  installed = true;
  setUtf8Validator(isUtf8);
  setSha1(nodeSha1);
}

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

/**
 * Native masking from the optional `bufferutil` package when it is installed — what `ws` does —
 * as the engine's per-connection `masking` option (nothing process-wide; payloads under the
 * engine's threshold keep the codec's JavaScript). `null` when absent or with `WS_NO_BUFFER_UTIL`
 * set (ws's variable). Loaded once.
 */
export function nodeMasking(): MaskFunctions | null {
  if (masking !== undefined) return masking;
  masking = null;
  if (process.env.WS_NO_BUFFER_UTIL) return masking;
  let util: Partial<BufferUtil>;
  try {
    util = createRequire(import.meta.url)('bufferutil') as Partial<BufferUtil>;
  } catch {
    return masking;
  }
  if (typeof util.mask !== 'function') return masking;
  const native = util as BufferUtil;
  const key = new Uint8Array(4);
  const setKey = (maskKey: number, keyOffset: number): void => {
    for (let i = 0; i < 4; i++) key[i] = (maskKey >>> (24 - 8 * ((i + keyOffset) & 3))) & 0xff;
  };
  masking = {
    mask(data, maskKey, keyOffset) {
      setKey(maskKey, keyOffset);
      native.mask(data, key, data, 0, data.length);
    },
    maskInto(source, target, targetOffset, maskKey, keyOffset) {
      setKey(maskKey, keyOffset);
      native.mask(source, key, target, targetOffset, source.length);
    },
  };
  return masking;
}
