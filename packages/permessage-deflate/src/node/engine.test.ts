/**
 * RFC 7692 §7.2: compressing and decompressing messages, in both memory modes.
 */

import { constants, createInflateRaw, deflateRawSync } from 'node:zlib';
import { DEFLATE_TAIL, RFC7692_EXAMPLES } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  agreement,
  decode,
  decodeFrames,
  encode,
  hex,
  MODES,
  modeName,
  pair,
  sample,
  utf8,
} from '../../test/engine/helpers.js';
import { contextCost, DeflateContextBudget } from './context-budget.js';
import { createPerMessageDeflate, PerMessageDeflate } from './engine.js';
import { ZlibLimiter } from './limiter.js';

describe('RFC 7692 §7.2.3 examples (shared vectors)', () => {
  for (const mode of MODES) {
    describe(modeName(mode), () => {
      for (const vector of Object.values(RFC7692_EXAMPLES)) {
        it(`decodes ${vector.source}: ${vector.name}`, async () => {
          const ext = createPerMessageDeflate(agreement('client'), mode);
          for (const previous of vector.context) {
            // Build the shared window the example assumes: inflate the earlier message.
            const z = deflateRawSync(previous, { finishFlush: constants.Z_SYNC_FLUSH });
            expect(hex(await decode(ext, z.subarray(0, z.length - 4)))).toBe(hex(previous));
          }
          // Split the payload as the example's frames do (2-byte headers, unmasked).
          const frames = vector.frames.map((f) => f.subarray(2));
          expect(hex(Buffer.concat(frames))).toBe(hex(vector.compressed));
          const out = await decodeFrames(ext, frames);
          expect(hex(out)).toBe(hex(vector.message));
          ext.dispose();
        });
      }

      it('compresses "Hello" to f2 48 cd c9 c9 07 00 (§7.2.3.1) and the empty message to 00 (§7.2.3.6)', async () => {
        const ext = createPerMessageDeflate(
          agreement('server', { serverNoContextTakeover: true }),
          mode,
        );
        expect(hex(await encode(ext, utf8('Hello')))).toBe('f248cdc9c90700');
        expect(hex(await encode(ext, new Uint8Array(0)))).toBe('00');
        expect(hex(await decode(ext, new Uint8Array([0])))).toBe('');
        ext.dispose();
      });

      it('compresses a second "Hello" with the first one\'s window (§7.2.3.2)', async () => {
        const ext = createPerMessageDeflate(agreement('server'), mode);
        const first = await encode(ext, utf8('Hello'));
        const second = await encode(ext, utf8('Hello'));
        expect(hex(first)).toBe('f248cdc9c90700');
        expect(hex(second)).toBe('f200110000');
        const receiver = createPerMessageDeflate(agreement('client'), mode);
        expect(hex(await decode(receiver, first))).toBe(hex(utf8('Hello')));
        expect(hex(await decode(receiver, second))).toBe(hex(utf8('Hello')));
        ext.dispose();
        receiver.dispose();
      });
    });
  }

  it('uses the shared tail constant', () => {
    expect(hex(DEFLATE_TAIL)).toBe('0000ffff');
  });
});

