/**
 * Node's fast paths for the portable layers. Two kinds, kept apart on purpose:
 *
 * - Per connection: native masking from the optional `bufferutil` package (as `ws` uses it),
 *   handed to each client connection as the engine's `masking` option ({@link nodeMasking}).
 *   Nothing process-wide changes, so a server in the same process keeps the codec's JavaScript
 *   unmasking (which it chooses on purpose: short client frames gain nothing from a native call).
 * - Per process, the same as `@strata-ws/server` installs: native UTF-8 validation
 *   (`buffer.isUtf8`) and SHA-1 from node:crypto ({@link installNodeHost}). They give the same
 *   answers as the portable code, only faster, so installing them changes no behaviour.
 *
 * Both happen when the first connection is made, not at import (no import side effects).
 */

import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { type MaskFunctions, setUtf8Validator } from '@strata-ws/codec';
import { setSha1 } from '@strata-ws/handshake';

interface BufferUtil {
  mask(
    source: Uint8Array,
    mask: Uint8Array,
    output: Uint8Array,
    offset: number,
    length: number,
  ): void;
}

let installed = false;
let masking: MaskFunctions | null | undefined;

function nodeSha1(data: Uint8Array): Uint8Array {
  return createHash('sha1').update(data).digest();
}

function loadBufferUtil(): BufferUtil | null {
  if (process.env.STRATA_NO_BUFFERUTIL) return null;
  try {
    const loaded = createRequire(import.meta.url)('bufferutil') as Partial<BufferUtil>;
    return typeof loaded.mask === 'function' ? (loaded as BufferUtil) : null;
  } catch {
    return null;
  }
}

/** bufferutil's mask as the engine's per-connection {@link MaskFunctions}. */
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
    // Copy and mask in one native pass (masked sends, payloads gathered across reads).
    maskInto(source, target, targetOffset, maskKey, keyOffset) {
      setKey(maskKey, keyOffset);
      bufferUtil.mask(source, key, target, targetOffset, source.length);
    },
  };
}

/**
 * The masking every client connection of this process uses: bufferutil's when it is installed
 * (and `STRATA_NO_BUFFERUTIL` is not set), else `null` (the codec's JavaScript). Loaded once.
 */
export function nodeMasking(): MaskFunctions | null {
  if (masking === undefined) {
    const bufferUtil = loadBufferUtil();
    masking = bufferUtil === null ? null : bufferUtilMasking(bufferUtil);
  }
  return masking;
}

/** Installs the process-wide fast paths that change no behaviour (idempotent). */
export function installNodeHost(): void {
  if (installed) return;
  installed = true;
  setUtf8Validator(isUtf8);
  setSha1(nodeSha1);
}
