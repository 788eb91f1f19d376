// RFC 6455 §5.2 / §5.4 / §5.5: splitting a byte stream into frames, whatever its chunking.
import {
  concatBytes,
  hex,
  INVALID_HEADERS,
  patternBytes,
  RFC6455_FRAMES,
} from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assertFrames, type Collected } from '../test/frames.js';
import { assertBytes } from '../test/host.js';
import { ProtocolError } from './errors.js';
import { encodeFrame, type FrameHeader } from './frame-header.js';
import { FrameParser, type FrameSink } from './frame-parser.js';
import { mask } from './mask.js';

/** A sink that records frames (copying the reused header and the payload). */
function collector(stopAfter = Number.POSITIVE_INFINITY) {
  const frames: Collected[] = [];
  const headers = new Set<FrameHeader>();
  const payloads: Uint8Array[] = [];
  const sink: FrameSink = {
    frame(header, payload) {
      headers.add(header);
      payloads.push(payload);
      const copy = payload.slice();
      if (header.masked) mask(copy, header.maskKey);
      const { fin, rsv, opcode, masked, maskKey } = header;
      frames.push({ fin, rsv, opcode, masked, maskKey, payload: copy });
      if (header.payloadLength !== payload.length) throw new Error('payloadLength mismatch');
      return frames.length % stopAfter !== 0;
    },
  };
  return { frames, headers, payloads, sink };
}

function parseInChunks(bytes: Uint8Array, cuts: readonly number[], parser = new FrameParser()) {
  const c = collector();
  let start = 0;
  for (const end of [...cuts, bytes.length]) {
    if (!parser.push(bytes.subarray(start, end), c.sink)) throw new Error('unexpected stop');
    start = end;
  }
  if (parser.bufferedLength !== 0) throw new Error(`${parser.bufferedLength} bytes left`);
  return c.frames;
}

function protocolErrorOf(fn: () => unknown): ProtocolError | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  return undefined;
}

const v = RFC6455_FRAMES;
const stream = concatBytes(
  v.fragmentedTextFirst.wire,
  v.unmaskedPing.wire,
  v.fragmentedTextLast.wire,
  v.maskedText.wire,
  v.maskedPong.wire,
  v.binary256.wire,
);
const streamPayloads = [
  v.fragmentedTextFirst.payload,
  v.unmaskedPing.payload,
  v.fragmentedTextLast.payload,
  v.maskedText.payload,
  v.maskedPong.payload,
  v.binary256.payload,
];

