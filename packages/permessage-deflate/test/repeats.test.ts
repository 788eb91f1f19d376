/**
 * A message repeated in a kept context (context takeover): once zlib compressed the same bytes
 * enough times in a row to fill the window with them, further copies are sent as the bytes of
 * the last compression, without zlib. Asserted by decoding every message with real peers that
 * keep their window (`ws`'s permessage-deflate and our own decoder): byte-exact whatever comes
 * in between (other messages, one byte changed, resets, lost contexts, small windows).
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeflateAgreement } from '../src/index.js';
import { contextCost, createPerMessageDeflate, DeflateContextBudget } from '../src/node/index.js';
import { AGREEMENT, decode, encode, WsDeflate, wsDecode } from './peers.js';

/** A JSON document of about `size` bytes; `seed` varies its values. */
function doc(size: number, seed: number): Uint8Array {
  const items: unknown[] = [];
  let text = '';
  for (let i = 0; text.length < size; i++) {
    items.push({
      id: seed * 1000 + i,
      name: `item-${i}`,
      price: (i * 7 + seed) % 100,
      tags: ['a', 'b'],
    });
    text = JSON.stringify({ seed, items });
  }
  return Buffer.from(text);
}

/** A sender with its own budget, and two receivers that keep their window. */
function pair(agreement: DeflateAgreement = AGREEMENT, budget = new DeflateContextBudget(1 << 24)) {
  const ws = new WsDeflate({ isServer: false, maxPayload: 0 });
  ws.accept([
    {
      client_no_context_takeover: [true],
      ...(agreement.serverMaxWindowBits < 15
        ? { server_max_window_bits: [String(agreement.serverMaxWindowBits)] }
        : {}),
    },
  ]);
  return {
    sender: createPerMessageDeflate(agreement, { threshold: 0, contextBudget: budget }),
    ours: createPerMessageDeflate({ ...agreement, role: 'client' }, { threshold: 0 }),
    ws,
  };
}

/** Sends `messages` in order; both receivers must decode each byte-exact. */
async function sendAll(p: ReturnType<typeof pair>, messages: Uint8Array[]): Promise<Uint8Array[]> {
  const wire: Uint8Array[] = [];
  for (const m of messages) {
    const out = await encode(p.sender, m);
    wire.push(out);
    expect(Buffer.compare(await decode(p.ours, out), m)).toBe(0);
    expect(Buffer.compare(await wsDecode(p.ws, out), m)).toBe(0);
  }
  return wire;
}

