/**
 * The reuse of large masked frames' buffers (`Connection.releaseOutput`, `setFramePoolLimit`):
 * a client frame over a slab is masked into a buffer whose earlier write the host reported
 * done, never into one still lent, and the bytes on the wire are the same either way.
 */

import { setFramePoolLimit } from '@strata-ws/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { client, parseFrames, server } from './helpers.js';

/** A fresh allocator (so a fresh pool: pools are per allocator) that records its sizes. */
function counted() {
  const sizes: number[] = [];
  const allocate = (length: number): Uint8Array => {
    sizes.push(length);
    return new Uint8Array(length).fill(0xee);
  };
  return { sizes, allocate };
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 13 + seed) & 0xff;
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const SIZE = 64 * 1024; // over a 16 KiB slab: a frame of its own
const FRAME = SIZE + 14; // its header: 2 + 8 (64-bit length) + 4 (mask key)

afterEach(() => setFramePoolLimit(4 * 1024 * 1024));

describe('frame pool: large masked frames reuse written buffers', () => {
  it('a released frame buffer carries the next large frame; the wire bytes are exact', () => {
    const host = counted();
    const { conn } = client({ allocate: host.allocate });
    conn.sendBinary(pattern(SIZE, 1));
    const first = conn.takeOutput();
    expect(first.map((c) => c.length)).toEqual([FRAME]);
    expect(same(parseFrames(first)[0]!.payload, pattern(SIZE, 1))).toBe(true);
    conn.releaseOutput(first);

    conn.sendBinary(pattern(SIZE, 2));
    const second = conn.takeOutput();
    expect(second[0]!.buffer).toBe(first[0]!.buffer); // the same memory, masked again
    expect(same(parseFrames(second)[0]!.payload, pattern(SIZE, 2))).toBe(true);
    expect(host.sizes.filter((n) => n === FRAME)).toHaveLength(1);
  });

  it('without a release every frame gets a fresh buffer', () => {
    const host = counted();
    const { conn } = client({ allocate: host.allocate });
    const seen = new Set<ArrayBufferLike>();
    for (let i = 0; i < 4; i++) {
      conn.sendBinary(pattern(SIZE, i));
      const chunks = conn.takeOutput();
      expect(same(parseFrames(chunks)[0]!.payload, pattern(SIZE, i))).toBe(true);
      seen.add(chunks[0]!.buffer);
    }
    expect(seen.size).toBe(4);
  });

  it('a buffer is never lent twice at once, even when released twice', () => {
    const host = counted();
    const { conn } = client({ allocate: host.allocate });
    conn.sendBinary(pattern(SIZE, 1));
    const first = conn.takeOutput();
    conn.releaseOutput(first);
    conn.releaseOutput(first); // a host bug: the second release must change nothing
    conn.sendBinary(pattern(SIZE, 2));
    conn.sendBinary(pattern(SIZE, 3));
    const chunks = conn.takeOutput();
    expect(chunks).toHaveLength(2);
    expect(chunks[0]!.buffer).toBe(first[0]!.buffer);
    expect(chunks[1]!.buffer).not.toBe(chunks[0]!.buffer);
    const frames = parseFrames(chunks);
    expect(same(frames[0]!.payload, pattern(SIZE, 2))).toBe(true);
    expect(same(frames[1]!.payload, pattern(SIZE, 3))).toBe(true);
  });

  it('chunks still queued or taken but not released are not reused', () => {
    const host = counted();
    const { conn } = client({ allocate: host.allocate });
    conn.sendBinary(pattern(SIZE, 1));
    const first = conn.takeOutput();
    conn.sendBinary(pattern(SIZE, 2)); // `first` is still being written
    const second = conn.takeOutput();
    expect(second[0]!.buffer).not.toBe(first[0]!.buffer);
    expect(same(parseFrames(first)[0]!.payload, pattern(SIZE, 1))).toBe(true);
  });

  it('a buffer serves frames up to twice smaller, not smaller still', () => {
    const host = counted();
    const { conn } = client({ allocate: host.allocate });
    conn.sendBinary(pattern(SIZE, 1));
    const big = conn.takeOutput();
    conn.releaseOutput(big);
    conn.sendBinary(pattern(20_000, 2)); // under a third of the buffer: a fresh one
    const small = conn.takeOutput();
    expect(small[0]!.buffer).not.toBe(big[0]!.buffer);
    expect(same(parseFrames(small)[0]!.payload, pattern(20_000, 2))).toBe(true);
    conn.sendBinary(pattern(40_000, 3)); // over half of it: reused, as a view of its start
    const mid = conn.takeOutput();
    expect(mid[0]!.buffer).toBe(big[0]!.buffer);
    expect(mid[0]!.length).toBe(40_000 + 8);
    expect(same(parseFrames(mid)[0]!.payload, pattern(40_000, 3))).toBe(true);
  });

  it('the idle bytes kept are bounded by setFramePoolLimit (0: no reuse)', () => {
    setFramePoolLimit(0);
    const host = counted();
    const { conn } = client({ allocate: host.allocate });
    conn.sendBinary(pattern(SIZE, 1));
    const first = conn.takeOutput();
    conn.releaseOutput(first);
    conn.sendBinary(pattern(SIZE, 2));
    expect(conn.takeOutput()[0]!.buffer).not.toBe(first[0]!.buffer);

    setFramePoolLimit(FRAME); // room for one idle buffer, not two
    const host2 = counted();
    const { conn: conn2 } = client({ allocate: host2.allocate });
    conn2.sendBinary(pattern(SIZE, 1));
    conn2.sendBinary(pattern(SIZE, 2));
    const both = conn2.takeOutput();
    conn2.releaseOutput(both);
    conn2.sendBinary(pattern(SIZE, 3));
    conn2.sendBinary(pattern(SIZE, 4));
    const next = conn2.takeOutput();
    const reused = next.filter((c) => both.some((b) => b.buffer === c.buffer));
    expect(reused).toHaveLength(1);
  });

  it('setFramePoolLimit rejects what is not a byte count, naming the option', () => {
    for (const bad of [-1, 1.5, Number.NaN, '4' as unknown as number]) {
      expect(() => setFramePoolLimit(bad)).toThrow(/framePoolLimit/);
    }
    expect(() => setFramePoolLimit(Number.POSITIVE_INFINITY)).not.toThrow();
  });

  it('only lent buffers come back: a released payload sent by reference is never reused', () => {
    const host = counted();
    const { conn: srv } = server({ allocate: host.allocate });
    const payload = pattern(SIZE, 5);
    srv.sendBinary(payload); // a server's large payload leaves by reference
    const out = srv.takeOutput();
    expect(out.some((c) => c.buffer === payload.buffer)).toBe(true);
    srv.releaseOutput(out);
    const { conn } = client({ allocate: host.allocate }); // the same allocator: the same pool
    conn.sendBinary(pattern(SIZE, 6));
    const chunks = conn.takeOutput();
    expect(chunks[0]!.buffer).not.toBe(payload.buffer);
    expect(same(payload, pattern(SIZE, 5))).toBe(true); // the application's bytes are untouched
  });
});
