/**
 * Node's fast paths for the portable layers, installed once when the first connection is
 * made (not at import, so that the package has no import side effects): native UTF-8
 * validation (`buffer.isUtf8`), SHA-1 from node:crypto, and — when the optional `bufferutil`
 * package is installed, as for `ws` — its native mask for large payloads.
 */

import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  setMaskImplementation,
  setMaskIntoImplementation,
  setUtf8Validator,
} from '@strata-ws/codec';
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

/** Installs the fast paths (idempotent). */
export function installNodeHost(): void {
  if (installed) return;
  installed = true;
  setUtf8Validator(isUtf8);
  setSha1(nodeSha1);
  const bufferUtil = loadBufferUtil();
  if (bufferUtil !== null) {
    const key = new Uint8Array(4);
    setMaskImplementation((data, maskKey, keyOffset) => {
      // The key bytes, rotated by the part of the key already used.
      for (let i = 0; i < 4; i++) key[i] = (maskKey >>> (24 - 8 * ((i + keyOffset) & 3))) & 0xff;
      bufferUtil.mask(data, key, data, 0, data.length);
    });
    // Copy and mask in one native pass (masked sends, payloads gathered across reads).
    setMaskIntoImplementation((source, target, targetOffset, maskKey, keyOffset) => {
      for (let i = 0; i < 4; i++) key[i] = (maskKey >>> (24 - 8 * ((i + keyOffset) & 3))) & 0xff;
      bufferUtil.mask(source, key, target, targetOffset, source.length);
    });
  }
}
