/** Autobahn category 6 (UTF-8 handling), RFC 6455 §5.6 and §8.1: fail fast with 1007. */
import { UTF8_VECTORS } from '@strata-ws/test-vectors';
import { describe, expect, it } from 'vitest';
import { closeFrameCode, concatBytes, failCode, frame, server, text } from './helpers.js';

describe('6 UTF-8 in text messages', () => {
  for (const vector of UTF8_VECTORS) {
    it(`${vector.id} ${vector.description}: single frame`, () => {
      const { conn, rec, out } = server();
      conn.receive(frame(1, vector.bytes));
      if (vector.valid) {
        expect(rec.events).toEqual([['message', text(vector.bytes), false]]);
      } else {
        expect(failCode(rec)).toBe(1007);
        expect(closeFrameCode(out())).toEqual([1007]);
      }
    });

    it(`${vector.id} ${vector.description}: one byte per fragment, failing at the first bad byte`, () => {
      const { conn, rec } = server();
      const bytes = vector.bytes;
      const n = bytes.length;
      let failedAfter = -1;
      if (n === 0) {
        conn.receive(frame(1, bytes));
      } else {
        for (let i = 0; i < n; i++) {
          const last = i === n - 1;
          conn.receive(frame(i === 0 ? 1 : 0, bytes.subarray(i, i + 1), { fin: last }));
          if (failedAfter < 0 && failCode(rec) !== undefined) failedAfter = i;
        }
      }
      if (vector.valid) {
        expect(rec.events).toEqual([['message', text(bytes), false]]);
      } else {
        expect(failCode(rec)).toBe(1007);
        // Fails on the fragment holding the first byte known bad, not at the end.
        expect(failedAfter).toBe(Math.min(vector.failAt!, n - 1));
      }
    });
  }

  it('6.x an invalid fragment fails before the message ends (no more fragments needed)', () => {
    const { conn, rec } = server();
    conn.receive(
      concatBytes(frame(1, 'valid', { fin: false }), frame(0, Uint8Array.of(0xff), { fin: false })),
    );
    expect(failCode(rec)).toBe(1007);
  });

  it('binary messages are not validated', () => {
    const { conn, rec } = server();
    conn.receive(frame(2, Uint8Array.of(0xff, 0xfe)));
    expect(rec.events).toEqual([['message', 'fffe', true]]);
  });
});
