// The codec's seams for the engine (issue #12): whole frames written into a given buffer
// (`writeFrame`), masking chosen per call/parser (`MaskFunctions`), partial payload delivery
// (`wantsPartial`/`partial`, for UTF-8 fail-fast inside a frame) and close-reason rules.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertBytes, utf8 } from '../test/host.js';
import { failureCloseReason, fitCloseReason } from './close-payload.js';
import { encodeFrame, type FrameHeader, frameHeaderLength, writeFrame } from './frame-header.js';
import { FrameParser, type FrameSink } from './frame-parser.js';
import { type MaskFunctions, mask, maskInto, processMaskImplementation } from './mask.js';

function countingMasker(minLength?: number): MaskFunctions & { calls: number } {
  const masker = {
    calls: 0,
    minLength,
    mask(data: Uint8Array, key: number, offset: number) {
      masker.calls++;
      mask(data, key, offset);
    },
    maskInto(s: Uint8Array, t: Uint8Array, at: number, key: number, offset: number) {
      masker.calls++;
      maskInto(s, t, at, key, offset);
    },
  };
  return masker;
}

describe('writeFrame', () => {
  test('writes the same bytes as encodeFrame, masked or not, at an offset', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 70_000 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
        fc.integer({ min: 0, max: 9 }),
        (payload, fin, maskKey, offset) => {
          const [header, body] = encodeFrame({ fin, opcode: 2, rsv: 0x40, payload, maskKey });
          const target = new Uint8Array(offset + header.length + body.length + 3);
          const n = writeFrame(target, offset, fin, 0x40, 2, payload, maskKey);
          expect(n).toBe(frameHeaderLength(payload.length, maskKey !== undefined) + payload.length);
          assertBytes(target.subarray(offset, offset + header.length), header, 'header');
          assertBytes(target.subarray(offset + header.length, offset + n), body, 'payload');
          expect(target[offset + n]).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('a frame that does not fit is a RangeError, nothing half-written past the end', () => {
    expect(() => writeFrame(new Uint8Array(6), 0, true, 0, 1, utf8('hello'))).toThrow(RangeError);
    expect(() => writeFrame(new Uint8Array(20), 0, true, 0, 9, new Uint8Array(126))).toThrow(
      RangeError,
    );
    // The small fast path keeps every rule: a non-final control frame, bad RSV or opcode.
    expect(() => writeFrame(new Uint8Array(20), 0, false, 0, 9, new Uint8Array(3))).toThrow(
      RangeError,
    );
    expect(() => writeFrame(new Uint8Array(20), 0, true, 0x80, 1, new Uint8Array(3))).toThrow(
      RangeError,
    );
    expect(() => writeFrame(new Uint8Array(20), 0, true, 0, 16, new Uint8Array(3))).toThrow(
      RangeError,
    );
    expect(() => writeFrame(new Uint8Array(4), 0, true, 0, 1, new Uint8Array(3))).toThrow(
      RangeError,
    );
  });
});

describe('masking per call (no process-wide state)', () => {
  test('mask/maskInto/encodeFrame use the given masker from its minLength on, others never', () => {
    const masker = countingMasker(200);
    const data = new Uint8Array(300).fill(1);
    mask(data, 0x01020304, 0, masker);
    expect(masker.calls).toBe(1);
    mask(data, 0x01020304); // no masker: the codec's own code
    expect(masker.calls).toBe(1);
    expect(data.every((b) => b === 1)).toBe(true);
    mask(new Uint8Array(150), 1, 0, masker); // under minLength
    maskInto(new Uint8Array(50), new Uint8Array(50), 0, 1, 0, masker); // under 96
    expect(masker.calls).toBe(1);
    encodeFrame({ opcode: 2, payload: data, maskKey: 5, masking: masker });
    expect(masker.calls).toBe(2);
    expect(processMaskImplementation()).toEqual({ mask: null, maskInto: null });
  });

  test('a parser given a masker unmasks with it, another parser does not', () => {
    const masker = countingMasker();
    const payload = new Uint8Array(1000).fill(0x55);
    const [header, body] = encodeFrame({ opcode: 2, payload, maskKey: 0x11223344 });
    const wire = new Uint8Array(header.length + body.length);
    wire.set(header);
    wire.set(body, header.length);
    const got: Uint8Array[] = [];
    const sink: FrameSink = { frame: (_h, p) => void got.push(p.slice()) };
    new FrameParser({ unmask: true, masking: masker }).push(wire.slice(), sink);
    expect(masker.calls).toBe(1);
    new FrameParser({ unmask: true }).push(wire.slice(), sink);
    expect(masker.calls).toBe(1);
    expect(got).toEqual([payload, payload]);
  });
});

describe('partial payload delivery', () => {
  test('pieces arrive as the bytes do (unmasked); the whole payload still comes to frame', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 90_000 }), { minLength: 1, maxLength: 8 }),
        (length, masked, sizes) => {
          const payload = new Uint8Array(length);
          for (let i = 0; i < length; i++) payload[i] = (i * 13) & 0xff;
          const [header, body] = encodeFrame({
            opcode: 1,
            payload,
            maskKey: masked ? 0xdeadbeef : undefined,
          });
          const wire = new Uint8Array(header.length + body.length);
          wire.set(header);
          wire.set(body, header.length);
          const pieces: Uint8Array[] = [];
          let whole: Uint8Array | null = null;
          let asked = 0;
          const sink: FrameSink = {
            wantsPartial: () => {
              asked++;
              return true;
            },
            partial: (_h: FrameHeader, bytes: Uint8Array) => void pieces.push(bytes.slice()),
            frame: (_h, p) => {
              whole = p.slice();
            },
          };
          const parser = new FrameParser({ unmask: true, retainChunks: true });
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const size = sizes[i % sizes.length]!;
            parser.push(wire.slice(at, at + size), sink);
            at += size;
          }
          assertBytes(whole ?? undefined, payload, 'frame payload');
          let seen = 0;
          for (const piece of pieces) {
            assertBytes(piece, payload.subarray(seen, seen + piece.length), 'piece');
            seen += piece.length;
          }
          expect(seen).toBeLessThan(Math.max(1, length));
          expect(asked).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 80 },
    );
  });

  test('partial returning false stops the parser; push resumes it', () => {
    const [header, body] = encodeFrame({ opcode: 1, payload: new Uint8Array(100) });
    const wire = new Uint8Array(header.length + body.length);
    wire.set(header);
    wire.set(body, header.length);
    let frames = 0;
    const sink: FrameSink = {
      wantsPartial: () => true,
      partial: () => false,
      frame: () => void frames++,
    };
    const parser = new FrameParser();
    expect(parser.push(wire.slice(0, 50), sink)).toBe(false);
    expect(parser.push(wire.slice(50), sink)).toBe(true);
    expect(frames).toBe(1);
  });

  test('a sink that does not want a frame gets no pieces', () => {
    const [header, body] = encodeFrame({ opcode: 2, payload: new Uint8Array(100) });
    const wire = new Uint8Array(header.length + body.length);
    wire.set(header);
    wire.set(body, header.length);
    let pieces = 0;
    const parser = new FrameParser();
    const sink: FrameSink = { wantsPartial: () => false, partial: () => void pieces++, frame() {} };
    parser.push(wire.slice(0, 30), sink);
    parser.push(wire.slice(30), sink);
    expect(pieces).toBe(0);
  });
});