describe('context takeover (RFC 7692 §7.1.1, §7.2.1)', () => {
  for (const mode of MODES) {
    it(`${modeName(mode)}: with takeover, repeated messages shrink and decode in order`, async () => {
      const { sender, receiver } = pair({}, mode);
      const message = sample(5000, 7);
      const sizes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const z = await encode(sender, message);
        sizes.push(z.length);
        expect(hex(await decode(receiver, z))).toBe(hex(message));
      }
      expect(sizes[1]!).toBeLessThan(sizes[0]! / 4);
      sender.dispose();
      receiver.dispose();
    });

    it(`${modeName(mode)}: without takeover, every message stands alone`, async () => {
      const { sender } = pair({ serverNoContextTakeover: true }, mode);
      const message = sample(5000, 7);
      const first = await encode(sender, message);
      for (let i = 0; i < 3; i++) {
        const z = await encode(sender, message);
        expect(hex(z)).toBe(hex(first));
        // A fresh inflater decodes it: no reference to earlier messages.
        const fresh = createPerMessageDeflate(
          agreement('client', { serverNoContextTakeover: true }),
          mode,
        );
        expect(hex(await decode(fresh, z))).toBe(hex(message));
        fresh.dispose();
      }
      sender.dispose();
    });
  }

  it('kept context: small messages use the history too', async () => {
    const sizes = { takeover: 0, fresh: 0 };
    for (const takeover of [true, false]) {
      const { sender, receiver } = pair({ serverNoContextTakeover: !takeover });
      // Fill the history well past the 4 KiB priming floor first.
      for (let i = 0; i < 40; i++) await decode(receiver, await encode(sender, sample(1000, i)));
      for (let i = 0; i < 50; i++) {
        const m = utf8(
          JSON.stringify({ type: 'tick', symbol: 'ABCD', seq: i, price: 100 + (i % 7), ok: true }),
        );
        const z = await encode(sender, m);
        expect(hex(await decode(receiver, z))).toBe(hex(m));
        sizes[takeover ? 'takeover' : 'fresh'] += z.length;
      }
      sender.dispose();
      receiver.dispose();
    }
    expect(sizes.takeover).toBeLessThan(sizes.fresh / 2);
  });

  it('pooled mode keeps no state without takeover; with it, a budgeted compressor and the peer window', async () => {
    const none = pair({ serverNoContextTakeover: true, clientNoContextTakeover: true });
    await decode(none.receiver, await encode(none.sender, sample(40000)));
    expect(none.sender.retainedBytes).toBe(0);
    expect(none.receiver.retainedBytes).toBe(0);

    const contextBudget = new DeflateContextBudget(1 << 20);
    const takeover = pair({ serverMaxWindowBits: 10 }, { contextBudget });
    await decode(takeover.receiver, await encode(takeover.sender, sample(40000)));
    // The sender's kept compressor is counted by the budget, not as retained plain text.
    expect(takeover.sender.retainedBytes).toBe(0);
    expect(contextBudget.used).toBe(contextCost(10, 8));
    expect(takeover.receiver.retainedBytes).toBe(1024);
    takeover.sender.dispose();
    expect(contextBudget.used).toBe(0);
  });
});

