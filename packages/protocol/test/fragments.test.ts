/**
 * Issue #13, engine part: fragmented messages are bounded by their bytes, not their count
 * (Autobahn groups 5, 9 and 12 shapes), and text fails fast (1007) as soon as invalid UTF-8
 * arrives, also inside one frame split across reads. Bytes on the wire in, events out.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type {
  ConnectionHandler,
  ConnectionOptions,
  MessageExtension,
  TransformCallback,
} from '@strata-ws/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Connection,
  client,
  closeFrameCode,
  concatBytes,
  failCode,
  feed,
  frame,
  server,
  utf8,
} from './helpers.js';

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >>> 8)) & 0xff;
  return out;
}

/** `payload` as one message in fragments of `size` bytes (masked, as a client sends). */
function fragmented(opcode: number, payload: Uint8Array, size: number, rsv = 0): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const first = at === 0;
    frames.push(
      frame(first ? opcode : 0, payload.subarray(at, at + size), {
        fin: at + size >= payload.length,
        rsv: first ? rsv : 0,
      }),
    );
  }
  return concatBytes(...frames);
}

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A server engine whose handler keeps messages as they are (the shared Recorder renders
 * binary messages as hex strings, which dominates the time on 4 MiB).
 */
function bulkServer(options: Partial<ConnectionOptions> = {}) {
  const rec = { messages: [] as Uint8Array[], fails: [] as number[] };
  const handler: ConnectionHandler = {
    onMessage: (data) => rec.messages.push(data),
    onPing() {},
    onPong() {},
    onClose() {},
    onFail: (error) => rec.fails.push(error.closeCode),
    onOutput() {},
  };
  return { conn: new Connection(handler, { role: 'server', ...options }), rec };
}

/** A synchronous identity "compression" on RSV1 that counts its decode calls. */
class IdentityExtension implements MessageExtension {
  readonly name = 'x-identity';
  readonly rsvBit = 0x40 as const;
  decodes = 0;
  shouldEncode(): boolean {
    return false;
  }
  encode(data: Uint8Array, callback: TransformCallback): void {
    callback(null, data);
  }
  decode(data: Uint8Array, _fin: boolean, maxSize: number, callback: TransformCallback): void {
    this.decodes++;
    callback(null, data.length > maxSize ? undefined : data.slice());
  }
  dispose(): void {}
}

describe('fragment count is not a limit: bytes are', () => {
  for (const size of [64, 256, 1024]) {
    it(`a 4 MiB binary message in ${size}-byte fragments is delivered whole`, () => {
      const payload = pattern(4 * 1024 * 1024);
      const { conn, rec } = bulkServer();
      feed(conn, fragmented(2, payload, size), 65536);
      expect(rec.fails).toEqual([]);
      expect(rec.messages).toHaveLength(1);
      expect(same(rec.messages[0], payload)).toBe(true);
    });
  }

  it('a 4 KiB text message in 1-byte fragments (multi-byte characters split) is delivered', () => {
    const text = 'aé€😀'.repeat(410).slice(0, 4096 / 3);
    const payload = utf8(text);
    const { conn, rec } = server();
    feed(conn, fragmented(1, payload, 1), 1000);
    expect(rec.errors).toEqual([]);
    expect(rec.events).toEqual([['message', text, false]]);
  });

  it('a compressed 64 KiB message in 7-byte fragments is decoded and delivered', () => {
    const ext = new IdentityExtension();
    const payload = pattern(65536);
    const { conn, rec } = bulkServer({ extensions: [ext] });
    feed(conn, fragmented(2, payload, 7, 0x40), 4096);
    expect(rec.fails).toEqual([]);
    expect(ext.decodes).toBe(Math.ceil(65536 / 7));
    expect(same(rec.messages[0], payload)).toBe(true);
  });

  it('the count limit is still there as an opt-in (maxFragments)', () => {
    const { conn, rec, out } = server({ maxFragments: 100 });
    feed(conn, fragmented(2, pattern(101), 1), 4096);
    expect(failCode(rec)).toBe(1008);
    expect(closeFrameCode(out())).toEqual([1008]);
  });

  it('300 000 one-byte fragments that never finish cost under 10 MB of growth', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const count = 300_000;
    // One unfinished message: a first frame and continuations, none with FIN.
    const one = frame(0, 'x', { fin: false });
    const wire = new Uint8Array(one.length * count);
    wire.set(frame(2, 'x', { fin: false }), 0);
    for (let i = 1; i < count; i++) wire.set(one, i * one.length);
    const { conn, rec } = bulkServer();
    conn.receive(new Uint8Array(0));
    gc();
    const before = process.memoryUsage();
    for (let at = 0; at < wire.length; at += 65536) conn.receive(wire.slice(at, at + 65536));
    gc();
    const after = process.memoryUsage();
    const growth = after.heapUsed + after.external - (before.heapUsed + before.external);
    expect(rec.fails).toEqual([]); // still waiting for the message's end: no failure
    expect(rec.messages).toEqual([]);
    if (process.env.STRATA_PRINT_GROWTH)
      console.log(`growth for ${count} fragments: ${growth} bytes`);
    expect(growth).toBeLessThan(10 * 1024 * 1024);
    // Then it finishes: one message of 300 001 bytes.
    conn.receive(frame(0, 'y'));
    expect(rec.messages[0]!.length).toBe(count + 1);
  });
});