describe('FrameParser', () => {
  test('§5.7 examples in one chunk: all frames in one pass, payloads as views', () => {
    const c = collector();
    const parser = new FrameParser();
    expect(parser.push(stream, c.sink)).toBe(true);
    expect(c.frames.map((f) => f.payload)).toEqual(streamPayloads);
    expect(c.frames.map((f) => f.opcode)).toEqual([1, 9, 0, 1, 10, 2]);
    expect(c.frames.map((f) => f.fin)).toEqual([false, true, true, true, true, true]);
    // One header object for every frame, payloads are views of the chunk.
    expect(c.headers.size).toBe(1);
    for (const payload of c.payloads) expect(payload.buffer).toBe(stream.buffer);
  });

  test('the 64 KiB §5.7 frame', () => {
    assertBytes(
      parseInChunks(v.binary65536.wire, [3, 9, 40000])[0]?.payload,
      v.binary65536.payload,
    );
  });

  test('every single split point and every pair of split points', () => {
    const small = stream.subarray(0, stream.length - v.binary256.wire.length);
    const expected = streamPayloads.slice(0, 5);
    const whole = parseInChunks(small, []);
    expect(whole.map((f) => f.payload)).toEqual(expected);
    for (let a = 0; a <= small.length; a++) {
      assertFrames(parseInChunks(small, [a]), whole);
      for (let b = a; b <= small.length; b++) assertFrames(parseInChunks(small, [a, b]), whole);
    }
  });

  test('byte by byte', () => {
    const cuts = Array.from({ length: stream.length }, (_, i) => i);
    expect(parseInChunks(stream, cuts).map((f) => f.payload)).toEqual(streamPayloads);
  });

  test('a payload inside one later chunk is still a view; split payloads are fresh copies', () => {
    const { wire } = v.binary256;
    const headerPart = wire.subarray(0, 3);
    const rest = wire.slice(3);
    const c = collector();
    const parser = new FrameParser();
    parser.push(headerPart, c.sink);
    expect(parser.bufferedLength).toBe(3);
    parser.push(rest, c.sink);
    expect(c.payloads[0]?.buffer).toBe(rest.buffer);

    const d = collector();
    const parser2 = new FrameParser();
    const first = wire.slice(0, 100);
    const second = wire.slice(100);
    parser2.push(first, d.sink);
    expect(parser2.bufferedLength).toBe(100 - 4);
    parser2.push(second, d.sink);
    expect(d.payloads[0]).toEqual(v.binary256.payload);
    expect(d.payloads[0]?.buffer).not.toBe(first.buffer);
    expect(d.payloads[0]?.buffer).not.toBe(second.buffer);
    expect(d.payloads[0]?.byteLength).toBe(256);
  });

  test('a large frame in many chunks is gathered exactly (buffer grows with the data)', () => {
    const payload = patternBytes(300_001, 5);
    const [header, body] = encodeFrame({ opcode: 2, payload, maskKey: 0x01020304 });
    const bytes = concatBytes(header, body);
    const cuts: number[] = [];
    for (let i = 1000; i < bytes.length; i += 7919) cuts.push(i);
    const frames = parseInChunks(bytes, cuts);
    expect(frames).toHaveLength(1);
    assertBytes(frames[0]?.payload, payload);
  });

  test('the sink stops delivery; push(empty) resumes with the next frame', () => {
    const c = collector(2);
    const parser = new FrameParser();
    expect(parser.push(stream, c.sink)).toBe(false);
    expect(c.frames).toHaveLength(2);
    const consumed = v.fragmentedTextFirst.wire.length + v.unmaskedPing.wire.length;
    expect(parser.bufferedLength).toBe(stream.length - consumed);
    expect(parser.push(new Uint8Array(0), c.sink)).toBe(false);
    expect(c.frames).toHaveLength(4);
    // New bytes pushed while stopped queue behind the old ones.
    const extra = v.unmaskedText.wire;
    expect(parser.push(extra, c.sink)).toBe(false);
    expect(c.frames).toHaveLength(6);
    expect(parser.push(new Uint8Array(0), c.sink)).toBe(true);
    expect(c.frames.map((f) => f.payload)).toEqual([...streamPayloads, v.unmaskedText.payload]);
    expect(parser.bufferedLength).toBe(0);
  });

  test('stopping at the last frame of a chunk still reports the stop', () => {
    const parser = new FrameParser();
    expect(parser.push(v.unmaskedText.wire, { frame: () => false })).toBe(false);
    expect(parser.bufferedLength).toBe(0);
    expect(parser.push(new Uint8Array(0), { frame: () => false })).toBe(true);
  });

  test('stopping after a frame gathered across chunks keeps the rest', () => {
    const bytes = concatBytes(v.binary256.wire, v.unmaskedText.wire);
    const parser = new FrameParser();
    const c = collector(1);
    expect(parser.push(bytes.subarray(0, 50), c.sink)).toBe(true);
    expect(parser.push(bytes.subarray(50), c.sink)).toBe(false);
    expect(c.frames).toHaveLength(1);
    expect(parser.bufferedLength).toBe(v.unmaskedText.wire.length);
    expect(parser.push(new Uint8Array(0), c.sink)).toBe(false);
    expect(c.frames[1]?.payload).toEqual(v.unmaskedText.payload);
  });

  test('empty payloads and empty chunks', () => {
    const bytes = hex('82 00 89 00 81 80 01 02 03 04');
    const frames = parseInChunks(bytes, [0, 0, 1, 1, 5]);
    expect(frames.map((f) => [f.opcode, f.payload.length, f.masked])).toEqual([
      [2, 0, false],
      [9, 0, false],
      [1, 0, true],
    ]);
  });
});

