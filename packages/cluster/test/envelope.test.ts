// The bus envelope: every message survives encode/decode with its topic, kind, compression
// choice, origin and bytes (property), the payload is a view (no copy on decode), and bytes
// that are not an envelope decode to null instead of throwing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkOrigin, decodeEnvelope, ENVELOPE_VERSION, encodeEnvelope } from '../src/index.js';
import { packBatch, unpackBatch } from '../src/ipc.js';

const origin = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);

describe('envelope', () => {
  it('round-trips topic, kind, compress, origin, time and payload (property)', () => {
    fc.assert(
      fc.property(
        origin,
        fc.string({ unit: 'grapheme', maxLength: 50 }),
        fc.uint8Array({ maxLength: 2000 }),
        fc.boolean(),
        fc.constantFrom(undefined, true, false),
        fc.double({ min: 0, max: 1e13, noNaN: true }),
        (id, topic, data, isBinary, compress, sentAt) => {
          const bytes = encodeEnvelope(id, topic, { data, isBinary, compress }, sentAt);
          const decoded = decodeEnvelope(bytes);
          expect(decoded).not.toBeNull();
          expect(decoded?.origin).toBe(id);
          expect(decoded?.topic).toBe(topic);
          expect(decoded?.sentAt).toBe(sentAt);
          expect(decoded?.message.isBinary).toBe(isBinary);
          expect(decoded?.message.compress).toBe(compress);
          expect([...(decoded?.message.data ?? [])]).toEqual([...data]);
          expect(bytes.length).toBe(
            13 + id.length + new TextEncoder().encode(topic).length + data.length,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes the payload as a view of the envelope (no copy)', () => {
    const bytes = encodeEnvelope('n1', 't', {
      data: new Uint8Array([1, 2, 3]),
      isBinary: true,
      compress: undefined,
    });
    const decoded = decodeEnvelope(bytes);
    expect(decoded?.message.data.buffer).toBe(bytes.buffer);
    expect(decoded?.message.data.byteOffset).toBe(bytes.length - 3);
  });

  it('returns null for anything that is not a whole envelope (property)', () => {
    const good = encodeEnvelope('node', 'topic', {
      data: new Uint8Array([9]),
      isBinary: false,
      compress: true,
    });
    expect(good[0]).toBe(ENVELOPE_VERSION);
    // Every truncation inside the header, a wrong version, reserved flag bits, bad UTF-8 topic.
    for (let n = 0; n < good.length - 1; n++) {
      const cut = decodeEnvelope(good.subarray(0, n));
      if (n < 18) expect(cut).toBeNull();
    }
    expect(decodeEnvelope(Uint8Array.of(2, ...good.subarray(1)))).toBeNull();
    expect(decodeEnvelope(Uint8Array.of(1, 0x08, ...good.subarray(2)))).toBeNull();
    expect(decodeEnvelope(Uint8Array.of(1, 0x06, ...good.subarray(2)))).toBeNull();
    const badTopic = encodeEnvelope('n', 'ab', {
      data: new Uint8Array(0),
      isBinary: true,
      compress: undefined,
    });
    badTopic[badTopic.length - 2] = 0xff;
    expect(decodeEnvelope(badTopic)).toBeNull();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => {
        const result = decodeEnvelope(junk);
        if (result !== null) expect(junk[0]).toBe(ENVELOPE_VERSION);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a topic over 65535 bytes and a bad origin id with RangeError', () => {
    const message = { data: new Uint8Array(0), isBinary: true, compress: undefined };
    expect(() => encodeEnvelope('n', 'x'.repeat(65_536), message)).toThrow(RangeError);
    expect(() => checkOrigin('')).toThrow(/nodeId/);
    expect(() => checkOrigin('has space')).toThrow(RangeError);
    expect(() => checkOrigin('x'.repeat(256))).toThrow(RangeError);
    expect(checkOrigin('w1-abc')).toBe('w1-abc');
  });

  it('batches: envelopes round-trip as length-prefixed views; broken framing is null (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (parts) => {
        const packed = packBatch(parts);
        const unpacked = unpackBatch(packed);
        expect(unpacked?.map((u) => [...u])).toEqual(parts.map((p) => [...p]));
        if (packed.length > 0) {
          const cut = unpackBatch(packed.subarray(0, packed.length - 1));
          expect(cut).toBeNull();
        }
      }),
      { numRuns: 200 },
    );
  });
});