describe('an announced payload costs what was sent (connections cut mid-frame)', () => {
  it('2000 connections each sent 100 bytes of a 60 000-byte frame hold under 30 MB', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const start = frame(2, new Uint8Array(60_000)).subarray(0, 8 + 100);
    const conns: Connection[] = [];
    gc();
    const before = process.memoryUsage();
    for (let i = 0; i < 2000; i++) {
      const { conn } = bulkServer();
      conn.receive(start.slice());
      conns.push(conn);
    }
    gc();
    const after = process.memoryUsage();
    const growth = after.heapUsed + after.external - (before.heapUsed + before.external);
    // A whole 60 000-byte buffer per connection would be 120 MB.
    expect(growth).toBeLessThan(30 * 1024 * 1024);
    expect(conns).toHaveLength(2000);
  });
});

describe('UTF-8 fails fast inside one frame (RFC 6455 §8.1)', () => {
  const good = utf8('é'.repeat(700)); // 1400 bytes
  const bad = good.slice();
  bad[900] = 0xff;

  it('a text frame in three reads fails with 1007 on the second read, not at its end', () => {
    const wire = frame(1, bad);
    const { conn, rec, out } = server();
    conn.receive(wire.slice(0, 500));
    expect(rec.events).toEqual([]);
    conn.receive(wire.slice(500, 1000)); // holds byte 900 of the payload
    expect(failCode(rec)).toBe(1007);
    expect(closeFrameCode(out())).toEqual([1007]);
    conn.receive(wire.slice(1000));
    expect(rec.events).toHaveLength(1);
  });

  it('a continuation frame of a text message in three reads fails on the second read', () => {
    const wire = concatBytes(frame(1, utf8('start'), { fin: false }), frame(0, bad));
    const { conn, rec } = server();
    conn.receive(wire.slice(0, 600));
    expect(rec.events).toEqual([]);
    conn.receive(wire.slice(600, 1100));
    expect(failCode(rec)).toBe(1007);
  });

  it('a client fails fast too (unmasked frames)', () => {
    const wire = frame(1, bad, { masked: false });
    const { conn, rec } = client();
    conn.receive(wire.slice(0, 400));
    conn.receive(wire.slice(400, 1000));
    expect(failCode(rec)).toBe(1007);
  });

  it('valid text split inside characters across reads passes, in any read size', () => {
    for (const size of [1, 3, 7, 500]) {
      const { conn, rec } = server();
      feed(conn, concatBytes(frame(1, good), frame(1, good, { fin: false }), frame(0, good)), size);
      expect(rec.errors).toEqual([]);
      expect(rec.messages.map((m) => m.length)).toEqual([1400, 2800]);
    }
  });

  it('a truncated character at the end of a split text frame fails with 1007', () => {
    const cut = good.subarray(0, 1399); // ends inside 'é'
    const wire = frame(1, cut);
    const { conn, rec } = server();
    feed(conn, wire, 300);
    expect(failCode(rec)).toBe(1007);
  });

  it('a continuation over maxMessageSize fails with 1009 at its header, before its payload', () => {
    const { conn, rec } = server({ maxMessageSize: 1000 });
    const wire = concatBytes(
      frame(2, new Uint8Array(600), { fin: false }),
      frame(0, new Uint8Array(600)),
    );
    conn.receive(wire.slice(0, 620)); // the first frame and the second one's header
    expect(failCode(rec)).toBe(1009);
  });

  it('property: 1007 comes on the read that holds the bad byte, whatever the fragments and reads', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 3000 }),
        fc.nat(),
        fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 6 }),
        (textValue, badSeed, fragmentSizes, readSizes) => {
          const payload = utf8(textValue);
          const bad = badSeed % payload.length;
          payload[bad] = 0xff;
          // Fragment it, remembering where payload byte `bad` lands on the wire.
          const frames: Uint8Array[] = [];
          let wireAt = 0;
          let badWire = -1;
          for (let at = 0, i = 0; at < payload.length; i++) {
            const n = fragmentSizes[i % fragmentSizes.length]!;
            const part = payload.subarray(at, at + n);
            const f = frame(at === 0 ? 1 : 0, part, { fin: at + n >= payload.length });
            const header = f.length - part.length;
            if (bad >= at && bad < at + part.length) badWire = wireAt + header + (bad - at);
            frames.push(f);
            wireAt += f.length;
            at += n;
          }
          const wire = concatBytes(...frames);
          const { conn, rec } = bulkServer();
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const n = readSizes[i % readSizes.length]!;
            conn.receive(wire.slice(at, at + n));
            at += n;
            const holdsBad = badWire < at;
            expect(rec.fails).toEqual(holdsBad ? [1007] : []);
            if (holdsBad) break;
          }
          expect(rec.messages).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
