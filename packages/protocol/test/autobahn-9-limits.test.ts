/** Autobahn category 9 (limits and performance shapes): every limit fails with its code. */
import { LIMIT_DEFAULTS } from '@strata-ws/protocol';
import { describe, expect, it } from 'vitest';
import { client, closeFrameCode, concatBytes, failCode, feed, frame, server } from './helpers.js';

describe('9 limits', () => {
  it('maxPayload: a larger frame fails with 1009 at its header, before its payload', () => {
    const { conn, rec, out } = server({ maxPayload: 1000 });
    const wire = frame(2, new Uint8Array(1001));
    conn.receive(wire.slice(0, 8)); // the header alone
    expect(failCode(rec)).toBe(1009);
    expect(closeFrameCode(out())).toEqual([1009]);
  });

  it('maxPayload: a frame at the limit passes', () => {
    const { conn, rec } = server({ maxPayload: 1000 });
    conn.receive(frame(2, new Uint8Array(1000)));
    expect(rec.messages[0]!.length).toBe(1000);
  });

  it('maxMessageSize: fragments adding up past the limit fail with 1009', () => {
    const { conn, rec, out } = server({ maxMessageSize: 100 });
    conn.receive(concatBytes(frame(1, 'x'.repeat(60), { fin: false })));
    expect(rec.events).toEqual([]);
    conn.receive(frame(0, 'x'.repeat(41)));
    expect(failCode(rec)).toBe(1009);
    expect(closeFrameCode(out())).toEqual([1009]);
  });

  it('maxMessageSize: a single frame over it fails at its header (nothing buffered)', () => {
    const { conn, rec } = server({ maxMessageSize: 1000 });
    conn.receive(frame(2, new Uint8Array(5000)).slice(0, 8));
    expect(failCode(rec)).toBe(1009);
  });

  it('maxMessageSize: exactly at the limit passes, also in one frame', () => {
    const { conn, rec } = server({ maxMessageSize: 100 });
    conn.receive(concatBytes(frame(1, 'x'.repeat(60), { fin: false }), frame(0, 'x'.repeat(40))));
    conn.receive(frame(2, new Uint8Array(100)));
    expect(rec.messages.map((m) => m.length)).toEqual([100, 100]);
    conn.receive(frame(2, new Uint8Array(101)));
    expect(failCode(rec)).toBe(1009);
  });

  it('maxFragments: one frame too many fails with 1008', () => {
    const { conn, rec, out } = server({ maxFragments: 4 });
    const frames = [frame(2, 'a', { fin: false })];
    for (let i = 0; i < 3; i++) frames.push(frame(0, 'b', { fin: i === 2 }));
    conn.receive(concatBytes(...frames));
    expect(rec.events).toEqual([['message', '61626262', true]]);
    const more = [frame(2, 'a', { fin: false })];
    for (let i = 0; i < 4; i++) more.push(frame(0, '', { fin: false }));
    conn.receive(concatBytes(...more));
    expect(failCode(rec)).toBe(1008);
    expect(closeFrameCode(out())).toEqual([1008]);
  });

  it('defaults are safe and per role (LIMIT_DEFAULTS): 16 MiB server, 64 MiB client, no count', () => {
    expect(LIMIT_DEFAULTS.server.maxPayload).toBe(16 * 1024 * 1024);
    expect(LIMIT_DEFAULTS.client.maxPayload).toBe(64 * 1024 * 1024);
    const { conn, rec } = server();
    // 16 MiB + 1, masked: refused at the header.
    conn.receive(Uint8Array.of(0x82, 0xff, 0, 0, 0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0));
    expect(failCode(rec)).toBe(1009);
    const c = client();
    // 64 MiB + 1, unmasked: refused at the header.
    c.conn.receive(Uint8Array.of(0x82, 0x7f, 0, 0, 0, 0, 0x04, 0, 0, 1));
    expect(failCode(c.rec)).toBe(1009);
    // Fragments are bounded by their bytes, not their count (issue #13): 1025 pass.
    const b = server();
    const many = [frame(2, '', { fin: false })];
    for (let i = 0; i < 1024; i++) many.push(frame(0, '', { fin: i === 1023 }));
    feed(b.conn, concatBytes(...many), 4096);
    expect(b.rec.errors).toEqual([]);
    expect(b.rec.events).toEqual([['message', '', true]]);
  });

  it('invalid limits are a RangeError (TypeError for a non-number) naming the option', () => {
    expect(() => server({ maxPayload: -1 })).toThrow(RangeError);
    expect(() => server({ maxMessageSize: 1.5 })).toThrow(RangeError);
    expect(() => server({ maxFragments: Number.NaN })).toThrow(RangeError);
    expect(() => server({ maxBufferedInput: 0 })).toThrow(RangeError);
    expect(() => server({ maxPayload: 1.5 })).toThrow(
      'maxPayload must be a positive integer or Infinity, got 1.5',
    );
    expect(() => server({ maxPayload: '5' as unknown as number })).toThrow(TypeError);
    expect(() => server({ maxBufferedInput: Number.POSITIVE_INFINITY })).not.toThrow();
  });

  it('9.x many messages in one chunk and one chunk per byte give the same events', () => {
    const wire = concatBytes(...Array.from({ length: 50 }, (_, i) => frame(1 + (i & 1), `m${i}`)));
    const a = server();
    a.conn.receive(wire.slice());
    const b = server();
    feed(b.conn, wire, 1);
    expect(b.rec.events).toEqual(a.rec.events);
    expect(a.rec.events).toHaveLength(50);
  });
});