describe('maxPayload', () => {
  test('is the new name (the old one still works); Infinity means no limit', () => {
    const big = Uint8Array.of(0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0);
    expect(() => new FrameParser({ maxPayload: 10 }).push(big, { frame() {} })).toThrow(
      'over the limit of 10',
    );
    expect(() => new FrameParser({ maxPayloadLength: 10 }).push(big, { frame() {} })).toThrow(
      'over the limit of 10',
    );
    expect(() =>
      new FrameParser({ maxPayload: Number.POSITIVE_INFINITY }).push(big, { frame() {} }),
    ).not.toThrow();
    expect(() => new FrameParser({ maxPayload: 1.5 })).toThrow('invalid maxPayload 1.5');
  });
});

describe('close reasons', () => {
  test('1011 sends an empty reason; others are cut at a character boundary to 123 bytes', () => {
    expect(failureCloseReason(1011, 'stack trace of this end')).toBe('');
    expect(failureCloseReason(1009, 'too big')).toBe('too big');
    const long = 'é'.repeat(100); // 200 bytes
    const cut = fitCloseReason(long);
    expect(utf8(cut).length).toBe(122);
    expect(cut).toBe('é'.repeat(61));
    expect(fitCloseReason('a'.repeat(123))).toBe('a'.repeat(123));
    expect(fitCloseReason('a'.repeat(124))).toBe('a'.repeat(123));
  });
});
