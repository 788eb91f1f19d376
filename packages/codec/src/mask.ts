/**
 * Masking (RFC 6455 §5.3): XOR with a 4-byte key, in place. Small payloads take a byte loop,
 * which beats the cost of setting up a word view; medium ones go through 32-bit words; large
 * ones through WebAssembly SIMD where available (see mask-wasm.ts).
 */
import { setWasmMaskEnabled, wasmMaskAvailable, wasmMaskBlocks } from './mask-wasm.js';

/** A masking function: XOR `data` in place with `maskKey`, starting `keyOffset` bytes into the key. */
export type MaskImplementation = (data: Uint8Array, maskKey: number, keyOffset: number) => void;

/**
 * A host's masking implementation (e.g. Node's `bufferutil`), handed to one parser or one
 * connection (`masking` option) instead of installed process-wide: a connection given one
 * uses it, every other connection keeps the codec's portable code. Both functions must compute
 * exactly what {@link mask} and {@link maskInto} compute; they only change speed.
 */
export interface MaskFunctions {
  /** XOR `data` in place with `maskKey`, starting `keyOffset` (0–3) bytes into the key. */
  mask(data: Uint8Array, maskKey: number, keyOffset: number): void;
  /** Write `source` XORed with the key into `target` from `targetOffset` (one pass). */
  maskInto(
    source: Uint8Array,
    target: Uint8Array,
    targetOffset: number,
    maskKey: number,
    keyOffset: number,
  ): void;
  /**
   * Payloads shorter than this stay in the codec's JavaScript (a native call costs more than
   * it saves on them); never used under 96 bytes. Default 256.
   */
  minLength?: number;
}

/**
 * Below this length the byte loop is at least as fast as the word loop (which must align and
 * build an `Int32Array` view). Measured with `apps/bench/src/codec-mask.js`.
 */
const WORD_LOOP_MIN_LENGTH = 96;

/**
 * From this length WebAssembly SIMD (with its two copies) beats the word loop. Measured with
 * `apps/bench/src/codec-mask.js`.
 */
const WASM_MIN_LENGTH = 384;

/** Default length from which a host implementation set without `minLength` is used. */
const DEFAULT_HOST_MIN_LENGTH = 256;

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let hostMask: MaskImplementation | null = null;
let hostMinLength = DEFAULT_HOST_MIN_LENGTH;

// A word view of the last small buffer masked: frames parsed from one received chunk share
// its buffer, so their payloads reuse one view instead of allocating one each. Only buffers
// up to 64 KiB are cached, so a large buffer is never kept alive by the cache.
const CACHE_MAX_BYTES = 65536;
let cachedBuffer: ArrayBufferLike | null = null;
let cachedWords: Int32Array = new Int32Array(0);

/**
 * A copy-and-mask function: writes `source` XORed with `maskKey` (starting `keyOffset` bytes
 * into the key) to `target` from `targetOffset`, leaving `source` as it was.
 */
export type MaskIntoImplementation = (
  source: Uint8Array,
  target: Uint8Array,
  targetOffset: number,
  maskKey: number,
  keyOffset: number,
) => void;

let hostMaskInto: MaskIntoImplementation | null = null;
let hostMaskIntoMinLength = DEFAULT_HOST_MIN_LENGTH;

/**
 * Installs a faster copy-and-mask function for {@link maskInto} on payloads of at least
 * `minLength` bytes (default 256), e.g. `bufferutil`'s `mask(source, key, output, offset,
 * length)` in Node; `null` restores the pure JavaScript one (WebAssembly SIMD or 32-bit words).
 */
export function setMaskIntoImplementation(
  fn: MaskIntoImplementation | null,
  minLength?: number,
): void {
  hostMaskInto = fn;
  hostMaskIntoMinLength = minLength ?? DEFAULT_HOST_MIN_LENGTH;
}

/**
 * Writes `source` masked with `maskKey` into `target` at `targetOffset`, in one pass: the copy
 * and the XOR of RFC 6455 §5.3 together, instead of a copy and then `mask` in place. `source`
 * is not modified; `target` and `source` must not overlap (unless they are the same bytes).
 * Masking is its own inverse, so this also unmasks received payload bytes into a new buffer.
 *
 * @param keyOffset - bytes of the key already used by earlier parts of the same payload
 *   (0–3; larger values are taken modulo 4), so a payload can be copied piecewise.
 * @param masking - a host implementation for this call (see {@link MaskFunctions}); default:
 *   the codec's own code (or the process-wide seam, when one was installed).
 * @throws RangeError when `source` does not fit in `target` from `targetOffset`.
 */
