// RFC 6455 §5.2 / §5.3: large frames spanning many reads (the parser unmasks while gathering
// and keeps views of the engine's chunks), and large masked sends (copied and masked once).
import { describe, expect, test } from 'vitest';
import { client, concatBytes, feed, frame, parseFrames, server } from './helpers.js';

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed + (i >>> 9)) & 0xff;
  return out;
}

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('large frames across many reads', () => {
  for (const size of [1, 4096, 65536, 65537]) {
    test(`server: a 300 000-byte masked message and a small one, in ${size}-byte reads`, () => {
      const big = pattern(300_000, size);
      const { conn, rec } = server();
      feed(conn, concatBytes(frame(2, big), frame(1, 'after')), size);
      expect(rec.errors).toEqual([]);
      expect(rec.messages).toHaveLength(2);
      expect(same(rec.messages[0], big)).toBe(true);
      expect(rec.events[1]).toEqual(['message', 'after', false]);
    });
  }

  test('client: 1 MiB unmasked in 64 KiB reads, fragmented in 3 frames, reads left intact', () => {
    const payload = pattern(1 << 20, 3);
    const wire = concatBytes(
      frame(2, payload.subarray(0, 100_000), { masked: false, fin: false }),
      frame(0, payload.subarray(100_000, 700_000), { masked: false, fin: false }),
      frame(0, payload.subarray(700_000), { masked: false }),
    );
    const reads: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += 65536) reads.push(wire.slice(i, i + 65536));
    const copies = reads.map((r) => r.slice());
    const { conn, rec } = client();
    for (const read of reads) conn.receive(read);
    expect(rec.errors).toEqual([]);
    expect(rec.messages).toHaveLength(1);
    expect(same(rec.messages[0], payload)).toBe(true);
    // Unmasked frames split across reads are copied out, never written into the reads.
    for (let i = 0; i < reads.length; i++) expect(same(reads[i], copies[i]!)).toBe(true);
  });

  test('a masked frame to the client is still refused with 1002 when it spans reads', () => {
    const { conn, rec } = client();
    feed(conn, frame(2, pattern(200_000, 1)), 30_000);
    expect(rec.errors.map((e) => e.closeCode)).toEqual([1002]);
  });
});

describe('large masked sends (client)', () => {
  for (const size of [257, 16_384, 16_385, 1 << 20]) {
    test(`${size} bytes: masked once into the frame, the caller's bytes untouched`, () => {
      const payload = pattern(size, 5);
      const before = payload.slice();
      const { conn } = client();
      conn.sendBinary(payload);
      const frames = parseFrames(conn.takeOutput());
      expect(frames).toHaveLength(1);
      expect(frames[0]!.masked).toBe(true);
      expect(same(frames[0]!.payload, payload)).toBe(true);
      expect(same(payload, before)).toBe(true);
    });
  }
});
