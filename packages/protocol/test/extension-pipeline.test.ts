/**
 * The extension pipeline (RFC 6455 §9, RSV bits) with asynchronous fake extensions: order in
 * both directions, backpressure, errors, and control frames overtaking a slow decode.
 */
import { ProtocolError } from '@strata-ws/codec';
import type { MessageExtension, TransformCallback } from '@strata-ws/protocol';
import { describe, expect, it } from 'vitest';
import {
  closeCodeOf,
  closeFrameCode,
  closePayload,
  concatBytes,
  failCode,
  frame,
  hex,
  server,
  text,
  utf8,
} from './helpers.js';

type Scheduler = 'sync' | 'microtask' | 'timer' | 'manual';

/**
 * Reverses each payload (an involution, so encode and decode are the same transform) and
 * completes per `schedule`. With `'manual'` completions wait in `pending` until `flush()`.
 */
class ReverseExtension implements MessageExtension {
  readonly name = 'x-reverse';
  readonly rsvBit: 0x40 | 0x20 | 0x10;
  threshold = 0;
  disposed = 0;
  decodeCalls = 0;
  encodeCalls = 0;
  inFlight = 0;
  maxInFlight = 0;
  pending: (() => void)[] = [];
  failDecodeWith: Error | null = null;

  constructor(
    readonly schedule: Scheduler,
    rsvBit: 0x40 | 0x20 | 0x10 = 0x40,
  ) {
    this.rsvBit = rsvBit;
  }

  shouldEncode(size: number): boolean {
    return size >= this.threshold;
  }

  encode(data: Uint8Array, callback: TransformCallback): void {
    this.encodeCalls++;
    this.#complete(callback, null, data.slice().reverse());
  }

  decode(data: Uint8Array, _fin: boolean, maxSize: number, callback: TransformCallback): void {
    this.decodeCalls++;
    if (this.failDecodeWith) this.#complete(callback, this.failDecodeWith);
    else if (data.length > maxSize) {
      this.#complete(callback, new ProtocolError(1009, 'decoded message too big'));
    } else this.#complete(callback, null, data.slice().reverse());
  }

  dispose(): void {
    this.disposed++;
  }

  flush(): void {
    while (this.pending.length > 0) this.pending.shift()!();
  }

  #complete(callback: TransformCallback, error: Error | null, data?: Uint8Array): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const run = () => {
      this.inFlight--;
      callback(error, data);
    };
    if (this.schedule === 'sync') run();
    else if (this.schedule === 'microtask') queueMicrotask(run);
    else if (this.schedule === 'timer') setTimeout(run, 1);
    else this.pending.push(run);
  }
}

const reversed = (s: string) => utf8([...s].reverse().join(''));
const tick = () => new Promise((r) => setTimeout(r, 5));