describe('permessage-deflate: a message repeated in a kept context', () => {
  it('is sent without zlib once the window holds enough copies, decoding byte-exact', async () => {
    const p = pair();
    // Just over 16 KiB: 2 copies fill a 32 KiB window. The first compresses to far more than a
    // sliver (nothing like it before): no copy kept. 2-4 by zlib (the 4th with 2 whole copies
    // before it), then the 4th's bytes again.
    const d = doc(16 * 1024, 1);
    const wire = await sendAll(
      p,
      Array.from({ length: 10 }, () => d),
    );
    expect(p.sender.repeatedMessages).toBe(6);
    expect(p.sender.keptContextMessages).toBe(10);
    for (let i = 4; i < 10; i++) expect(Buffer.compare(wire[i]!, wire[3]!)).toBe(0);
    expect(wire[3]!.length * 32).toBeLessThan(d.length);
    expect(p.sender.retainedBytes).toBeGreaterThanOrEqual(d.length); // the copy compared with
  });

  it('counts the copies a window needs from the message size and the window bits', async () => {
    // An 8 KiB window and 3,000 B: 3 copies fill it; 2-5 by zlib (5 has 3 before), 6-8 repeat.
    const small = pair({ ...AGREEMENT, serverMaxWindowBits: 13 });
    await sendAll(
      small,
      Array.from({ length: 8 }, () => doc(3000, 2)),
    );
    expect(small.sender.repeatedMessages).toBe(3);
    // 32 KiB and 5,000 B: 7 copies; 2-9 by zlib, 10-12 repeat.
    const p = pair();
    await sendAll(
      p,
      Array.from({ length: 12 }, () => doc(5000, 3)),
    );
    expect(p.sender.repeatedMessages).toBe(3);
    // A window smaller than the message: no repeat ever compresses to a sliver.
    const tiny = pair({ ...AGREEMENT, serverMaxWindowBits: 10 });
    await sendAll(
      tiny,
      Array.from({ length: 6 }, () => doc(2000, 4)),
    );
    expect(tiny.sender.repeatedMessages).toBe(0);
  });

  it('anything in between starts over: another message, one byte changed, a shared frame', async () => {
    const p = pair();
    const d = doc(16 * 1024, 4);
    const changed = Uint8Array.from(d);
    changed[8000] = changed[8000] === 0x31 ? 0x32 : 0x31;
    await sendAll(p, [d, d, d, d, d]);
    expect(p.sender.repeatedMessages).toBe(1);
    // `changed` goes through zlib; then d needs 3 in a row by zlib again.
    await sendAll(p, [changed, d, d, d, d]);
    expect(p.sender.repeatedMessages).toBe(2);
    await sendAll(p, [d, changed, d, d]);
    expect(p.sender.repeatedMessages).toBe(3);
    // A shared (fresh-context) broadcast frame goes out: the kept context is reset.
    const shared = p.sender.sharedEncodingKey !== 0 ? p.sender.encodeShared(d) : null;
    expect(shared).not.toBeNull();
    expect(Buffer.compare(await decode(p.ours, shared!), d)).toBe(0);
    expect(Buffer.compare(await wsDecode(p.ws, shared!), d)).toBe(0);
    await sendAll(p, [d, d, d]); // fresh window: not a sliver, then 2 by zlib
    expect(p.sender.repeatedMessages).toBe(3);
  });

  it('the application changing its buffer after sending does not change what repeats', async () => {
    const p = pair();
    const d = doc(16 * 1024, 6);
    const buffer = Uint8Array.from(d);
    await sendAll(p, [buffer, buffer, buffer, buffer]);
    buffer[100] = buffer[100]! ^ 0xff; // now a different message
    await sendAll(p, [buffer, Uint8Array.from(d)]);
    expect(p.sender.repeatedMessages).toBe(0);
  });

  it('a context taken by the budget and given back starts over', async () => {
    const budget = new DeflateContextBudget(contextCost(15, 8)); // room for one context
    const a = pair(AGREEMENT, budget);
    const b = pair(AGREEMENT, budget);
    const d = doc(16 * 1024, 7);
    await sendAll(a, [d, d, d, d, d]);
    expect(a.sender.repeatedMessages).toBe(1);
    expect(a.sender.retainedBytes).toBeGreaterThanOrEqual(d.length);
    await sendAll(b, [doc(16 * 1024, 8)]); // takes a's context
    expect(a.sender.retainedBytes).toBe(0); // what a knew about that window is gone
    await sendAll(a, [d, d, d]); // a fresh context: not a sliver, then 2 by zlib
    expect(a.sender.repeatedMessages).toBe(1);
  });

  it('traffic that does not repeat keeps no copy', async () => {
    const p = pair();
    await sendAll(p, [doc(16 * 1024, 9), doc(16 * 1024, 10), doc(16 * 1024, 11)]);
    expect(p.sender.retainedBytes).toBe(0);
    await sendAll(p, [doc(100 * 1024, 12), doc(100 * 1024, 12)]); // over 64 KiB: never kept
    expect(p.sender.retainedBytes).toBe(0);
  });

  it('property: any sequence of a few documents and their one-byte variants decodes exactly', async () => {
    const docs = [doc(16 * 1024, 20), doc(9000, 21), doc(3000, 22), doc(40 * 1024, 23)];
    const variants = docs.map((d) => {
      const v = Uint8Array.from(d);
      v[v.length >> 1] = v[v.length >> 1]! ^ 1;
      return v;
    });
    const all = [...docs, ...variants];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(all.length - 1), fc.integer({ min: 1, max: 6 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.boolean(),
        async (runs, foreign) => {
          const p = pair();
          for (const [which, times] of runs) {
            await sendAll(
              p,
              Array.from({ length: times }, () => all[which]!),
            );
            if (foreign && p.sender.sharedEncodingKey !== 0) {
              const shared = p.sender.encodeShared(all[which]!);
              expect(Buffer.compare(await decode(p.ours, shared), all[which]!)).toBe(0);
              expect(Buffer.compare(await wsDecode(p.ws, shared), all[which]!)).toBe(0);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
