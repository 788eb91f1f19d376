// RFC 6455 §5.3 (client-to-server masking).
import { MASK_VECTORS, patternBytes, RFC6455_FRAMES } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { assertBytes } from '../test/host.js';
import {
  mask,
  maskInto,
  setMaskImplementation,
  setMaskIntoImplementation,
  setWasmMasking,
} from './mask.js';
import { wasmMaskAvailable } from './mask-wasm.js';

/** The definition: data[i] ^= key[(i + offset) % 4], byte by byte. */
function referenceMask(data: Uint8Array, maskKey: number, keyOffset: number): Uint8Array {
  const key = [maskKey >>> 24, (maskKey >>> 16) & 0xff, (maskKey >>> 8) & 0xff, maskKey & 0xff];
  return data.map((b, i) => b ^ key[(i + keyOffset) & 3]!);
}

afterEach(() => {
  setMaskImplementation(null);
  setMaskIntoImplementation(null);
  setWasmMasking(true);
});

describe('mask (RFC 6455 §5.3)', () => {
  for (const vector of MASK_VECTORS) {
    test(vector.name, () => {
      const data = vector.plain.slice();
      mask(data, vector.maskKey, vector.keyOffset);
      expect(data).toEqual(vector.masked);
      mask(data, vector.maskKey, vector.keyOffset);
      expect(data).toEqual(vector.plain);
    });
  }

  test('§5.7 masked "Hello" unmasks in place', () => {
    const { wire, payload } = RFC6455_FRAMES.maskedText;
    const body = wire.slice(6);
    mask(body, 0x37fa213d);
    expect(body).toEqual(payload);
  });

  test('every length 0..300 at every alignment and key offset matches the definition', () => {
    const backing = patternBytes(320, 7);
    for (let length = 0; length <= 300; length += length < 80 ? 1 : 13) {
      for (let align = 0; align < 4; align++) {
        for (let keyOffset = 0; keyOffset < 4; keyOffset++) {
          const buffer = backing.slice();
          const data = buffer.subarray(align, align + length);
          const expected = referenceMask(data, 0x9abcdef0, keyOffset);
          mask(data, 0x9abcdef0, keyOffset);
          assertBytes(data, expected, `length ${length} align ${align} offset ${keyOffset}`);
          // Bytes around the view stay untouched.
          assertBytes(buffer.subarray(0, align), backing.subarray(0, align));
          assertBytes(buffer.subarray(align + length), backing.subarray(align + length));
        }
      }
    }
  });

  test('masking a payload piecewise with keyOffset equals masking it whole', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (bytes, maskKey, cuts) => {
          const whole = bytes.slice();
          mask(whole, maskKey);
          assertBytes(whole, referenceMask(bytes, maskKey, 0));
          const pieces = bytes.slice();
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          let start = 0;
          for (const end of [...points, bytes.length]) {
            mask(pieces.subarray(start, end), maskKey, start);
            start = end;
          }
          assertBytes(pieces, whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('word views of one shared buffer stay correct across payloads (the view cache)', () => {
    const chunk = patternBytes(4096, 3);
    const expected = chunk.slice();
    for (const [start, end, key] of [
      [1, 700, 0x01020304],
      [701, 2000, 0xa0b0c0d0],
      [2003, 4096, 0xffffffff],
      [5, 600, 0x11111111],
    ] as const) {
      expected.set(referenceMask(expected.subarray(start, end), key, 0), start);
      mask(chunk.subarray(start, end), key);
    }
    assertBytes(chunk, expected);
  });

  test('large buffers (over 64 KiB) mask correctly', () => {
    const data = patternBytes(200_003, 1);
    const expected = referenceMask(data.subarray(3), 0xcafebabe, 1);
    mask(data.subarray(3), 0xcafebabe, 1);
    assertBytes(data.subarray(3), expected);
  });
});

describe('mask through WebAssembly SIMD and through 32-bit words', () => {
  test('SIMD is available in this runtime (Node)', () => {
    expect(wasmMaskAvailable()).toBe(true);
  });

  for (const simd of [true, false]) {
    test(`${simd ? 'SIMD' : 'words'}: lengths around the thresholds and blocks, every alignment and key offset`, () => {
      setWasmMasking(simd);
      const lengths = [
        511,
        512,
        513,
        527,
        528,
        1000,
        4099,
        65535,
        65536,
        65537,
        65536 + 31,
        131075,
      ];
      const backing = patternBytes(131075 + 8, 11);
      for (const length of lengths) {
        for (let align = 0; align < 4; align++) {
          for (let keyOffset = 0; keyOffset < 4; keyOffset++) {
            if (length > 5000 && (align + keyOffset) % 3 !== 0) continue;
            const buffer = backing.slice(0, length + 8);
            const data = buffer.subarray(align, align + length);
            const expected = referenceMask(data, 0xc0ffee11, keyOffset);
            mask(data, 0xc0ffee11, keyOffset);
            assertBytes(data, expected, `length ${length} align ${align} offset ${keyOffset}`);
            assertBytes(buffer.subarray(0, align), backing.subarray(0, align));
            assertBytes(
              buffer.subarray(align + length),
              backing.subarray(align + length, length + 8),
            );
          }
        }
      }
    });
  }

  test('a host implementation takes precedence over SIMD', () => {
    let calls = 0;
    setMaskImplementation(() => {
      calls++;
    }, 256);
    mask(new Uint8Array(4096), 1);
    expect(calls).toBe(1);
  });
});

describe('setMaskImplementation (host seam)', () => {
  test('is used from minLength on, with the key offset reduced to 0..3', () => {
    const calls: [number, number, number][] = [];
    setMaskImplementation((data, maskKey, keyOffset) => {
      calls.push([data.length, maskKey, keyOffset]);
    }, 100);
    mask(new Uint8Array(99), 1);
    mask(new Uint8Array(100), 2, 5);
    expect(calls).toEqual([[100, 2, 1]]);
  });

  test('defaults to 256 bytes and never takes payloads under 96 bytes', () => {
    let used = 0;
    setMaskImplementation(() => {
      used++;
    });
    mask(new Uint8Array(255), 1);
    expect(used).toBe(0);
    mask(new Uint8Array(256), 1);
    expect(used).toBe(1);
    setMaskImplementation(() => {
      used++;
    }, 0);
    mask(new Uint8Array(95), 1);
    expect(used).toBe(1);
    mask(new Uint8Array(96), 1);
    expect(used).toBe(2);
  });

  test('null restores the JavaScript implementation', () => {
    setMaskImplementation(() => {}, 0);
    setMaskImplementation(null);
    const data = new Uint8Array(2000);
    mask(data, 0x01010101);
    expect(data.every((b) => b === 1)).toBe(true);
  });
});

describe('maskInto (copy and mask in one pass, RFC 6455 §5.3)', () => {
  /** The definition, byte by byte, on a copy of `target`. */
  function referenceInto(
    source: Uint8Array,
    target: Uint8Array,
    offset: number,
    maskKey: number,
    keyOffset: number,
  ): Uint8Array {
    const expected = target.slice();
    expected.set(referenceMask(source, maskKey, keyOffset), offset);
    return expected;
  }

  test('§5.7 "Hello" masked into a frame buffer, source untouched', () => {
    const { wire, payload } = RFC6455_FRAMES.maskedText;
    const target = wire.slice();
    target.fill(0, 6);
    const source = payload.slice();
    maskInto(source, target, 6, 0x37fa213d);
    expect(target).toEqual(wire);
    expect(source).toEqual(payload);
  });

  for (const path of ['wasm', 'words'] as const) {
    test(`every path matches the definition (${path}): property over lengths, offsets, alignments, keys`, () => {
      setWasmMasking(path === 'wasm');
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 0, maxLength: 1200 }),
          fc.integer({ min: 0, max: 7 }),
          fc.integer({ min: 0, max: 9 }),
          fc.integer({ min: 0, max: 0xffffffff }),
          fc.integer({ min: 0, max: 7 }),
          (bytes, sourceShift, targetOffset, maskKey, keyOffset) => {
            // Source and target at every mutual alignment (same phase and not).
            const backing = new Uint8Array(bytes.length + 8);
            backing.set(bytes, sourceShift);
            const source = backing.subarray(sourceShift, sourceShift + bytes.length);
            const before = source.slice();
            const target = patternBytes(bytes.length + 20, 3);
            const expected = referenceInto(source, target, targetOffset, maskKey, keyOffset);
            maskInto(source, target, targetOffset, maskKey, keyOffset);
            assertBytes(target, expected);
            assertBytes(source, before);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  test('a 1 MiB payload in pieces with running key offsets equals one mask of the whole', () => {
    const source = patternBytes(1 << 20, 11);
    const whole = source.slice();
    mask(whole, 0x9abcdef0);
    const target = new Uint8Array(source.length);
    let at = 0;
    for (const piece of [1, 70_000, 3, 500_001, 95, 300]) {
      maskInto(source.subarray(at, at + piece), target, at, 0x9abcdef0, at);
      at += piece;
    }
    maskInto(source.subarray(at), target, at, 0x9abcdef0, at);
    assertBytes(target, whole);
  });

  test('throws RangeError when the source does not fit', () => {
    expect(() => maskInto(new Uint8Array(10), new Uint8Array(12), 3, 1)).toThrow(RangeError);
    expect(() => maskInto(new Uint8Array(1), new Uint8Array(12), -1, 1)).toThrow(RangeError);
  });

  test('the copy-and-mask seam takes payloads from minLength with the key offset mod 4', () => {
    const calls: number[][] = [];
    setMaskIntoImplementation((source, target, offset, maskKey, keyOffset) => {
      calls.push([source.length, target.length, offset, maskKey, keyOffset]);
    }, 100);
    maskInto(new Uint8Array(99), new Uint8Array(200), 0, 5, 0);
    maskInto(new Uint8Array(100), new Uint8Array(200), 7, 5, 6);
    expect(calls).toEqual([[100, 200, 7, 5, 2]]);
  });

  test('with only an in-place host mask, the copy is masked by it', () => {
    const calls: number[] = [];
    setMaskImplementation((data, maskKey, keyOffset) => {
      calls.push(data.length);
      const key = [maskKey >>> 24, (maskKey >>> 16) & 0xff, (maskKey >>> 8) & 0xff, maskKey & 0xff];
      for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ key[(i + keyOffset) & 3]!;
    });
    const source = patternBytes(1000, 5);
    const target = new Uint8Array(1010);
    maskInto(source, target, 10, 0x01020304, 1);
    expect(calls).toEqual([1000]);
    assertBytes(target, referenceInto(source, new Uint8Array(1010), 10, 0x01020304, 1));
  });
});
