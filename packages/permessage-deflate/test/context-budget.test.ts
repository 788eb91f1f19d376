/**
 * The memory budget of kept compressors (context takeover): deterministic byte accounting,
 * least-recently-used hand-over, and peers (`ws`'s permessage-deflate and our own decoder,
 * both keeping their window as RFC 7692 requires) decoding every message byte-exact while
 * the budget takes contexts away and hands them back.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contextCost,
  createPerMessageDeflate,
  DEFAULT_CONTEXT_BUDGET,
  DeflateContextBudget,
  sharedContextBudget,
} from '../src/node/index.js';
import { AGREEMENT, decode, encode, WsDeflate, wsDecode } from './peers.js';

const COST = contextCost(15, 8);

/** A chat-like message from 16 variants, or a JSON document of a few KiB. */
function message(variant: number, large: boolean): Uint8Array {
  const chat = {
    type: 'message',
    room: 'general',
    user: { id: 1000 + (variant % 16), name: `user-${variant % 16}` },
    text: `hello everyone, this is message variant ${variant % 16}`,
  };
  const body = large
    ? Array.from({ length: 40 + (variant % 7) }, (_, i) => ({ ...chat, seq: i * variant }))
    : chat;
  return Buffer.from(JSON.stringify(body));
}

describe('DeflateContextBudget: accounting', () => {
  it('refuses a budget that is not a non-negative integer, naming the option', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new DeflateContextBudget(bad)).toThrow(/contextBudget/);
    }
    expect(new DeflateContextBudget().bytes).toBe(DEFAULT_CONTEXT_BUDGET);
    expect(sharedContextBudget()).toBe(sharedContextBudget());
    expect(DEFAULT_CONTEXT_BUDGET).toBe(8 * 1024 * 1024);
    expect(COST).toBe((1 << 17) + (1 << 17) + 16384);
  });

  it('N idle compressing connections stay under the budget; the most recent keep contexts', async () => {
    const budget = new DeflateContextBudget(3 * COST);
    const engines = Array.from({ length: 40 }, () =>
      createPerMessageDeflate(AGREEMENT, { threshold: 0, contextBudget: budget }),
    );
    for (const [i, ext] of engines.entries()) {
      await encode(ext, message(i, i % 2 === 0));
      expect(budget.used).toBeLessThanOrEqual(budget.bytes);
    }
    expect(budget.contexts).toBe(3);
    expect(budget.used).toBe(3 * COST);
    // Every engine compressed its message with a kept context when it sent it.
    expect(engines.every((e) => e.keptContextMessages === 1)).toBe(true);
    for (const ext of engines) ext.dispose();
    expect(budget.used).toBe(0);
    expect(budget.contexts).toBe(0);
  });

  it('a budget below one context keeps none: every message is compressed fresh', async () => {
    const budget = new DeflateContextBudget(COST - 1);
    const ext = createPerMessageDeflate(AGREEMENT, { threshold: 0, contextBudget: budget });
    const receiver = createPerMessageDeflate({ ...AGREEMENT, role: 'client' }, { threshold: 0 });
    const m = message(1, true);
    const first = await encode(ext, m);
    const second = await encode(ext, m);
    expect(Buffer.from(second)).toEqual(Buffer.from(first)); // no history used
    expect(Buffer.from(await decode(receiver, second))).toEqual(Buffer.from(m));
    expect(budget.used).toBe(0);
    expect(ext.keptContextMessages).toBe(0);
    ext.dispose();
    receiver.dispose();
  });

  it('hand-over, release and accounting hold for any sequence (property)', () => {
    const op = fc.record({
      holder: fc.nat(7),
      release: fc.boolean(),
      memLevel: fc.constantFrom(1, 8, 9),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(op, { maxLength: 60 }), (n, ops) => {
        const budget = new DeflateContextBudget(n * COST + (n > 0 ? 12345 : 0));
        const lost = new Set<number>();
        const held = new Map<number, { cost: number }>();
        const holders = Array.from({ length: 8 }, (_, i) => ({
          contextLost: () => {
            lost.add(i);
            held.delete(i);
          },
        }));
        for (const o of ops) {
          const h = holders[o.holder]!;
          if (o.release) {
            budget.release(h);
            held.delete(o.holder);
            continue;
          }
          const stream = budget.acquire(h, { level: 6, memLevel: o.memLevel, windowBits: 15 });
          const cost = contextCost(15, o.memLevel);
          if (stream !== null) {
            expect(stream.broken).toBe(false);
            if (!held.has(o.holder)) held.set(o.holder, { cost });
          } else expect(cost > budget.bytes || budget.bytes === 0).toBe(true);
          const sum = [...held.values()].reduce((a, e) => a + e.cost, 0);
          expect(budget.used).toBe(sum);
          expect(budget.used).toBeLessThanOrEqual(budget.bytes);
          expect(budget.contexts).toBe(held.size);
        }
        for (const h of holders) budget.release(h);
        expect(budget.used).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});

describe('peers decode every message while the budget takes contexts away', () => {
  it('ws (keeping its window) and our decoder, byte-exact, any interleaving (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ conn: fc.nat(5), variant: fc.nat(40), large: fc.boolean() }), {
          minLength: 1,
          maxLength: 50,
        }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(0, 4096, 1 << 30),
        async (sends, contexts, syncLimit) => {
          const budget = new DeflateContextBudget(contexts * COST);
          const conns = Array.from({ length: 6 }, () => {
            const ws = new WsDeflate({ isServer: false, maxPayload: 0 });
            ws.accept([{ client_no_context_takeover: [true] }]);
            return {
              sender: createPerMessageDeflate(AGREEMENT, {
                threshold: 0,
                syncLimit,
                contextBudget: budget,
              }),
              ours: createPerMessageDeflate(
                { ...AGREEMENT, role: 'client' },
                { threshold: 0, syncLimit },
              ),
              ws,
            };
          });
          try {
            for (const s of sends) {
              const c = conns[s.conn]!;
              const m = message(s.variant, s.large);
              const z = await encode(c.sender, m);
              expect(Buffer.from(await decode(c.ours, z))).toEqual(Buffer.from(m));
              expect(Buffer.from(await wsDecode(c.ws, z))).toEqual(Buffer.from(m));
              expect(budget.used).toBeLessThanOrEqual(budget.bytes);
            }
          } finally {
            for (const c of conns) {
              c.sender.dispose();
              c.ours.dispose();
              c.ws.cleanup();
            }
          }
          expect(budget.used).toBe(0);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('with a kept context, a repeated message shrinks to a few references (as ws sends it)', async () => {
    const budget = new DeflateContextBudget(COST);
    const ext = createPerMessageDeflate(AGREEMENT, { threshold: 0, contextBudget: budget });
    const m = message(3, true);
    const first = await encode(ext, m);
    const second = await encode(ext, m);
    expect(first.length).toBeGreaterThan(100);
    expect(second.length).toBeLessThan(first.length / 2);
    expect(second.length).toBeLessThan(m.length / 50);
    ext.dispose();
  });
});

describe('adaptive level of kept compressors', () => {
  /** JSON with pseudo-random numbers: compresses to well over 1/8 of its size. */
  function dissimilar(seed: number): Uint8Array {
    let x = seed;
    const rows = Array.from({ length: 150 }, (_, i) => {
      x = (x * 1103515245 + 12345) >>> 0;
      return { id: i, value: x, price: (x >>> 7) / 100, name: `n${x % 977}` };
    });
    return Buffer.from(JSON.stringify(rows));
  }

  it('drops one level on dissimilar messages, keeps it on repetitive ones; ws decodes all', async () => {
    const make = (adaptiveLevel: boolean) =>
      createPerMessageDeflate(AGREEMENT, {
        threshold: 0,
        adaptiveLevel,
        contextBudget: new DeflateContextBudget(4 * COST),
      });
    const adaptive = make(true);
    const fixed = make(false);
    const ws = new WsDeflate({ isServer: false, maxPayload: 0 });
    ws.accept([{ client_no_context_takeover: [true] }]);
    const sizes = { adaptive: [] as number[], fixed: [] as number[] };
    const sent = [dissimilar(1), dissimilar(2), dissimilar(3), message(5, true), message(5, true)];
    for (const m of sent) {
      const a = await encode(adaptive, m);
      const f = await encode(fixed, m);
      expect(Buffer.from(await wsDecode(ws, a))).toEqual(Buffer.from(m));
      sizes.adaptive.push(a.length);
      sizes.fixed.push(f.length);
    }
    // First message at level 6 in both; then level 5 for the dissimilar ones (a different
    // encoding, slightly larger); the first repetitive one follows a dissimilar one (level 5);
    // the next one is back at 6: the same bytes as the fixed level.
    expect(sizes.adaptive[0]).toBe(sizes.fixed[0]);
    expect(sizes.adaptive[1]).not.toBe(sizes.fixed[1]);
    expect(sizes.adaptive[1]! / sizes.fixed[1]!).toBeLessThan(1.1);
    expect(sizes.adaptive[4]).toBe(sizes.fixed[4]);
    adaptive.dispose();
    fixed.dispose();
    ws.cleanup();
  });

  it('refuses a non-boolean adaptiveLevel, naming it', () => {
    expect(() =>
      createPerMessageDeflate(AGREEMENT, { adaptiveLevel: 'yes' as unknown as boolean }),
    ).toThrow(/adaptiveLevel/);
  });
});
