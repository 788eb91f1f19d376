// RFC 6455 §5.3 (client-to-server masking).
import { MASK_VECTORS, patternBytes, RFC6455_FRAMES } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { assertBytes } from '../test/host.js';
import { mask, setMaskImplementation, setWasmMasking } from './mask.js';
import { wasmMaskAvailable } from './mask-wasm.js';

/** The definition: data[i] ^= key[(i + offset) % 4], byte by byte. */
function referenceMask(data: Uint8Array, maskKey: number, keyOffset: number): Uint8Array {
  const key = [maskKey >>> 24, (maskKey >>> 16) & 0xff, (maskKey >>> 8) & 0xff, maskKey & 0xff];
  return data.map((b, i) => b ^ key[(i + keyOffset) & 3]!);
}

afterEach(() => {
  setMaskImplementation(null);
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
