/** The send path: coalescing, payloads by reference, short strings, masking, onOutput. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { client, concatBytes, hex, server } from './helpers.js';

const encoder = new TextEncoder();

describe('output chunks', () => {
  it('small frames sent in one tick leave in one chunk; onOutput fires once per empty→non-empty', () => {
    const { conn, rec } = server();
    for (let i = 0; i < 50; i++) conn.sendBinary(Uint8Array.of(i));
    conn.sendText('text');
    conn.ping();
    expect(rec.outputSignals).toBe(1);
    expect(conn.outputLength).toBe(50 * 3 + 6 + 2);
    const out = conn.takeOutput();
    expect(out).toHaveLength(1);
    expect(conn.outputLength).toBe(0);
    conn.sendBinary(Uint8Array.of(1));
    expect(rec.outputSignals).toBe(2);
  });

  it('a large payload follows its header by reference (no copy); coalesceLimit 0 never copies', () => {
    const { conn } = server();
    const big = new Uint8Array(5000).fill(1);
    conn.sendBinary(Uint8Array.of(7));
    conn.sendBinary(big);
    conn.sendBinary(Uint8Array.of(8));
    const out = conn.takeOutput();
    expect(out).toHaveLength(3);
    expect(out[1]).toBe(big);
    expect(hex(out[0]!)).toBe('820107827e1388');
    expect(hex(out[2]!)).toBe('820108');

    const none = server({ coalesceLimit: 0 });
    const small = Uint8Array.of(1, 2);
    none.conn.sendBinary(small);
    const chunks = none.conn.takeOutput();
    expect(chunks.map((c) => c.length)).toEqual([2, 2]);
    expect(chunks[1]).toBe(small);
  });

  it('taken chunks are never overwritten by later frames (slab regions are not reused)', () => {
    const a = server();
    const b = server();
    a.conn.sendText('first');
    const taken = a.conn.takeOutput();
    const snapshot = hex(concatBytes(...taken));
    for (let i = 0; i < 5000; i++) {
      a.conn.sendBinary(new Uint8Array(100).fill(i & 0xff));
      b.conn.sendBinary(new Uint8Array(90).fill(0xee));
    }
    a.conn.takeOutput();
    b.conn.takeOutput();
    expect(hex(concatBytes(...taken))).toBe(snapshot);
  });

  it('interleaved connections each get their own frames, in order', () => {
    const a = server();
    const b = server();
    a.conn.sendText('a1');
    b.conn.sendText('b1');
    a.conn.sendText('a2');
    expect(a.out().map((f) => new TextDecoder().decode(f.payload))).toEqual(['a1', 'a2']);
    expect(b.out().map((f) => new TextDecoder().decode(f.payload))).toEqual(['b1']);
  });

  it('frames of every length encoding, masked and unmasked, round-trip', () => {
    for (const length of [0, 1, 125, 126, 1024, 1025, 65535, 65536, 70000]) {
      const payload = new Uint8Array(length).map((_, i) => (i * 7) & 0xff);
      for (const make of [server, client]) {
        const { conn, out } = make();
        conn.sendBinary(payload);
        const [f] = out();
        expect(f!.payload.length).toBe(length);
        expect(hex(f!.payload)).toBe(hex(payload));
      }
    }
  });
});

describe('strings', () => {
  it('short and long strings are encoded exactly as TextEncoder does (lone surrogates too)', () => {
    const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const codePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(unit, codePoint, fc.constant('a')), { maxLength: 500 }),
        fc.boolean(),
        (parts, masked) => {
          const text = parts.join('');
          const { conn, out } = masked ? client() : server();
          conn.sendText(text);
          const [f] = out();
          expect(f!.opcode).toBe(1);
          expect(hex(f!.payload)).toBe(hex(encoder.encode(text)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('short strings respect fragmentation and done', () => {
    const { conn, out } = server();
    const done: number[] = [];
    conn.sendText('ab', { fin: false, done: () => done.push(1) });
    conn.sendText('cd', { done: () => done.push(2) });
    expect(out().map((f) => [f.opcode, f.fin])).toEqual([
      [1, false],
      [0, true],
    ]);
    expect(done).toEqual([1, 2]);
  });
});
