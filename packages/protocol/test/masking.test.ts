/**
 * The masking host seam is per connection (issue #12): a connection given `masking` uses it
 * for what it receives and sends; another connection in the same process does not.
 */
import { mask as codecMask, maskInto as codecMaskInto, type MaskFunctions } from '@strata-ws/codec';
import { describe, expect, it } from 'vitest';
import { client, concatBytes, frame, parseFrames, server, text } from './helpers.js';

/** A correct masker (the codec's own) that counts its calls. */
function countingMasker(): MaskFunctions & { calls: number } {
  const masker = {
    calls: 0,
    minLength: 100,
    mask(data: Uint8Array, maskKey: number, keyOffset: number) {
      masker.calls++;
      codecMask(data, maskKey, keyOffset);
    },
    maskInto(
      source: Uint8Array,
      target: Uint8Array,
      targetOffset: number,
      maskKey: number,
      keyOffset: number,
    ) {
      masker.calls++;
      codecMaskInto(source, target, targetOffset, maskKey, keyOffset);
    },
  };
  return masker;
}

describe('per-connection masking', () => {
  it('a server connection given a masker unmasks with it; another server does not', () => {
    const masker = countingMasker();
    const withMasker = server({ masking: masker });
    const plain = server();
    expect(withMasker.conn.masking).toBe(masker);
    expect(plain.conn.masking).toBeNull();
    const payload = new Uint8Array(4000).fill(0x61);
    const wire = frame(1, payload);
    withMasker.conn.receive(wire.slice());
    expect(masker.calls).toBe(1);
    expect(text(withMasker.rec.messages[0]!)).toBe('a'.repeat(4000));
    // Split across reads: unmasked while gathered, still through the masker.
    withMasker.conn.receive(wire.slice(0, 2000));
    withMasker.conn.receive(wire.slice(2000));
    expect(masker.calls).toBeGreaterThan(1);
    const before = masker.calls;
    plain.conn.receive(wire.slice());
    expect(text(plain.rec.messages[0]!)).toBe('a'.repeat(4000));
    expect(masker.calls).toBe(before);
  });

  it('a client connection masks its sends with its masker; another client does not', () => {
    const masker = countingMasker();
    const a = client({ masking: masker });
    const b = client();
    const payload = new Uint8Array(3000).fill(0x62);
    a.conn.sendBinary(payload);
    expect(masker.calls).toBe(1);
    const framesA = parseFrames(a.conn.takeOutput());
    expect(framesA[0]!.masked).toBe(true);
    expect(framesA[0]!.payload).toEqual(payload);
    b.conn.sendBinary(payload);
    b.conn.sendText('x'.repeat(300));
    expect(masker.calls).toBe(1);
    expect(parseFrames(b.conn.takeOutput())[0]!.payload).toEqual(payload);
    // Below minLength the codec's JavaScript is used even with a masker.
    a.conn.sendBinary(new Uint8Array(50));
    expect(masker.calls).toBe(1);
  });

  it('a client given a masker still receives unmasked frames unchanged', () => {
    const masker = countingMasker();
    const { conn, rec } = client({ masking: masker });
    conn.receive(concatBytes(frame(2, new Uint8Array(500).fill(3), { masked: false })));
    expect(rec.messages[0]).toEqual(new Uint8Array(500).fill(3));
    expect(masker.calls).toBe(0);
  });
});
