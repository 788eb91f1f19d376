// FrameParser's `unmask` and `retainChunks` options (what the protocol engine uses): payloads
// handed out unmasked, split payloads gathered as views of the pushed chunks; the same frames
// as without them, whatever the chunking.
import { concatBytes, patternBytes, RFC6455_FRAMES } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertFrames, type Collected } from '../test/frames.js';
import { assertBytes } from '../test/host.js';
import { encodeFrame } from './frame-header.js';
import { FrameParser, type FrameSink } from './frame-parser.js';
import { mask } from './mask.js';

describe('FrameParser options unmask and retainChunks', () => {
  const optionSets = [
    { unmask: true },
    { retainChunks: true },
    { unmask: true, retainChunks: true },
  ] as const;

  /** Parses `bytes` cut at `cuts` (each chunk its own buffer, as socket reads are). */
  function parseWith(
    bytes: Uint8Array,
    cuts: readonly number[],
    options: { unmask?: boolean; retainChunks?: boolean },
  ): Collected[] {
    const parser = new FrameParser(options);
    const frames: Collected[] = [];
    const sink: FrameSink = {
      frame(header, payload) {
        if (header.payloadLength !== payload.length) throw new Error('payloadLength mismatch');
        const copy = payload.slice();
        // Already unmasked when the parser was asked to; otherwise the sink does it.
        if (header.masked && options.unmask !== true) mask(copy, header.maskKey);
        const { fin, rsv, opcode, masked, maskKey } = header;
        frames.push({ fin, rsv, opcode, masked, maskKey, payload: copy });
      },
    };
    let start = 0;
    for (const end of [...cuts, bytes.length]) {
      parser.push(bytes.slice(start, end), sink);
      start = end;
    }
    if (parser.bufferedLength !== 0) throw new Error(`${parser.bufferedLength} bytes left`);
    return frames;
  }

  // Frames over 64 KiB (the retained path) next to small ones, masked or not.
  const bigPayloadArb = fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 130 }) },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 65530, max: 200_000 }).map((n) => patternBytes(n, n)),
    },
  );
  const bigFrameArb = fc.record({
    opcode: fc.constantFrom(1, 2),
    fin: fc.boolean(),
    rsv: fc.constant(0),
    payload: bigPayloadArb,
    maskKey: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
  });

  for (const options of optionSets) {
    test(`${JSON.stringify(options)}: frames over 64 KiB split in many chunks parse back identically`, () => {
      fc.assert(
        fc.property(
          fc.array(bigFrameArb, { minLength: 1, maxLength: 4 }),
          fc.array(fc.nat(), { maxLength: 40 }),
          fc.integer({ min: 0, max: 3 }),
          (specs, rawCuts, trickle) => {
            const bytes = concatBytes(...specs.flatMap((s) => encodeFrame(s)));
            const cutSet = new Set(rawCuts.map((c) => c % (bytes.length + 1)));
            // Sometimes a run of tiny reads inside the stream (the fallback to a buffer).
            if (trickle !== 0) {
              const from = rawCuts.length === 0 ? 0 : rawCuts[0]! % bytes.length;
              for (let i = 0; i < 150 * trickle && from + i < bytes.length; i++) {
                cutSet.add(from + i * trickle);
              }
            }
            const cuts = [...cutSet].filter((c) => c <= bytes.length).sort((a, b) => a - b);
            assertFrames(
              parseWith(bytes, cuts, options),
              specs.map((s) => ({
                fin: s.fin,
                rsv: s.rsv,
                opcode: s.opcode,
                masked: s.maskKey !== undefined,
                maskKey: s.maskKey ?? 0,
                payload: s.payload,
              })),
            );
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  test('unmask: a frame inside one chunk is unmasked in place, as a view of the chunk', () => {
    const { wire, payload } = RFC6455_FRAMES.maskedText;
    const chunk = wire.slice();
    const got: Uint8Array[] = [];
    new FrameParser({ unmask: true }).push(chunk, {
      frame(header, data) {
        expect(header.masked).toBe(true);
        expect(header.maskKey).toBe(0x37fa213d);
        got.push(data);
      },
    });
    expect(got[0]).toEqual(payload);
    expect(got[0]?.buffer).toBe(chunk.buffer);
  });

  test('retainChunks: 1 MiB in 64 KiB reads arrives as one exact-size buffer, reads untouched', () => {
    const payload = patternBytes(1 << 20, 9);
    for (const unmask of [false, true]) {
      const bytes = concatBytes(...encodeFrame({ opcode: 2, payload, maskKey: 0xa1b2c3d4 }));
      const reads: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += 65536) reads.push(bytes.slice(i, i + 65536));
      const before = reads.map((r) => r.slice());
      const parser = new FrameParser({ retainChunks: true, unmask });
      const got: Uint8Array[] = [];
      for (const read of reads.slice(0, -1)) {
        parser.push(read, { frame: (_, data) => void got.push(data) });
      }
      expect(got).toHaveLength(0);
      expect(parser.bufferedLength).toBe(bytes.length - reads.at(-1)!.length - 14);
      parser.push(reads.at(-1)!, { frame: (_, data) => void got.push(data) });
      expect(got).toHaveLength(1);
      expect(got[0]!.buffer.byteLength).toBe(1 << 20);
      const plain = got[0]!.slice();
      if (!unmask) mask(plain, 0xa1b2c3d4);
      assertBytes(plain, payload);
      // A payload gathered across reads is copied out: the reads themselves stay as they were.
      for (let i = 0; i < reads.length; i++) assertBytes(reads[i]!, before[i]!);
    }
  });

  test('retainChunks: a frame trickling in 16-byte reads, then large ones, is gathered exactly', () => {
    const payload = patternBytes(150_000, 3);
    const bytes = concatBytes(...encodeFrame({ opcode: 2, payload, maskKey: 0x0badf00d }));
    const cuts: number[] = [];
    for (let i = 16; i < 40_000; i += 16) cuts.push(i);
    for (let i = 40_000; i < bytes.length; i += 30_000) cuts.push(i);
    const frames = parseWith(bytes, cuts, { retainChunks: true, unmask: true });
    expect(frames).toHaveLength(1);
    assertBytes(frames[0]?.payload, payload);
  });

  test('retainChunks: stop and resume around a retained frame loses nothing', () => {
    const a = patternBytes(100_000, 1);
    const b = patternBytes(10, 2);
    const bytes = concatBytes(
      ...encodeFrame({ opcode: 2, payload: a, maskKey: 7 }),
      ...encodeFrame({ opcode: 2, payload: b, maskKey: 8 }),
    );
    const parser = new FrameParser({ retainChunks: true, unmask: true });
    const got: Uint8Array[] = [];
    const sink: FrameSink = {
      frame(_, data) {
        got.push(data.slice());
        return false;
      },
    };
    expect(parser.push(bytes.slice(0, 50_000), sink)).toBe(true);
    expect(parser.push(bytes.slice(50_000), sink)).toBe(false);
    expect(got).toHaveLength(1);
    expect(parser.push(new Uint8Array(0), sink)).toBe(false);
    expect(parser.push(new Uint8Array(0), sink)).toBe(true);
    assertBytes(got[0], a);
    assertBytes(got[1], b);
  });
});
