/**
 * Property tests: the chunking of the input never changes what happens, and any byte stream
 * ends in events or a failed connection with a valid close code, never a throw or a hang.
 *
 * STRATA_FUZZ_RUNS sets the number of random streams (default 100 000; `npm run test:fuzz`
 * runs a nightly-sized count).
 */
import { Connection } from '@strata-ws/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeCodeOf, concatBytes, frame, parseFrames, Recorder } from './helpers.js';

const FUZZ_RUNS = Number(process.env.STRATA_FUZZ_RUNS ?? 100_000);
/** A generous bound for loaded CI machines: the default count takes a few seconds. */
const FUZZ_TIMEOUT_MS = 20_000 + FUZZ_RUNS * 0.2;

/** A frame with any header fields (valid or not), in either masking. */
const anyFrame = fc.record({
  fin: fc.boolean(),
  rsv: fc.constantFrom(0, 0, 0, 0, 0x40, 0x20, 0x10),
  opcode: fc.constantFrom(0, 1, 1, 2, 2, 0, 8, 9, 10, 3, 11),
  masked: fc.constantFrom(true, true, true, true, true, true, true, true, true, false),
  payload: fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(
      Uint8Array.of(0xe2, 0x82, 0xac),
      Uint8Array.of(0xe2, 0x82),
      Uint8Array.of(0xff),
      Uint8Array.of(0x03, 0xe8),
      Uint8Array.of(0x03, 0xe8, 0x61),
      new Uint8Array(130),
      new Uint8Array(300),
    ),
  ),
});

/** A well-formed message as frames: fragments with pings between them. */
const goodMessage = fc
  .record({
    opcode: fc.constantFrom(1, 2),
    parts: fc.array(fc.string({ maxLength: 20, unit: 'grapheme' }), { minLength: 1, maxLength: 4 }),
    pingAfter: fc.nat({ max: 4 }),
  })
  .map(({ opcode, parts, pingAfter }) => {
    const frames: Uint8Array[] = [];
    parts.forEach((part, i) => {
      frames.push(frame(i === 0 ? opcode : 0, part, { fin: i === parts.length - 1 }));
      if (i === pingAfter) frames.push(frame(9, 'ping'));
    });
    return concatBytes(...frames);
  });

const LIMITS = { maxPayload: 200, maxMessageSize: 256, maxFragments: 6 };

interface Outcome {
  events: unknown[];
  output: string;
}

function run(chunks: readonly Uint8Array[], role: 'server' | 'client' = 'server'): Outcome {
  const rec = new Recorder();
  const conn = new Connection(rec, {
    role,
    ...LIMITS,
    randomFill: (b) => b.fill(0x5a),
  });
  for (const chunk of chunks) conn.receive(chunk.slice());
  const output = conn.takeOutput();
  return { events: rec.events, output: Buffer.from(concatBytes(...output)).toString('hex') };
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(last, p));
    last = p;
  }
  chunks.push(bytes.subarray(last));
  return chunks;
}

/** Checks one run's invariants; returns the failure code, if any. */
function checkOutcome(events: readonly unknown[][], outputChunks: Uint8Array[], role: string) {
  const failIndex = events.findIndex((e) => e[0] === 'fail');
  const closeIndex = events.findIndex((e) => e[0] === 'close');
  const frames = parseFrames(outputChunks);
  for (const f of frames) expect(f.masked).toBe(role === 'client');
  const closes = frames.filter((f) => f.opcode === 8);
  expect(closes.length).toBeLessThanOrEqual(1);
  if (closes.length === 1) expect(frames[frames.length - 1]!.opcode).toBe(8);
  if (failIndex >= 0) {
    expect(failIndex).toBe(events.length - 1);
    const code = events[failIndex]![1] as number;
    expect([1002, 1007, 1008, 1009]).toContain(code);
    expect(closes.map((f) => closeCodeOf(f.payload))).toEqual([code]);
  }
  if (closeIndex >= 0) {
    expect(closeIndex).toBe(events.length - 1);
    expect(closes).toHaveLength(1);
  }
}