describe('FrameParser limits and errors', () => {
  test('maxPayloadLength: 1009 at the header, before the payload arrives', () => {
    const parser = new FrameParser({ maxPayloadLength: 255 });
    const error = protocolErrorOf(() =>
      parser.push(v.binary256.wire.subarray(0, 4), collector().sink),
    );
    expect(error?.closeCode).toBe(1009);
    // A frame at the limit is fine.
    const ok = new FrameParser({ maxPayloadLength: 256 });
    expect(parseInChunks(v.binary256.wire, [], ok)).toHaveLength(1);
  });

  test('maxPayloadLength 0 allows only empty frames', () => {
    const parser = new FrameParser({ maxPayloadLength: 0 });
    expect(parseInChunks(hex('82 00'), [], parser)).toHaveLength(1);
    expect(protocolErrorOf(() => parser.push(hex('82 01 00'), collector().sink))?.closeCode).toBe(
      1009,
    );
  });

  test('the default limit is 64 MiB', () => {
    const at = new FrameParser();
    const header = hex('82 7f 0000000004000000'); // 64 MiB exactly
    expect(at.push(header, collector().sink)).toBe(true);
    expect(at.bufferedLength).toBe(0);
    const over = new FrameParser();
    expect(
      protocolErrorOf(() => over.push(hex('82 7f 0000000004000001'), collector().sink))?.closeCode,
    ).toBe(1009);
  });

  test('a header announcing a large payload does not allocate it up front', () => {
    const parser = new FrameParser();
    parser.push(hex('82 7f 0000000004000000 01 02 03'), collector().sink);
    // Only what arrived is held; the 64 MiB are not allocated for three bytes.
    expect(parser.bufferedLength).toBe(3);
  });

  test('invalid options are refused', () => {
    expect(() => new FrameParser({ maxPayloadLength: -1 })).toThrow(RangeError);
    expect(() => new FrameParser({ maxPayloadLength: 1.5 })).toThrow(RangeError);
    expect(() => new FrameParser({ maxPayloadLength: Number.NaN })).toThrow(RangeError);
  });

  for (const vector of INVALID_HEADERS) {
    test(`${vector.name}: 1002, also after good frames and split`, () => {
      const bytes = concatBytes(v.unmaskedText.wire, vector.bytes);
      for (let split = 0; split <= bytes.length; split++) {
        const parser = new FrameParser();
        const c = collector();
        const error = protocolErrorOf(() => {
          parser.push(bytes.subarray(0, split), c.sink);
          parser.push(bytes.subarray(split), c.sink);
        });
        expect(error?.closeCode).toBe(1002);
        expect(c.frames).toHaveLength(1);
      }
    });
  }

  test('a failed parser keeps failing with the same error until reset', () => {
    const parser = new FrameParser();
    const sink = collector().sink;
    const first = protocolErrorOf(() => parser.push(hex('83 00'), sink));
    expect(first?.closeCode).toBe(1002);
    expect(protocolErrorOf(() => parser.push(v.unmaskedText.wire, sink))).toBe(first);
    parser.reset();
    expect(parseInChunks(v.unmaskedText.wire, [], parser)).toHaveLength(1);
  });

  test('an exception thrown by the sink propagates and fails the parser', () => {
    const parser = new FrameParser();
    const boom = new Error('sink bug');
    expect(() =>
      parser.push(v.unmaskedText.wire, {
        frame() {
          throw boom;
        },
      }),
    ).toThrow(boom);
    expect(() => parser.push(new Uint8Array(0), collector().sink)).toThrow(boom);
  });

  test('reset drops buffered bytes', () => {
    const parser = new FrameParser();
    parser.push(v.binary256.wire.subarray(0, 100), collector().sink);
    parser.push(hex('81'), collector().sink);
    expect(parser.bufferedLength).toBe(97);
    parser.reset();
    expect(parser.bufferedLength).toBe(0);
    expect(parseInChunks(v.unmaskedText.wire, [], parser)).toHaveLength(1);
  });
});

// ---- properties ----

interface FrameSpec {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Uint8Array;
  maskKey: number | undefined;
}

const payloadArb = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 130 }) },
  { weight: 1, arbitrary: fc.integer({ min: 65530, max: 65540 }).map((n) => patternBytes(n, n)) },
);

const frameArb: fc.Arbitrary<FrameSpec> = fc
  .record({
    opcode: fc.constantFrom(0, 1, 2, 8, 9, 10),
    fin: fc.boolean(),
    rsv: fc.constantFrom(0, 0x10, 0x20, 0x40, 0x70),
    payload: payloadArb,
    maskKey: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
  })
  .map((f) => (f.opcode >= 8 ? { ...f, fin: true, payload: f.payload.subarray(0, 125) } : f));