export function maskInto(
  source: Uint8Array,
  target: Uint8Array,
  targetOffset: number,
  maskKey: number,
  keyOffset = 0,
  masking?: MaskFunctions | null,
): void {
  const length = source.length;
  if (!(targetOffset >= 0 && targetOffset + length <= target.length)) {
    throw new RangeError(
      `${length} bytes do not fit at offset ${targetOffset} of ${target.length}`,
    );
  }
  if (length < WORD_LOOP_MIN_LENGTH) {
    copyMaskBytes(source, 0, length, target, targetOffset, maskKey, keyOffset);
    return;
  }
  if (masking != null && length >= (masking.minLength ?? DEFAULT_HOST_MIN_LENGTH)) {
    masking.maskInto(source, target, targetOffset, maskKey, keyOffset & 3);
    return;
  }
  if (hostMaskInto !== null && length >= hostMaskIntoMinLength) {
    hostMaskInto(source, target, targetOffset, maskKey, keyOffset & 3);
    return;
  }
  if (hostMask !== null && length >= hostMinLength) {
    // Only an in-place host mask: a copy at memcpy speed, then the native mask.
    const view = target.subarray(targetOffset, targetOffset + length);
    view.set(source);
    hostMask(view, maskKey, keyOffset & 3);
    return;
  }
  if (length >= WASM_MIN_LENGTH && wasmMaskAvailable()) {
    maskWasm(source, target.subarray(targetOffset, targetOffset + length), maskKey, keyOffset);
    return;
  }
  const sourceAt = source.byteOffset;
  const targetAt = target.byteOffset + targetOffset;
  if (((sourceAt ^ targetAt) & 3) !== 0) {
    // No common word alignment: copy at memcpy speed, then mask the copy in words.
    const view = target.subarray(targetOffset, targetOffset + length);
    view.set(source);
    mask(view, maskKey, keyOffset);
    return;
  }
  // Bytes before the first 4-byte aligned address (the same for both).
  const head = (4 - (sourceAt & 3)) & 3;
  const wordCount = (length - head) >>> 2;
  const tailStart = head + (wordCount << 2);
  if (head !== 0) copyMaskBytes(source, 0, head, target, targetOffset, maskKey, keyOffset);
  let key = keyAt(maskKey, head, keyOffset);
  if (littleEndian) key = swap(key);
  const from = new Int32Array(source.buffer, sourceAt + head, wordCount);
  const to = new Int32Array(target.buffer, targetAt + head, wordCount);
  const end4 = wordCount & ~3;
  let i = 0;
  for (; i < end4; i += 4) {
    to[i] = from[i]! ^ key;
    to[i + 1] = from[i + 1]! ^ key;
    to[i + 2] = from[i + 2]! ^ key;
    to[i + 3] = from[i + 3]! ^ key;
  }
  for (; i < wordCount; i++) to[i] = from[i]! ^ key;
  if (tailStart < length) {
    copyMaskBytes(source, tailStart, length, target, targetOffset, maskKey, keyOffset);
  }
}

/** `target[targetOffset + i] = source[i] ^ key[(i + keyOffset) % 4]` for `i` in `start..end`. */
function copyMaskBytes(
  source: Uint8Array,
  start: number,
  end: number,
  target: Uint8Array,
  targetOffset: number,
  maskKey: number,
  keyOffset: number,
): void {
  const key = keyAt(maskKey, start, keyOffset);
  const k0 = key >>> 24;
  const k1 = (key >>> 16) & 0xff;
  const k2 = (key >>> 8) & 0xff;
  const k3 = key & 0xff;
  let i = start;
  let j = targetOffset + start;
  const end4 = start + ((end - start) & ~3);
  for (; i < end4; i += 4, j += 4) {
    target[j] = source[i]! ^ k0;
    target[j + 1] = source[i + 1]! ^ k1;
    target[j + 2] = source[i + 2]! ^ k2;
    target[j + 3] = source[i + 3]! ^ k3;
  }
  if (i < end) {
    target[j] = source[i]! ^ k0;
    if (i + 1 < end) {
      target[j + 1] = source[i + 1]! ^ k1;
      if (i + 2 < end) target[j + 2] = source[i + 2]! ^ k2;
    }
  }
}