/** Waits (at most 2 s) until `done()` holds: timer-scheduled extensions run in series. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await tick();
}

describe('incoming: order and backpressure', () => {
  for (const schedule of ['sync', 'microtask', 'timer'] as const) {
    it(`${schedule}: compressed and plain messages stay in wire order, one decode at a time`, async () => {
      const ext = new ReverseExtension(schedule);
      const { conn, rec, out } = server({ extensions: [ext] });
      conn.receive(
        concatBytes(
          frame(1, reversed('one'), { rsv: 0x40 }),
          frame(1, 'two'),
          frame(1, reversed('thr'), { rsv: 0x40, fin: false }),
          frame(0, reversed('ee')),
          frame(2, Uint8Array.of(1, 2), { rsv: 0x40 }),
          frame(8, closePayload(1000)),
        ),
      );
      await until(() => rec.events.length >= 5);
      expect(rec.events).toEqual([
        ['message', 'one', false],
        ['message', 'two', false],
        ['message', 'three', false],
        ['message', '0201', true],
        ['close', 1000, ''],
      ]);
      expect(ext.maxInFlight).toBe(1);
      expect(closeFrameCode(out())).toEqual([1000]);
      expect(ext.disposed).toBe(1);
      expect(conn.transportShouldClose).toBe(true);
    });
  }

  it('pings are answered while a decode is in flight; messages wait their turn', () => {
    const ext = new ReverseExtension('manual');
    const { conn, rec, out } = server({ extensions: [ext] });
    conn.receive(
      concatBytes(frame(1, reversed('slow'), { rsv: 0x40 }), frame(1, 'after'), frame(9, 'p')),
    );
    expect(rec.events).toEqual([['ping', '70']]);
    expect(out().map((f) => f.opcode)).toEqual([10]);
    ext.flush();
    expect(rec.events.slice(1)).toEqual([
      ['message', 'slow', false],
      ['message', 'after', false],
    ]);
  });

  it('wantsInput turns false above maxBufferedInput, onResumeInput when drained, 1008 at twice', () => {
    const ext = new ReverseExtension('manual');
    // Each held frame counts its payload plus HELD_FRAME_OVERHEAD (64) bytes: two held
    // 60-byte frames are 248 bytes, over 200 (pause) and under 400 (fail).
    const { conn, rec } = server({ extensions: [ext], maxBufferedInput: 200 });
    conn.receive(frame(2, new Uint8Array(10), { rsv: 0x40 }));
    expect(conn.wantsInput).toBe(true);
    conn.receive(frame(2, new Uint8Array(60)));
    conn.receive(frame(2, new Uint8Array(60)));
    expect(conn.wantsInput).toBe(false);
    ext.flush();
    expect(conn.wantsInput).toBe(true);
    expect(rec.events.map((e) => e[0])).toEqual(['message', 'message', 'message', 'resume']);

    const b = server({ extensions: [new ReverseExtension('manual')], maxBufferedInput: 200 });
    b.conn.receive(frame(2, new Uint8Array(10), { rsv: 0x40 }));
    for (let i = 0; i < 4; i++) b.conn.receive(frame(2, new Uint8Array(60)));
    expect(failCode(b.rec)).toBe(1008);
  });

  it('maxSize tells the extension how much the message may still grow; over it is 1009', () => {
    const ext = new ReverseExtension('sync');
    const { conn, rec } = server({ extensions: [ext], maxMessageSize: 10 });
    conn.receive(
      concatBytes(
        frame(2, new Uint8Array(6), { rsv: 0x40, fin: false }),
        frame(0, new Uint8Array(5)),
      ),
    );
    expect(failCode(rec)).toBe(1009);
  });

  it('decode errors map to their close codes; other errors to 1011 with an empty reason', async () => {
    const a = new ReverseExtension('microtask');
    a.failDecodeWith = new ProtocolError(1007, 'bad deflate data');
    const s1 = server({ extensions: [a] });
    s1.conn.receive(frame(2, 'x', { rsv: 0x40 }));
    await tick();
    expect(failCode(s1.rec)).toBe(1007);

    const b = new ReverseExtension('sync');
    b.failDecodeWith = new Error('zlib exploded');
    const s2 = server({ extensions: [b] });
    s2.conn.receive(frame(2, 'x', { rsv: 0x40 }));
    expect(failCode(s2.rec)).toBe(1011);
    const [f] = s2.out();
    expect(hex(f!.payload)).toBe('03f3');
    expect(b.disposed).toBe(1);
  });

  it('compressed text is UTF-8 validated after decoding', () => {
    const ext = new ReverseExtension('sync');
    const { conn, rec } = server({ extensions: [ext] });
    conn.receive(frame(1, Uint8Array.of(0x82, 0xe2), { rsv: 0x40 })); // reversed: e2 82 (truncated €)
    expect(failCode(rec)).toBe(1007);
  });

  it('receiveEof while a close frame waits behind a decode still delivers it', async () => {
    const ext = new ReverseExtension('microtask');
    const { conn, rec } = server({ extensions: [ext] });
    conn.receive(
      concatBytes(frame(1, reversed('last'), { rsv: 0x40 }), frame(8, closePayload(1001))),
    );
    conn.receiveEof();
    expect(conn.state).toBe(1);
    await until(() => rec.events.length >= 2);
    expect(rec.events).toEqual([
      ['message', 'last', false],
      ['close', 1001, ''],
    ]);
    expect(conn.state).toBe(3);
  });

  it('receiveEof without a close frame drops what waits behind a decode', async () => {
    const ext = new ReverseExtension('microtask');
    const { conn, rec } = server({ extensions: [ext] });
    conn.receive(concatBytes(frame(1, reversed('lost'), { rsv: 0x40 }), frame(1, 'lost too')));
    conn.receiveEof();
    expect(conn.state).toBe(3);
    await tick();
    expect(rec.events).toEqual([]);
    expect(ext.disposed).toBe(1);
  });
});

describe('outgoing: order, pendingLength, close after pending messages', () => {
  for (const schedule of ['sync', 'microtask', 'timer'] as const) {
    it(`${schedule}: messages leave in call order with RSV1 on encoded ones`, async () => {
      const ext = new ReverseExtension(schedule);
      ext.threshold = 3;
      const { conn, out } = server({ extensions: [ext] });
      const done: string[] = [];
      conn.sendText('abcdef', { done: () => done.push('1') });
      conn.sendText('no', { done: () => done.push('2') });
      conn.sendBinary(Uint8Array.of(1, 2, 3), { done: () => done.push('3') });
      conn.sendText('forced', { compress: true });
      conn.sendText('plain text', { compress: false });
      conn.close(1000);
      conn.sendText('dropped');
      if (schedule !== 'sync') expect(conn.pendingLength).toBeGreaterThan(0);
      await until(() => conn.pendingLength === 0 && conn.outputLength > 0 && ext.inFlight === 0);
      await tick();
      expect(conn.pendingLength).toBe(0);
      const frames = out();
      expect(
        frames.map((f) => [
          f.opcode,
          f.rsv,
          f.opcode === 8 ? closeCodeOf(f.payload) : text(f.payload),
        ]),
      ).toEqual([
        [1, 0x40, 'fedcba'],
        [1, 0, 'no'],
        [2, 0x40, '\u0003\u0002\u0001'],
        [1, 0x40, 'decrof'],
        [1, 0, 'plain text'],
        [8, 0, 1000],
      ]);
      expect(done).toEqual(['1', '2', '3']);
      expect(ext.maxInFlight).toBe(1);
    });
  }

  it('pings overtake messages still being encoded; the close frame never does', () => {
    const ext = new ReverseExtension('manual');
    const { conn, out } = server({ extensions: [ext] });
    conn.sendText('compress me');
    expect(conn.pendingLength).toBe(11);
    conn.ping('p');
    conn.close(1001);
    expect(out().map((f) => f.opcode)).toEqual([9]);
    expect(conn.transportShouldClose).toBe(false);
    ext.flush();
    expect(out().map((f) => f.opcode)).toEqual([1, 8]);
  });

  it('the close reply waits behind a message being encoded', () => {
    const ext = new ReverseExtension('manual');
    const { conn, rec, out } = server({ extensions: [ext] });
    conn.sendText('reply');
    conn.receive(frame(8, closePayload(1000)));
    expect(rec.events).toEqual([['close', 1000, '']]);
    expect(out()).toEqual([]);
    expect(conn.transportShouldClose).toBe(false);
    ext.flush();
    expect(out().map((f) => f.opcode)).toEqual([1, 8]);
    expect(conn.transportShouldClose).toBe(true);
    expect(ext.disposed).toBe(1);
  });

  it('an encode error fails the connection with 1011 and drops pending messages', () => {
    const ext = new ReverseExtension('sync');
    ext.encode = (_d, cb) => cb(new Error('deflate failed'));
    const { conn, rec, out } = server({ extensions: [ext] });
    conn.sendText('x');
    expect(failCode(rec)).toBe(1011);
    expect(out().map((f) => f.opcode)).toEqual([8]);
    expect(conn.pendingLength).toBe(0);
  });

  it('fragmented sends are not encoded', () => {
    const ext = new ReverseExtension('sync');
    const { conn, out } = server({ extensions: [ext] });
    conn.sendText('ab', { fin: false });
    conn.sendText('cd');
    expect(out().map((f) => [f.opcode, f.rsv, text(f.payload)])).toEqual([
      [1, 0, 'ab'],
      [0, 0, 'cd'],
    ]);
    expect(ext.encodeCalls).toBe(0);
  });

  it('two extensions: encoded in negotiation order, decoded in reverse', () => {
    const calls: string[] = [];
    const tag = (name: string, bit: 0x40 | 0x20, byte: number): MessageExtension => ({
      name,
      rsvBit: bit,
      shouldEncode: () => true,
      encode: (d, cb) => {
        calls.push(`enc ${name}`);
        cb(null, concatBytes(d, Uint8Array.of(byte)));
      },
      decode: (d, _f, _m, cb) => {
        calls.push(`dec ${name}`);
        expect(d[d.length - 1]).toBe(byte);
        cb(null, d.subarray(0, d.length - 1));
      },
      dispose: () => {},
    });
    const exts = [tag('a', 0x40, 0xaa), tag('b', 0x20, 0xbb)];
    const tx = server({ extensions: exts });
    tx.conn.sendBinary(Uint8Array.of(1));
    const [f] = tx.out();
    expect(f!.rsv).toBe(0x60);
    expect(hex(f!.payload)).toBe('01aabb');
    const rx = server({ extensions: exts });
    rx.conn.receive(frame(2, f!.payload, { rsv: 0x60 }));
    expect(rx.rec.events).toEqual([['message', '01', true]]);
    expect(calls).toEqual(['enc a', 'enc b', 'dec b', 'dec a']);
  });
});