describe('window bits 8..15 (RFC 7692 §7.1.2)', () => {
  /** zlib checks distances against the window only across output calls: 64-byte outputs make it strict. */
  function strictInflate(bits: number) {
    const inflater = createInflateRaw({ windowBits: bits, chunkSize: 64 });
    return (z: Uint8Array): Promise<Uint8Array> =>
      new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        const onData = (c: Buffer) => chunks.push(c);
        inflater.on('data', onData);
        inflater.once('error', reject);
        inflater.write(z);
        inflater.write(DEFLATE_TAIL);
        inflater.flush(constants.Z_SYNC_FLUSH, () => {
          inflater.off('data', onData);
          resolve(Buffer.concat(chunks));
        });
      });
  }

  it('the strict checker catches a window violation', async () => {
    const wide = deflateRawSync(sample(20000), {
      windowBits: 15,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    await expect(strictInflate(9)(wide.subarray(0, wide.length - 4))).rejects.toThrow(
      /too far back/,
    );
  });

  for (const mode of MODES) {
    for (let bits = 8; bits <= 15; bits++) {
      it(`${modeName(mode)}: the sender stays within a ${bits}-bit window, with and without takeover`, async () => {
        for (const takeover of [true, false]) {
          const { sender, receiver } = pair(
            { serverMaxWindowBits: bits, serverNoContextTakeover: !takeover },
            mode,
          );
          const check = strictInflate(bits);
          const messages = [sample(3000, 1), sample(3000, 1), sample(2000, 2)];
          for (const m of messages) {
            const z = await encode(sender, m);
            expect(hex(await check(z))).toBe(hex(m));
            expect(hex(await decode(receiver, z))).toBe(hex(m));
          }
          if (bits === 8) {
            // 8 bits: zlib cannot compress within 256 bytes, so we do not compress at all.
            expect(sender.shouldEncode(5000, true)).toBe(false);
          } else {
            expect(sender.shouldEncode(5000, true)).toBe(true);
          }
          sender.dispose();
          receiver.dispose();
        }
      });
    }
  }

  it('decodes a peer that promised 8 bits but used 9 (as zlib-based peers do)', async () => {
    const receiver = createPerMessageDeflate(agreement('client', { serverMaxWindowBits: 8 }));
    const m1 = sample(3000, 3);
    const m2 = sample(3000, 3);
    // Context takeover across messages with a 9-bit compressor.
    const z = deflateRawSync(Buffer.concat([m1, m2]), {
      windowBits: 9,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    expect(hex(await decode(receiver, z.subarray(0, z.length - 4)))).toBe(
      hex(Buffer.concat([m1, m2])),
    );
    receiver.dispose();
  });
});

describe('fragmented compressed messages (RFC 7692 §6.1)', () => {
  for (const mode of MODES) {
    it(`${modeName(mode)}: any split of the payload decodes to the message (property)`, async () => {
      const { sender } = pair({ serverNoContextTakeover: true }, mode);
      const message = sample(20000, 5);
      const z = await encode(sender, message);
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 1, max: z.length - 1 }), { maxLength: 6 }),
          async (cuts) => {
            cuts.sort((a, b) => a - b);
            const frames: Uint8Array[] = [];
            let at = 0;
            for (const c of cuts) {
              frames.push(z.subarray(at, c));
              at = c;
            }
            frames.push(z.subarray(at));
            const receiver = createPerMessageDeflate(
              agreement('client', { serverNoContextTakeover: true }),
              mode,
            );
            expect(hex(await decodeFrames(receiver, frames))).toBe(hex(message));
            receiver.dispose();
          },
        ),
        { numRuns: 25 },
      );
      sender.dispose();
    });
  }
});

