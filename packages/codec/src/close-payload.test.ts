// RFC 6455 §5.5.1 (close frame body), §7.4 (status codes), §8.1 (UTF-8 reasons).
import { CLOSE_PAYLOADS, INVALID_CLOSE_PAYLOADS, UNSENDABLE_CLOSES } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isValidWireCloseCode } from './close-codes.js';
import { decodeClosePayload, encodeClosePayload } from './close-payload.js';
import { ProtocolError } from './errors.js';

describe('decodeClosePayload', () => {
  for (const vector of CLOSE_PAYLOADS) {
    test(vector.name, () => {
      expect(decodeClosePayload(vector.payload)).toEqual({
        code: vector.code,
        reason: vector.reason,
      });
    });
  }
  for (const vector of INVALID_CLOSE_PAYLOADS) {
    test(`rejects ${vector.name} with ${vector.closeCode}`, () => {
      let error: unknown;
      try {
        decodeClosePayload(vector.payload);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).closeCode).toBe(vector.closeCode);
    });
  }
});

describe('encodeClosePayload', () => {
  for (const vector of CLOSE_PAYLOADS) {
    if (vector.code === 1005) continue;
    test(vector.name, () => {
      expect(encodeClosePayload(vector.code, vector.reason)).toEqual(vector.payload);
    });
  }

  test('no code gives an empty payload', () => {
    expect(encodeClosePayload()).toEqual(new Uint8Array(0));
    expect(encodeClosePayload(undefined, '')).toEqual(new Uint8Array(0));
  });

  for (const vector of UNSENDABLE_CLOSES) {
    test(`refuses ${vector.name}`, () => {
      expect(() => encodeClosePayload(vector.code, vector.reason)).toThrow(RangeError);
    });
  }

  test('lone surrogates are sent as U+FFFD (like TextEncoder)', () => {
    expect(decodeClosePayload(encodeClosePayload(1000, 'a\ud800b')).reason).toBe('a\ufffdb');
  });

  test('round trip: any sendable code and any reason of at most 123 bytes', () => {
    const code = fc.oneof(
      fc.constantFrom(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014),
      fc.integer({ min: 3000, max: 4999 }),
    );
    fc.assert(
      fc.property(code, fc.string({ unit: 'grapheme', maxLength: 40 }), (c, reason) => {
        let payload: Uint8Array;
        try {
          payload = encodeClosePayload(c, reason);
        } catch (error) {
          // Only over-long reasons may be refused.
          expect(error).toBeInstanceOf(RangeError);
          return;
        }
        expect(payload.length).toBeLessThanOrEqual(125);
        expect(decodeClosePayload(payload)).toEqual({ code: c, reason });
      }),
      { numRuns: 300 },
    );
  });

  test('agrees with isValidWireCloseCode for codes 0..5100 and a sweep of the rest', () => {
    const wrong: number[] = [];
    const codes: number[] = [];
    for (let code = 0; code <= 5100; code++) codes.push(code);
    for (let code = 5101; code < 65536; code += 97) codes.push(code);
    codes.push(65535);
    for (const code of codes) {
      const payload = new Uint8Array([code >>> 8, code & 0xff]);
      let decoded: number | string;
      let encoded: string;
      try {
        decoded = decodeClosePayload(payload).code;
      } catch (error) {
        decoded = error instanceof ProtocolError ? `error ${error.closeCode}` : 'other';
      }
      try {
        encoded = encodeClosePayload(code).join();
      } catch (error) {
        encoded = error instanceof RangeError ? 'range' : 'other';
      }
      const ok = isValidWireCloseCode(code)
        ? decoded === code && encoded === payload.join()
        : decoded === 'error 1002' && encoded === 'range';
      if (!ok) wrong.push(code);
    }
    expect(wrong).toEqual([]);
  });
});
