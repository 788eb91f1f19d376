/**
 * Masking with WebAssembly SIMD: 16 bytes per `v128.xor`. WebAssembly can only touch its own
 * memory, so payloads are copied into a 64 KiB block, XORed there and copied back; the copies
 * run at memcpy speed, and the whole still beats 32-bit JavaScript words about threefold on
 * large payloads (measured with `apps/bench/src/codec-mask.js`). Compiled lazily on first use;
 * where WebAssembly or its SIMD proposal is missing or blocked (e.g. by a Content Security
 * Policy), the JavaScript path is used instead.
 */

/** Bytes moved through WebAssembly memory at once: one 64 KiB page, a multiple of 16. */
const BLOCK = 65536;

/**
 * The module, hand-assembled (no build step, no dependency). `xor` XORs `len` bytes from `ptr`
 * rounded up to a multiple of 16 (the caller's scratch space covers the rounding): 64 bytes
 * per iteration (four `v128.xor`, about twice as fast as one per iteration), then 16.
 *
 * ```wat
 * (module
 *   (memory (export "memory") 1)
 *   (func (export "xor") (param $ptr i32) (param $len i32) (param $key i32)
 *     (local $k v128) (local $end i32) (local $end64 i32)
 *     (local.set $k (i32x4.splat (local.get $key)))
 *     (local.set $end (i32.add (local.get $ptr)
 *       (i32.and (i32.add (local.get $len) (i32.const 15)) (i32.const -16))))
 *     (local.set $end64 (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -64))))
 *     (block $done64
 *       (loop $next64
 *         (br_if $done64 (i32.ge_u (local.get $ptr) (local.get $end64)))
 *         (v128.store offset=0 (local.get $ptr)
 *           (v128.xor (v128.load offset=0 (local.get $ptr)) (local.get $k)))
 *         ;; the same at offset=16, offset=32 and offset=48
 *         (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
 *         (br $next64)))
 *     (block $done
 *       (loop $next
 *         (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
 *         (v128.store (local.get $ptr) (v128.xor (v128.load (local.get $ptr)) (local.get $k)))
 *         (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
 *         (br $next)))))
 * ```
 */
/** `*(ptr + offset) ^= k` for one v128 (offset < 128: a one-byte LEB128 immediate). */
function xorAt(offset: number): number[] {
  // biome-ignore format: a byte table reads best as rows
  return [
    0x20, 0x00, // store address
    0x20, 0x00, 0xfd, 0x00, 0x04, offset, // v128.load offset
    0x20, 0x03, 0xfd, 0x51, // v128.xor k
    0xfd, 0x0b, 0x04, offset, // v128.store offset
  ];
}

// biome-ignore format: a byte table reads best as rows
const BODY = [
  0x02, 0x01, 0x7b, 0x02, 0x7f, // locals: 1 v128, 2 i32
  0x20, 0x02, 0xfd, 0x11, 0x21, 0x03, // k = i32x4.splat(key)
  0x20, 0x00, 0x20, 0x01, 0x41, 0x0f, 0x6a, 0x41, 0x70, 0x71, 0x6a, 0x21, 0x04, // end = ptr + ((len + 15) & -16)
  0x20, 0x00, 0x20, 0x01, 0x41, 0x40, 0x71, 0x6a, 0x21, 0x05, // end64 = ptr + (len & -64)
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x05, 0x4f, 0x0d, 0x01, // br_if done64 (ptr >= end64)
  ...xorAt(0), ...xorAt(16), ...xorAt(32), ...xorAt(48),
  0x20, 0x00, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x00, // ptr += 64
  0x0c, 0x00, 0x0b, 0x0b, // br next64, end loop, end block
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x04, 0x4f, 0x0d, 0x01, // br_if done (ptr >= end)
  ...xorAt(0),
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, // ptr += 16
  0x0c, 0x00, 0x0b, 0x0b, // br next, end loop, end block
  0x0b, // end func
];

/** Unsigned LEB128, for the section and body sizes. */
function leb128(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

const CODE = [0x01, ...leb128(BODY.length), ...BODY];

// biome-ignore format: a byte table reads best as rows
const MODULE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, // type: (i32 i32 i32) -> ()
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // one memory, 1 page
  0x07, 0x10, 0x02, // two exports
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory" = memory 0
  0x03, 0x78, 0x6f, 0x72, 0x00, 0x00, // "xor" = function 0
  0x0a, ...leb128(CODE.length), ...CODE, // code
];

/** The parts of the WebAssembly API used here (not in the ES lib typings). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: object,
  ) => { exports: { memory?: { buffer: ArrayBuffer }; xor?: unknown } };
}

type XorFunction = (pointer: number, length: number, laneKey: number) => void;

/** 0: not tried yet, 1: ready, 2: unavailable (or disabled). */
let state: 0 | 1 | 2 = 0;
let xor: XorFunction | null = null;
let block: Uint8Array = new Uint8Array(0);

function load(): boolean {
  state = 2;
  try {
    const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (api === undefined) return false;
    const { exports } = new api.Instance(new api.Module(new Uint8Array(MODULE)), {});
    if (typeof exports.xor !== 'function' || exports.memory === undefined) return false;
    xor = exports.xor as XorFunction;
    block = new Uint8Array(exports.memory.buffer, 0, BLOCK);
    state = 1;
    return true;
  } catch {
    // No WebAssembly, no SIMD (the module fails validation), or compilation blocked.
    return false;
  }
}

/** Whether the SIMD path can be used (compiles it on the first call). */
export function wasmMaskAvailable(): boolean {
  return state === 1 || (state === 0 && load());
}

/**
 * Switches the SIMD path off (`false`) or back on (`true`: tried again on next use). For tests
 * and benchmarks that compare it with the JavaScript path.
 * @internal
 */
export function setWasmMaskEnabled(enabled: boolean): void {
  state = enabled ? (xor === null ? 0 : 1) : 2;
}

/**
 * Masks `source` into `target` (the same array to mask in place; at least as long) with the
 * SIMD module, in 64 KiB blocks: each block is copied into WebAssembly memory, XORed there
 * (rounded up to 16 bytes: the memory past the block is scratch) and copied back, so the
 * whole payload is masked with two copies and no tail left to JavaScript. A payload of at
 * most 64 KiB (the usual case) is copied in without a view. `wasmMaskAvailable()` must be true.
 *
 * @param laneKey - the key bytes as they apply from index 0, read little-endian (the byte order
 *   of WebAssembly memory)
 * @internal
 */
export function wasmMaskBlocks(source: Uint8Array, target: Uint8Array, laneKey: number): void {
  const length = source.length;
  const fn = xor!;
  const memory = block;
  if (length <= BLOCK) {
    memory.set(source, 0);
    fn(0, length, laneKey);
    target.set(length === BLOCK ? memory : memory.subarray(0, length), 0);
    return;
  }
  for (let start = 0; start < length; start += BLOCK) {
    const n = Math.min(BLOCK, length - start);
    memory.set(source.subarray(start, start + n), 0);
    fn(0, n, laneKey);
    target.set(n === BLOCK ? memory : memory.subarray(0, n), start);
  }
}
