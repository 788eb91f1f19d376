// RFC 6455 §8.1 (text must be UTF-8) with RFC 3629 §4 (the syntax of UTF-8).
import { concatBytes, UTF8_VECTORS } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { referenceIsUtf8, utf8 } from '../test/host.js';
import { isValidUtf8, setUtf8Validator, Utf8Validator } from './utf8.js';

afterEach(() => setUtf8Validator(null));

/** Bytes that are mostly UTF-8 with some damage: where bugs live. */
const nearlyUtf8 = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
  )
  .map(([text, edits]) => {
    const bytes = utf8(text);
    for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
    return bytes;
  });

const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), nearlyUtf8);

describe('isValidUtf8 (pure JavaScript)', () => {
  for (const vector of UTF8_VECTORS) {
    test(`${vector.id} ${vector.description}`, () => {
      expect(isValidUtf8(vector.bytes)).toBe(vector.valid);
      // Long enough for the fast ASCII path and the host threshold.
      const padded = concatBytes(utf8('x'.repeat(40)), vector.bytes, utf8('y'.repeat(40)));
      expect(isValidUtf8(padded)).toBe(vector.valid);
    });
  }

  test('agrees with a fatal TextDecoder on arbitrary and damaged input', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        expect(isValidUtf8(bytes)).toBe(referenceIsUtf8(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  test('accepts every encoded string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        expect(isValidUtf8(utf8(text))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('1-byte, 2-byte (all leads from 0x80) and 3-byte sequences agree with the reference', () => {
    const mismatches: string[] = [];
    const check = (bytes: Uint8Array) => {
      if (isValidUtf8(bytes) !== referenceIsUtf8(bytes)) mismatches.push(bytes.join(' '));
    };
    for (let a = 0; a < 256; a++) check(new Uint8Array([a]));
    for (let a = 0x80; a < 256; a++) {
      for (let b = 0; b < 256; b++) check(new Uint8Array([a, b]));
    }
    for (const a of [0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf4]) {
      for (let b = 0x70; b < 0xd0; b++) {
        for (const c of [0x7f, 0x80, 0xbf, 0xc0]) check(new Uint8Array([a, b, c]));
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('setUtf8Validator (host seam)', () => {
  test('the host validator answers for inputs of 32 bytes and more', () => {
    const seen: number[] = [];
    setUtf8Validator((bytes) => {
      seen.push(bytes.length);
      return false;
    });
    expect(isValidUtf8(utf8('short'))).toBe(true);
    expect(isValidUtf8(utf8('a'.repeat(32)))).toBe(false);
    expect(seen).toEqual([32]);
  });

  test('a correct host validator gives the same answers (vectors)', () => {
    setUtf8Validator(referenceIsUtf8);
    for (const vector of UTF8_VECTORS) {
      const padded = concatBytes(utf8('x'.repeat(40)), vector.bytes);
      expect(isValidUtf8(padded)).toBe(vector.valid);
    }
  });

  test('null restores the JavaScript validator', () => {
    setUtf8Validator(() => false);
    setUtf8Validator(null);
    expect(isValidUtf8(utf8('a'.repeat(100)))).toBe(true);
  });
});

describe('Utf8Validator (streaming, fail fast)', () => {
  for (const vector of UTF8_VECTORS) {
    test(`${vector.id} fed byte by byte fails exactly at failAt`, () => {
      const validator = new Utf8Validator();
      const { bytes, failAt } = vector;
      let failedAt: number | null = null;
      for (let i = 0; i < bytes.length; i++) {
        if (!validator.push(bytes.subarray(i, i + 1), false)) {
          failedAt = i;
          break;
        }
      }
      if (failedAt === null && !validator.push(new Uint8Array(0), true)) failedAt = bytes.length;
      expect(failedAt).toBe(failAt);
    });

    test(`${vector.id} split at every point gives the same verdict`, () => {
      for (let split = 0; split <= vector.bytes.length; split++) {
        const validator = new Utf8Validator();
        const first = validator.push(vector.bytes.subarray(0, split), false);
        const second = validator.push(vector.bytes.subarray(split), true);
        expect(first && second).toBe(vector.valid);
        if (vector.failAt !== null && vector.failAt < split) expect(first).toBe(false);
      }
    });
  }

  test('any chunking agrees with whole-input validation (with and without host)', () => {
    for (const host of [null, referenceIsUtf8]) {
      setUtf8Validator(host);
      fc.assert(
        fc.property(
          fc.oneof(
            anyBytes,
            nearlyUtf8.map((b) => concatBytes(utf8('z'.repeat(50)), b)),
          ),
          fc.array(fc.nat(), { maxLength: 6 }),
          (bytes, cuts) => {
            const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
              (a, b) => a - b,
            );
            const validator = new Utf8Validator();
            let start = 0;
            let ok = true;
            for (const end of points) {
              ok = validator.push(bytes.subarray(start, end), false) && ok;
              start = end;
            }
            ok = validator.push(bytes.subarray(start), true) && ok;
            expect(ok).toBe(referenceIsUtf8(bytes));
          },
        ),
        { numRuns: 700 },
      );
    }
  });

  test('stays failed until reset, then validates afresh', () => {
    const validator = new Utf8Validator();
    expect(validator.push(new Uint8Array([0xff]), false)).toBe(false);
    expect(validator.push(utf8('fine'), true)).toBe(false);
    validator.reset();
    expect(validator.push(utf8('fine'), true)).toBe(true);
  });

  test('a sequence open at the end of a message fails at final, also when empty', () => {
    const validator = new Utf8Validator();
    expect(validator.push(new Uint8Array([0xe2, 0x82]), false)).toBe(true);
    expect(validator.push(new Uint8Array(0), true)).toBe(false);
  });

  test('reset between messages forgets an open sequence', () => {
    const validator = new Utf8Validator();
    expect(validator.push(new Uint8Array([0xe2, 0x82]), false)).toBe(true);
    validator.reset();
    expect(validator.push(new Uint8Array([0x41]), true)).toBe(true);
  });
});