describe('FrameParser properties', () => {
  test('any frames encode and parse back identically under any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (specs, rawCuts) => {
          const parts = specs.flatMap((s) => encodeFrame(s));
          const bytes = concatBytes(...parts);
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const frames = parseInChunks(bytes, cuts);
          assertFrames(
            frames,
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
      { numRuns: 300 },
    );
  });

  test('small frames parse identically under every chunking into 1..3 pieces', () => {
    const smallFrame = frameArb.map((f) => ({ ...f, payload: f.payload.subarray(0, 20) }));
    fc.assert(
      fc.property(fc.array(smallFrame, { minLength: 1, maxLength: 3 }), (specs) => {
        const bytes = concatBytes(...specs.flatMap((s) => encodeFrame(s)));
        const expected = parseInChunks(bytes, []);
        expect(expected.map((f) => f.payload)).toEqual(specs.map((s) => s.payload));
        for (let a = 0; a <= bytes.length; a++) {
          for (let b = a; b <= bytes.length; b += 3) {
            assertFrames(parseInChunks(bytes, [a, b]), expected);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  test('tiny frames parse identically under EVERY chunking (all 2^(n-1) ways to cut n bytes)', () => {
    const tinyFrame = frameArb.map((f) => ({ ...f, payload: f.payload.subarray(0, 4) }));
    let chunkings = 0;
    fc.assert(
      fc.property(fc.array(tinyFrame, { minLength: 2, maxLength: 3 }), (generated) => {
        let specs = generated;
        let bytes = concatBytes(...specs.flatMap((s) => encodeFrame(s)));
        // At most 14 bytes: 8192 chunkings. Drop trailing frames until it fits.
        while (bytes.length > 14 && specs.length > 1) {
          specs = specs.slice(0, -1);
          bytes = concatBytes(...specs.flatMap((s) => encodeFrame(s)));
        }
        const expected = parseInChunks(bytes, []);
        const n = bytes.length;
        for (let ways = 0; ways < 2 ** (n - 1); ways++) {
          const cuts: number[] = [];
          for (let i = 1; i < n; i++) if (ways & (1 << (i - 1))) cuts.push(i);
          assertFrames(parseInChunks(bytes, cuts), expected);
          chunkings++;
        }
      }),
      { numRuns: 10 },
    );
    expect(chunkings).toBeGreaterThan(1000);
  });

  test('stopping at random frames and resuming with empty pushes loses and reorders nothing', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        (specs, rawCuts, stops) => {
          const bytes = concatBytes(...specs.flatMap((s) => encodeFrame(s)));
          const expected = parseInChunks(bytes, []);
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const got: Collected[] = [];
          let calls = 0;
          const sink: FrameSink = {
            frame(header, payload) {
              const copy = payload.slice();
              if (header.masked) mask(copy, header.maskKey);
              const { fin, rsv, opcode, masked, maskKey } = header;
              got.push({ fin, rsv, opcode, masked, maskKey, payload: copy });
              return stops[calls++ % stops.length];
            },
          };
          const parser = new FrameParser();
          let start = 0;
          for (const end of [...cuts, bytes.length]) {
            let resumed = parser.push(bytes.subarray(start, end), sink);
            for (let guard = 0; !resumed && guard < 100; guard++) {
              resumed = parser.push(new Uint8Array(0), sink);
            }
            if (!resumed) throw new Error('did not resume');
            start = end;
          }
          assertFrames(got, expected);
          if (parser.bufferedLength !== 0) throw new Error('bytes left');
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes never throw anything but ProtocolError, and never buffer more than given', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.integer({ min: 0, max: 70000 }),
        (bytes, rawCuts, maxPayloadLength) => {
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const parser = new FrameParser({ maxPayloadLength });
          const c = collector();
          let start = 0;
          try {
            for (const end of [...cuts, bytes.length]) {
              parser.push(bytes.subarray(start, end), c.sink);
              if (parser.bufferedLength > end) throw new Error('buffered more than received');
              start = end;
            }
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
            expect([1002, 1009]).toContain((error as ProtocolError).closeCode);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