describe('any split of the same bytes yields the same events and output', () => {
  it('well-formed messages, pings and a close', () => {
    fc.assert(
      fc.property(
        fc.array(goodMessage, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        (messages, cuts, withClose) => {
          const wire = concatBytes(
            ...messages,
            withClose ? frame(8, Uint8Array.of(3, 232)) : new Uint8Array(0),
          );
          const whole = run([wire]);
          expect(run(split(wire, cuts))).toEqual(whole);
          expect(whole.events.filter((e) => (e as unknown[])[0] === 'message')).toHaveLength(
            messages.length,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary frames, byte by byte and at random cuts', () => {
    fc.assert(
      fc.property(
        fc.array(anyFrame, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (specs, cuts) => {
          const wire = concatBytes(
            ...specs.map((s) =>
              frame(s.opcode, s.payload, { fin: s.fin, rsv: s.rsv, masked: s.masked }),
            ),
          );
          const whole = run([wire]);
          expect(run(split(wire, cuts))).toEqual(whole);
          const bytes = Array.from(wire, (b) => Uint8Array.of(b));
          expect(run(bytes)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** xorshift32: a fast seeded generator, so a failing stream can be replayed from its seed. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

const OPCODES = [0, 1, 1, 2, 2, 0, 8, 9, 10, 3, 11];
const RSVS = [0, 0, 0, 0, 0, 0x40, 0x20, 0x10];

/** One random stream: random bytes, random frames, or random frames with a corrupted byte. */
function randomStream(next: () => number): Uint8Array {
  const shape = next() % 3;
  if (shape === 0) {
    const out = new Uint8Array(next() % 48);
    for (let i = 0; i < out.length; i++) out[i] = next() & 0xff;
    return out;
  }
  const frames: Uint8Array[] = [];
  const count = next() % 7;
  for (let f = 0; f < count; f++) {
    const r = next();
    const sizeClass = r % 16;
    const length =
      sizeClass < 12 ? next() % 40 : sizeClass < 15 ? 120 + (next() % 20) : 190 + (next() % 80);
    const payload = new Uint8Array(length);
    const kind = next() % 4;
    for (let i = 0; i < length; i++) {
      // Mostly ASCII text, some UTF-8 lead/continuation bytes, some noise.
      payload[i] =
        kind === 0 ? next() & 0xff : kind === 1 ? 0x80 | (next() & 0x3f) : 0x61 + (next() % 26);
    }
    if (kind === 2 && length >= 2) payload.set([0x03, 0xe8]); // a close code
    frames.push(
      frame(OPCODES[next() % OPCODES.length]!, payload, {
        fin: (next() & 3) !== 0,
        rsv: RSVS[next() % RSVS.length]!,
        masked: next() % 10 !== 0,
      }),
    );
  }
  const wire = concatBytes(...frames);
  if (shape === 2 && wire.length > 0) wire[next() % wire.length] = next() & 0xff;
  return wire;
}

/** A handler that checks the event invariants as they happen (no per-event allocation). */
class FuzzHandler {
  ended = false;
  failCode = 0;
  events = 0;
  onMessage(): void {
    if (this.ended) throw new Error('message after the end');
    this.events++;
  }
  onPing(): void {
    if (this.ended) throw new Error('ping after the end');
  }
  onPong(): void {
    if (this.ended) throw new Error('pong after the end');
  }
  onClose(): void {
    if (this.ended) throw new Error('close after the end');
    this.ended = true;
  }
  onFail(error: { closeCode: number }): void {
    if (this.ended) throw new Error('fail after the end');
    this.ended = true;
    this.failCode = error.closeCode;
  }
  onOutput(): void {}
}

/** Scans the output frames by hand: well-formed, masked by role, at most one close, last. */
function checkOutput(chunks: Uint8Array[], client: boolean, failCode: number): void {
  const out = concatBytes(...chunks);
  let offset = 0;
  let closeCode = -1;
  while (offset < out.length) {
    if (closeCode !== -1) throw new Error('frame after the close frame');
    const opcode = out[offset]! & 0x0f;
    const masked = (out[offset + 1]! & 0x80) !== 0;
    if (masked !== client) throw new Error('wrong masking for the role');
    let length = out[offset + 1]! & 0x7f;
    let header = 2;
    if (length === 126) {
      length = (out[offset + 2]! << 8) | out[offset + 3]!;
      header = 4;
    } else if (length === 127) {
      throw new Error('unexpectedly long output frame');
    }
    if (masked) header += 4;
    if (opcode === 8) {
      if (length === 0) closeCode = 1005;
      else {
        const k = out.subarray(offset + header - 4, offset + header);
        closeCode =
          ((out[offset + header]! ^ (masked ? k[0]! : 0)) << 8) |
          (out[offset + header + 1]! ^ (masked ? k[1]! : 0));
      }
    }
    offset += header + length;
  }
  if (offset !== out.length) throw new Error('output ends inside a frame');
  if (failCode !== 0 && closeCode !== failCode)
    throw new Error(`failed with ${failCode}, sent ${closeCode}`);
}

describe(`random byte streams (${FUZZ_RUNS} runs) end in events or a valid failure`, () => {
  it(
    'never throws; a failure is 1002/1007/1008/1009 with the matching close frame last',
    () => {
      const seed = Number(process.env.STRATA_FUZZ_SEED ?? 0x5eed);
      const next = prng(seed);
      const fill = (b: Uint8Array) => b.fill(0x2b);
      const counts = { fail: 0, clean: 0 };
      // Half the streams fail: capturing a stack for each ProtocolError would dominate the run.
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        fuzz();
      } finally {
        Error.stackTraceLimit = stackTraceLimit;
      }
      // The generator reaches both outcomes in quantity.
      expect(counts.fail).toBeGreaterThan(FUZZ_RUNS / 10);
      expect(counts.clean).toBeGreaterThan(FUZZ_RUNS / 10);

      function fuzz(): void {
        for (let run = 0; run < FUZZ_RUNS; run++) {
          const wire = randomStream(next);
          const client = (run & 1) === 1;
          const handler = new FuzzHandler();
          const conn = new Connection(handler, {
            role: client ? 'client' : 'server',
            ...LIMITS,
            randomFill: fill,
          });
          const cut = next() % (wire.length + 1);
          try {
            conn.receive(wire.subarray(0, cut));
            conn.receive(wire.subarray(cut));
            if (handler.failCode !== 0 && ![1002, 1007, 1008, 1009].includes(handler.failCode)) {
              throw new Error(`close code ${handler.failCode}`);
            }
            checkOutput(conn.takeOutput(), client, handler.failCode);
            if (handler.failCode !== 0) {
              if (conn.state !== 3) throw new Error('failed but not closed');
              counts.fail++;
            } else counts.clean++;
          } catch (error) {
            throw new Error(
              `run ${run} (seed ${seed}, ${client ? 'client' : 'server'}, cut ${cut}): ${Buffer.from(wire).toString('hex')}: ${String(error)}`,
            );
          }
        }
      }
    },
    FUZZ_TIMEOUT_MS,
  );

  it('fast-check streams (shrinkable): the same invariants', () => {
    const stream = fc.oneof(
      fc.uint8Array({ maxLength: 48 }),
      fc
        .tuple(fc.array(anyFrame, { maxLength: 4 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([specs, at, byte]) => {
          const wire = concatBytes(
            ...specs.map((s) =>
              frame(s.opcode, s.payload, { fin: s.fin, rsv: s.rsv, masked: s.masked }),
            ),
          );
          if (wire.length > 0 && at % 2 === 0) wire[at % wire.length] = byte; // one corrupted byte
          return wire;
        }),
    );
    fc.assert(
      fc.property(
        stream,
        fc.constantFrom('server', 'client'),
        fc.nat({ max: 64 }),
        (bytes, role, cut) => {
          const rec = new Recorder();
          const conn = new Connection(rec, { role, ...LIMITS, randomFill: (b) => b.fill(7) });
          const at = Math.min(cut, bytes.length);
          conn.receive(bytes.slice(0, at));
          conn.receive(bytes.slice(at));
          checkOutcome(rec.events, conn.takeOutput(), role);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('with an asynchronous extension every stream settles (no hang), in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyFrame, { maxLength: 6 }), async (specs) => {
        const rec = new Recorder();
        let inFlight = 0;
        const conn = new Connection(rec, {
          role: 'server',
          ...LIMITS,
          extensions: [
            {
              name: 'x-async-identity',
              rsvBit: 0x40,
              shouldEncode: () => true,
              encode: (d, cb) => queueMicrotask(() => cb(null, d)),
              decode: (d, _f, max, cb) => {
                inFlight++;
                expect(inFlight).toBe(1);
                queueMicrotask(() => {
                  inFlight--;
                  cb(null, d.length > max ? undefined : d);
                });
              },
              dispose: () => {},
            },
          ],
        });
        conn.receive(
          concatBytes(
            ...specs.map((s) =>
              frame(s.opcode, s.payload, { fin: s.fin, rsv: s.rsv, masked: s.masked }),
            ),
          ),
        );
        for (let i = 0; i < 20 && inFlight > 0; i++) await Promise.resolve();
        expect(inFlight).toBe(0);
        checkOutcome(rec.events, conn.takeOutput(), 'server');
      }),
      { numRuns: 300 },
    );
  });
});
