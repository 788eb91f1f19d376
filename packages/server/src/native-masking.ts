/**
 * Native unmasking for the server's connections from the optional `bufferutil` package, the
 * way `ws` uses it: loaded when installed, never required, the same bytes as the codec's
 * JavaScript. Handed to each connection as the engine's per-connection `masking` option, so
 * nothing process-wide changes. Frames under the codec's threshold (256 bytes by default)
 * stay in JavaScript, where a native call costs more than it saves; above it one native pass
 * copies and unmasks a payload gathered across reads (a 1 MiB message spends most of its
 * server CPU there with the portable code: see apps/bench/README.md, "server").
 * `STRATA_NO_BUFFERUTIL=1` turns it off (as for `@strata-ws/client`).
 */
import { createRequire } from 'node:module';
import type { MaskFunctions } from '@strata-ws/codec';

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

function loadBufferUtil(): BufferUtil | null {
  if (process.env.STRATA_NO_BUFFERUTIL) return null;
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
    maskInto(source, target, targetOffset, maskKey, keyOffset) {
      setKey(maskKey, keyOffset);
      bufferUtil.mask(source, key, target, targetOffset, source.length);
    },
  };
}

/**
 * The masking of the server's connections: bufferutil's when it is installed and
 * `STRATA_NO_BUFFERUTIL` is not set, else `null` (the codec's JavaScript). Loaded once.
 */
export function serverMasking(): MaskFunctions | null {
  if (masking === undefined) {
    const bufferUtil = loadBufferUtil();
    masking = bufferUtil === null ? null : bufferUtilMasking(bufferUtil);
  }
  return masking;
}