/**
 * The process-wide host masking installed with {@link setMaskImplementation} /
 * {@link setMaskIntoImplementation}; both `null` when none was (every connection without its
 * own `masking` then uses the codec's JavaScript and WebAssembly code).
 */
export function processMaskImplementation(): {
  mask: MaskImplementation | null;
  maskInto: MaskIntoImplementation | null;
} {
  return { mask: hostMask, maskInto: hostMaskInto };
}

/**
 * Installs a faster masking function for payloads of at least `minLength` bytes (default
 * 256), e.g. `bufferutil`'s native mask in Node; `null` restores the pure JavaScript one.
 * Payloads under 96 bytes always stay in JavaScript, where a native call costs more than it
 * saves (measured with `apps/bench/src/codec-mask.js`).
 */
export function setMaskImplementation(fn: MaskImplementation | null, minLength?: number): void {
  hostMask = fn;
  hostMinLength = minLength ?? DEFAULT_HOST_MIN_LENGTH;
}

/**
 * XORs `data` in place with the masking key `maskKey` (the 4 key bytes read big-endian as an
 * unsigned 32-bit integer). Masking twice restores the data.
 *
 * @param keyOffset - bytes of the key already used by earlier parts of the same payload
 *   (0–3; larger values are taken modulo 4), so a payload can be masked piecewise.
 * @param masking - a host implementation for this call (see {@link MaskFunctions}); default:
 *   the codec's own code (or the process-wide seam, when one was installed).
 */
export function mask(
  data: Uint8Array,
  maskKey: number,
  keyOffset = 0,
  masking?: MaskFunctions | null,
): void {
  const length = data.length;
  if (length < WORD_LOOP_MIN_LENGTH) {
    maskBytes(data, 0, length, maskKey, keyOffset);
    return;
  }
  if (masking != null && length >= (masking.minLength ?? DEFAULT_HOST_MIN_LENGTH)) {
    masking.mask(data, maskKey, keyOffset & 3);
    return;
  }
  if (hostMask !== null && length >= hostMinLength) {
    hostMask(data, maskKey, keyOffset & 3);
    return;
  }
  if (length >= WASM_MIN_LENGTH && wasmMaskAvailable()) {
    maskWasm(data, data, maskKey, keyOffset);
    return;
  }
  maskWords(data, maskKey, keyOffset);
}

/** `maskKey` rotated so that its first byte applies at `index` (given `keyOffset`). */
function keyAt(maskKey: number, index: number, keyOffset: number): number {
  const shift = ((index + keyOffset) & 3) << 3;
  return shift === 0 ? maskKey | 0 : (maskKey << shift) | (maskKey >>> (32 - shift));
}

/** Byte-swaps a 32-bit key: big-endian key bytes → the integer a little-endian load gives. */
function swap(key: number): number {
  return (key >>> 24) | ((key >>> 8) & 0xff00) | ((key << 8) & 0xff0000) | (key << 24);
}

/** Masks `source` into `target` (may be the same array) through WebAssembly SIMD. */
function maskWasm(
  source: Uint8Array,
  target: Uint8Array,
  maskKey: number,
  keyOffset: number,
): void {
  wasmMaskBlocks(source, target, swap(keyAt(maskKey, 0, keyOffset)));
}

/**
 * Turns the WebAssembly SIMD path off or on, so tests and benchmarks can compare it with the
 * JavaScript word loop.
 * @internal
 */
export function setWasmMasking(enabled: boolean): void {
  setWasmMaskEnabled(enabled);
}

/**
 * A masked copy of `source` (a plain `Uint8Array`, whatever subclass `source` is: a Node
 * `Buffer`'s `slice` would share memory). Small payloads are copied and masked in one pass.
 * @internal
 */
export function maskedCopy(
  source: Uint8Array,
  maskKey: number,
  masking?: MaskFunctions | null,
): Uint8Array {
  const length = source.length;
  const target = new Uint8Array(length);
  if (length >= WORD_LOOP_MIN_LENGTH) {
    if (masking != null) {
      maskInto(source, target, 0, maskKey, 0, masking);
      return target;
    }
    if (length >= WASM_MIN_LENGTH && hostMask === null && wasmMaskAvailable()) {
      // Straight from source to target through WebAssembly memory: no extra copy.
      maskWasm(source, target, maskKey, 0);
      return target;
    }
    target.set(source);
    mask(target, maskKey);
    return target;
  }
  const k0 = maskKey >>> 24;
  const k1 = (maskKey >>> 16) & 0xff;
  const k2 = (maskKey >>> 8) & 0xff;
  const k3 = maskKey & 0xff;
  let i = 0;
  const end4 = length & ~3;
  for (; i < end4; i += 4) {
    target[i] = source[i]! ^ k0;
    target[i + 1] = source[i + 1]! ^ k1;
    target[i + 2] = source[i + 2]! ^ k2;
    target[i + 3] = source[i + 3]! ^ k3;
  }
  if (i < length) {
    target[i] = source[i]! ^ k0;
    if (i + 1 < length) {
      target[i + 1] = source[i + 1]! ^ k1;
      if (i + 2 < length) target[i + 2] = source[i + 2]! ^ k2;
    }
  }
  return target;
}

