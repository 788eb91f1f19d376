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
 * The module, hand-assembled (no build step, no dependency):
 *
 * ```wat
 * (module
 *   (memory (export "memory") 1)
 *   (func (export "xor") (param $ptr i32) (param $len i32) (param $key i32)
 *     (local $k v128) (local $end i32)
 *     (local.set $k (i32x4.splat (local.get $key)))
 *     (local.set $end (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -16))))
 *     (block $done
 *       (loop $next
 *         (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
 *         (v128.store (local.get $ptr) (v128.xor (v128.load (local.get $ptr)) (local.get $k)))
 *         (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
 *         (br $next)))))
 * ```
 */
// biome-ignore format: a byte table reads best as rows
const BODY = [
  0x02, 0x01, 0x7b, 0x01, 0x7f, // locals: 1 v128, 1 i32
  0x20, 0x02, 0xfd, 0x11, 0x21, 0x03, // k = i32x4.splat(key)
  0x20, 0x00, 0x20, 0x01, 0x41, 0x70, 0x71, 0x6a, 0x21, 0x04, // end = ptr + (len & -16)
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x04, 0x4f, 0x0d, 0x01, // br_if done (ptr >= end)
  0x20, 0x00, // store address
  0x20, 0x00, 0xfd, 0x00, 0x04, 0x00, // v128.load
  0x20, 0x03, 0xfd, 0x51, // v128.xor k
  0xfd, 0x0b, 0x04, 0x00, // v128.store
  0x20, 0x00, 0x41, 0x10, 0x6a, 0x21, 0x00, // ptr += 16
  0x0c, 0x00, // br next
  0x0b, 0x0b, 0x0b, // end loop, end block, end func
];

// biome-ignore format: a byte table reads best as rows
const MODULE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x07, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00, // type: (i32 i32 i32) -> ()
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // one memory, 1 page
  0x07, 0x10, 0x02, // two exports
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory" = memory 0
  0x03, 0x78, 0x6f, 0x72, 0x00, 0x00, // "xor" = function 0
  0x0a, BODY.length + 2, 0x01, BODY.length, ...BODY, // code
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
 * Masks `source` into `target` (the same array to mask in place) with the SIMD module, in 64
 * KiB blocks; the last bytes that do not fill 16 are left to `finishTail(start)`, which must
 * mask `target[start..]` from `source[start..]`. `wasmMaskAvailable()` must be true.
 *
 * @param laneKey - the key bytes as they apply from index 0, read little-endian (the byte order
 *   of WebAssembly memory)
 * @returns the index where the unmasked tail starts
 * @internal
 */
export function wasmMaskBlocks(source: Uint8Array, target: Uint8Array, laneKey: number): number {
  const length = source.length;
  const fn = xor!;
  const memory = block;
  let start = 0;
  for (; start + 16 <= length; start += BLOCK) {
    const n = Math.min(BLOCK, length - start) & ~15;
    memory.set(n === length && start === 0 ? source : source.subarray(start, start + n), 0);
    fn(0, n, laneKey);
    target.set(n === BLOCK ? memory : memory.subarray(0, n), start);
    if (n < BLOCK) return start + n;
  }
  return start;
}
