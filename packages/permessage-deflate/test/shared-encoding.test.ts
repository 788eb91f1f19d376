/**
 * Compressing once for many peers (RFC 7692 §7.1.1.1): `deflateFresh` and a connection's
 * `sharedEncodingKey` / `encodeShared`. A shared payload must inflate correctly on a
 * receiver whatever it received before, with or without the receiver's context takeover.
 */
import { constants, inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeflateAgreement } from '../src/index.js';
import { createPerMessageDeflate, deflateFresh } from '../src/node/index.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

function agreement(over: Partial<DeflateAgreement> = {}): DeflateAgreement {
  return {
    role: 'server',
    serverNoContextTakeover: true,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...over,
  };
}

function inflateMessage(payload: Uint8Array, windowBits = 15): Buffer {
  return inflateRawSync(Buffer.concat([payload, TAIL]), {
    windowBits,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
}

function decode(
  receiver: ReturnType<typeof createPerMessageDeflate>,
  data: Uint8Array,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    receiver.decode(data, true, 1 << 24, (error, out) =>
      error ? reject(error) : resolve(out as Uint8Array),
    );
  });
}

describe('deflateFresh', () => {
  it('strips the sync-flush tail and round-trips any payload (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4096 }),
        fc.integer({ min: 9, max: 15 }),
        fc.integer({ min: 0, max: 9 }),
        (data, windowBits, level) => {
          const out = deflateFresh(data, { windowBits, level });
          const n = out.length;
          expect(
            n >= 4 &&
              out[n - 4] === 0 &&
              out[n - 3] === 0 &&
              out[n - 2] === 0xff &&
              out[n - 1] === 0xff,
          ).toBe(false);
          expect(new Uint8Array(inflateMessage(out, windowBits))).toEqual(data);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('an empty message is one empty stored block (§7.2.3.6)', () => {
    expect([...deflateFresh(new Uint8Array(0), { windowBits: 15 })]).toEqual([0x00]);
  });

  it('names the bad option', () => {
    const data = new Uint8Array(4);
    expect(() => deflateFresh(data, { windowBits: 8 })).toThrow(/windowBits/);
    expect(() => deflateFresh(data, { windowBits: 15, level: 10 })).toThrow(/level/);
    expect(() => deflateFresh(data, { windowBits: 15, memLevel: 0 })).toThrow(/memLevel/);
  });
});

describe('sharedEncodingKey / encodeShared', () => {
  it('is 0 with an 8-bit window (we never compress)', () => {
    const ext = createPerMessageDeflate(agreement({ serverMaxWindowBits: 8 }));
    expect(ext.sharedEncodingKey).toBe(0);
    expect(() => ext.encodeShared(new Uint8Array(8))).toThrow(/no shared encoding/);
  });

  for (const mode of ['pooled', 'dedicated'] as const) {
    it(`${mode}: with server context takeover, shared frames interleave with kept-context messages`, async () => {
      // The order on the wire is the order of the calls: m0 (queued before the shared frame
      // was chosen), the shared frame, then m1 and m2 (after it). m1 must not reference text
      // the receiver's window no longer has at that distance.
      const takeover = agreement({ serverNoContextTakeover: false });
      const sender = createPerMessageDeflate(takeover, { threshold: 0, memoryMode: mode });
      const receiver = createPerMessageDeflate({ ...takeover, role: 'client' });
      const wsLike = createPerMessageDeflate({ ...takeover, role: 'client' }, { syncLimit: 0 });
      const text = (i: number): Buffer =>
        Buffer.from(JSON.stringify({ n: i, body: 'the quick brown fox '.repeat(30 + i) }));
      const out: Promise<Uint8Array>[] = [];
      const enc = (m: Uint8Array) =>
        out.push(
          new Promise((resolve, reject) =>
            sender.encode(m, (e, d) => (e ? reject(e) : resolve(d as Uint8Array))),
          ),
        );
      enc(text(0));
      enc(text(0));
      expect(sender.sharedEncodingKey).not.toBe(0); // a shared frame goes out after these two
      const shared = sender.encodeShared(text(5));
      enc(text(1));
      enc(text(1));
      const [m0a, m0b, m1a, m1b] = await Promise.all(out);
      for (const r of [receiver, wsLike]) {
        expect(Buffer.from(await decode(r, m0a!))).toEqual(text(0));
        expect(Buffer.from(await decode(r, m0b!))).toEqual(text(0));
        expect(Buffer.from(await decode(r, shared))).toEqual(text(5));
        expect(Buffer.from(await decode(r, m1a!))).toEqual(text(1));
        expect(Buffer.from(await decode(r, m1b!))).toEqual(text(1));
      }
      expect(m0b!.length).toBeLessThan(m0a!.length / 4); // the context was kept before...
      expect(m1b!.length).toBeLessThan(m1a!.length / 4); // ...and after the reset
      sender.dispose();
      receiver.dispose();
      wsLike.dispose();
    });
  }

  it('is 0 for a client (it compresses with the client window bits and masks anyway)', () => {
    const ext = createPerMessageDeflate(
      agreement({ role: 'client', clientNoContextTakeover: false }),
    );
    expect(ext.sharedEncodingKey).toBe(0);
  });

  it('equal keys for equal window, level and memLevel; different otherwise', () => {
    const a = createPerMessageDeflate(agreement());
    const b = createPerMessageDeflate(agreement());
    const c = createPerMessageDeflate(agreement({ serverMaxWindowBits: 10 }));
    const d = createPerMessageDeflate(agreement(), { level: 6 });
    expect(a.sharedEncodingKey).not.toBe(0);
    expect(a.sharedEncodingKey).toBe(b.sharedEncodingKey);
    expect(c.sharedEncodingKey).not.toBe(a.sharedEncodingKey);
    expect(d.sharedEncodingKey).not.toBe(a.sharedEncodingKey);
    const data = Buffer.from('{"tick":1}'.repeat(200));
    expect(a.encodeShared(data)).toEqual(b.encodeShared(data));
  });

  it('one shared payload inflates on receivers with different histories', async () => {
    const sender = createPerMessageDeflate(agreement(), { threshold: 0 });
    const shared = sender.encodeShared(Buffer.from('hello hello hello hello'.repeat(40)));
    // Two receivers (client role, server context takeover agreed off): one fresh, one that
    // already inflated other messages.
    const fresh = createPerMessageDeflate(agreement({ role: 'client' }));
    const used = createPerMessageDeflate(agreement({ role: 'client' }));
    await decode(
      used,
      deflateFresh(Buffer.from('something else entirely'.repeat(30)), { windowBits: 15 }),
    );
    const expected = Buffer.from('hello hello hello hello'.repeat(40));
    expect(Buffer.from(await decode(fresh, shared))).toEqual(expected);
    expect(Buffer.from(await decode(used, shared))).toEqual(expected);
  });

  it('respects a small negotiated window (server_max_window_bits=9)', () => {
    const sender = createPerMessageDeflate(agreement({ serverMaxWindowBits: 9 }));
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    expect(inflateMessage(sender.encodeShared(data), 9)).toEqual(data);
  });
});