/** The byte loop: `data[i] ^= key[(i + keyOffset) % 4]` for `i` in `start..end`. */
function maskBytes(
  data: Uint8Array,
  start: number,
  end: number,
  maskKey: number,
  keyOffset: number,
): void {
  // Rotate the key so that its first byte applies to data[start].
  const shift = ((start + keyOffset) & 3) << 3;
  const key = shift === 0 ? maskKey : ((maskKey << shift) | (maskKey >>> (32 - shift))) >>> 0;
  const k0 = key >>> 24;
  const k1 = (key >>> 16) & 0xff;
  const k2 = (key >>> 8) & 0xff;
  const k3 = key & 0xff;
  let i = start;
  // Eight bytes per iteration (measured ~10% faster than four on 64-byte payloads).
  const end8 = start + ((end - start) & ~7);
  for (; i < end8; i += 8) {
    data[i] = data[i]! ^ k0;
    data[i + 1] = data[i + 1]! ^ k1;
    data[i + 2] = data[i + 2]! ^ k2;
    data[i + 3] = data[i + 3]! ^ k3;
    data[i + 4] = data[i + 4]! ^ k0;
    data[i + 5] = data[i + 5]! ^ k1;
    data[i + 6] = data[i + 6]! ^ k2;
    data[i + 7] = data[i + 7]! ^ k3;
  }
  if (i + 4 <= end) {
    data[i] = data[i]! ^ k0;
    data[i + 1] = data[i + 1]! ^ k1;
    data[i + 2] = data[i + 2]! ^ k2;
    data[i + 3] = data[i + 3]! ^ k3;
    i += 4;
  }
  if (i < end) {
    data[i] = data[i]! ^ k0;
    if (i + 1 < end) {
      data[i + 1] = data[i + 1]! ^ k1;
      if (i + 2 < end) data[i + 2] = data[i + 2]! ^ k2;
    }
  }
}

function maskWords(data: Uint8Array, maskKey: number, keyOffset: number): void {
  const length = data.length;
  const byteOffset = data.byteOffset;
  // Bytes before the first 4-byte aligned address.
  const head = (4 - (byteOffset & 3)) & 3;
  const wordCount = (length - head) >>> 2;
  const tailStart = head + (wordCount << 2);
  if (head !== 0) maskBytes(data, 0, head, maskKey, keyOffset);
  // The key bytes in the order they apply from the first aligned byte on, as the int32 a
  // word load of those bytes gives (int32, not uint32: values stay in V8's fast integer range).
  let key = keyAt(maskKey, head, keyOffset);
  if (littleEndian) key = swap(key);
  const buffer = data.buffer;
  let words: Int32Array;
  let index: number;
  // The length check keeps a stale view of a since-resized buffer out of use.
  if (buffer === cachedBuffer && ((byteOffset + head) >>> 2) + wordCount <= cachedWords.length) {
    words = cachedWords;
    index = (byteOffset + head) >>> 2;
  } else if (buffer.byteLength <= CACHE_MAX_BYTES) {
    words = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    cachedBuffer = buffer;
    cachedWords = words;
    index = (byteOffset + head) >>> 2;
  } else {
    words = new Int32Array(buffer, byteOffset + head, wordCount);
    index = 0;
  }
  const end = index + wordCount;
  // Four words per iteration: measurably faster than one in V8 and JavaScriptCore.
  const end4 = index + (wordCount & ~3);
  for (; index < end4; index += 4) {
    words[index] = words[index]! ^ key;
    words[index + 1] = words[index + 1]! ^ key;
    words[index + 2] = words[index + 2]! ^ key;
    words[index + 3] = words[index + 3]! ^ key;
  }
  for (; index < end; index++) words[index] = words[index]! ^ key;
  if (tailStart < length) maskBytes(data, tailStart, length, maskKey, keyOffset);
}