describe('round trip (property)', () => {
  it('any messages, any takeover and window, both modes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 2000 }).map(utf8)),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.boolean(),
        fc.integer({ min: 9, max: 15 }),
        fc.constantFrom(...MODES),
        async (messages, noTakeover, bits, mode) => {
          const { sender, receiver } = pair(
            { serverNoContextTakeover: noTakeover, serverMaxWindowBits: bits },
            { ...mode, level: 6 },
          );
          for (const m of messages) {
            expect(hex(await decode(receiver, await encode(sender, m)))).toBe(hex(m));
          }
          sender.dispose();
          receiver.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('threshold, order, limiter, dispose', () => {
  it('compresses from the threshold up (default 1024)', () => {
    const ext = createPerMessageDeflate(agreement('server'));
    expect(ext.shouldEncode(1023, false)).toBe(false);
    expect(ext.shouldEncode(1024, false)).toBe(true);
    const custom = createPerMessageDeflate(agreement('server'), { threshold: 10 });
    expect(custom.shouldEncode(9, true)).toBe(false);
    expect(custom.shouldEncode(10, true)).toBe(true);
  });

  for (const mode of MODES) {
    it(`${modeName(mode)}: keeps message order when calls overlap, with takeover`, async () => {
      const { sender, receiver } = pair({}, { ...mode, syncLimit: 0 });
      const messages = Array.from({ length: 12 }, (_, i) => sample(2000 + i * 997, i + 1));
      const compressed = await Promise.all(messages.map((m) => encode(sender, m)));
      const order: number[] = [];
      const decoded = await Promise.all(
        compressed.map((z, i) =>
          decode(receiver, z).then((out) => {
            order.push(i);
            return out;
          }),
        ),
      );
      expect(order).toEqual(messages.map((_, i) => i));
      for (let i = 0; i < decoded.length; i++) expect(hex(decoded[i]!)).toBe(hex(messages[i]!));
      sender.dispose();
      receiver.dispose();
    });
  }

  it('never runs more thread-pool jobs than the limiter allows', async () => {
    const limiter = new ZlibLimiter(2);
    let maxActive = 0;
    const run = limiter.run.bind(limiter);
    limiter.run = (task) =>
      run((release) => {
        maxActive = Math.max(maxActive, limiter.active);
        task(release);
      });
    const engines = Array.from({ length: 20 }, () =>
      createPerMessageDeflate(agreement('server', { serverNoContextTakeover: true }), {
        limiter,
        syncLimit: 0,
      }),
    );
    const outs = await Promise.all(engines.map((e, i) => encode(e, sample(30000, i))));
    expect(outs).toHaveLength(20);
    expect(maxActive).toBe(2);
    expect(limiter.active).toBe(0);
    expect(limiter.pending).toBe(0);
  });

  for (const [label, over, options] of [
    ['pooled, thread pool', { serverNoContextTakeover: true }, { syncLimit: 0 }],
    ['pooled, primed context (takeover)', {}, { syncLimit: 0 }],
    ['dedicated', {}, { memoryMode: 'dedicated' }],
  ] as const) {
    it(`${label}: disposing mid-job gives the limiter slot back`, async () => {
      const limiter = new ZlibLimiter(1);
      const first = createPerMessageDeflate(agreement('server', over), { ...options, limiter });
      const pending = encode(first, sample(200000)).then(
        () => 'resolved',
        (e: Error) => e.message,
      );
      await new Promise((r) => setImmediate(r)); // let the job start
      first.dispose();
      expect(await pending).toMatch(/disposed/);
      const second = createPerMessageDeflate(agreement('server', over), { ...options, limiter });
      const out = await encode(second, sample(20000));
      expect(out.length).toBeGreaterThan(0);
      expect(limiter.active).toBe(0);
      second.dispose();
    });
  }

  it('ZlibLimiter: FIFO, bounded, release is idempotent', () => {
    expect(() => new ZlibLimiter(0)).toThrow(RangeError);
    const limiter = new ZlibLimiter(2);
    const started: number[] = [];
    const releases: (() => void)[] = [];
    for (let i = 0; i < 5; i++) {
      limiter.run((release) => {
        started.push(i);
        releases.push(release);
      });
    }
    expect(started).toEqual([0, 1]);
    expect(limiter.pending).toBe(3);
    releases[0]!();
    releases[0]!();
    expect(started).toEqual([0, 1, 2]);
    releases[1]!();
    releases[2]!();
    releases[3]!();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    releases[4]!();
    expect(limiter.active).toBe(0);
  });

  for (const mode of MODES) {
    it(`${modeName(mode)}: dispose fails pending work and later calls`, async () => {
      const ext = createPerMessageDeflate(agreement('server'), { ...mode, syncLimit: 0 });
      const pending = [encode(ext, sample(50000)), encode(ext, sample(50000))].map((p) =>
        p.then(
          () => 'resolved',
          (e: Error) => e.message,
        ),
      );
      ext.dispose();
      expect(await Promise.all(pending)).toEqual([
        'permessage-deflate extension disposed',
        'permessage-deflate extension disposed',
      ]);
      await expect(encode(ext, sample(10))).rejects.toThrow(/disposed/);
      await expect(decode(ext, new Uint8Array([0]))).rejects.toThrow(/disposed/);
      expect(ext.shouldEncode(5000, false)).toBe(false);
      expect(ext.retainedBytes).toBe(0);
    });
  }

  it('refuses bad options', () => {
    const a = agreement('server');
    expect(() => new PerMessageDeflate(a, { level: 10 })).toThrow(RangeError);
    expect(() => new PerMessageDeflate(a, { memLevel: 0 })).toThrow(RangeError);
    expect(() => new PerMessageDeflate(a, { threshold: -1 })).toThrow(RangeError);
    expect(() => new PerMessageDeflate(a, { memoryMode: 'lazy' as never })).toThrow(RangeError);
    expect(() => new PerMessageDeflate({ ...a, serverMaxWindowBits: 7 })).toThrow(RangeError);
  });
});
