/**
 * Prepared (broadcast) messages through the engine: the same frame bytes for every server
 * connection, in order with everything else (an unfinished fragmented send, compressions in
 * flight), shared compressed frames built once per encoding key, clients re-masking.
 */
import type { MessageExtension, TransformCallback } from '@strata-ws/protocol';
import { PreparedMessage } from '@strata-ws/protocol';
import { describe, expect, it } from 'vitest';
import { client, hex, parseFrames, server, text, utf8 } from './helpers.js';

/** A reversing "compression" that completes when `flush()` is called (an async encode). */
class ManualReverse implements MessageExtension {
  readonly name = 'x-reverse';
  readonly rsvBit = 0x40 as const;
  readonly sharedEncodingKey: number;
  pending: (() => void)[] = [];
  sharedCalls = 0;
  threshold = 0;
  constructor(sharedEncodingKey = 0) {
    this.sharedEncodingKey = sharedEncodingKey;
  }
  shouldEncode(size: number): boolean {
    return size >= this.threshold;
  }
  encode(data: Uint8Array, callback: TransformCallback): void {
    const out = data.slice().reverse();
    this.pending.push(() => callback(null, out));
  }
  decode(data: Uint8Array, _fin: boolean, _max: number, callback: TransformCallback): void {
    callback(null, data.slice().reverse());
  }
  encodeShared(data: Uint8Array): Uint8Array {
    this.sharedCalls++;
    return data.slice().reverse();
  }
  dispose(): void {}
  flush(): void {
    while (this.pending.length > 0) this.pending.shift()!();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('PreparedMessage', () => {
  it('frames the payload once (a copy), unmasked, final, RSV clear', () => {
    const payload = utf8('hello');
    const message = new PreparedMessage(payload, false);
    payload[0] = 0x4a; // the caller may reuse its buffer
    expect(hex(message.frame)).toBe(hex(Uint8Array.of(0x81, 0x05, ...utf8('hello'))));
    expect(text(message.data)).toBe('hello');
    expect(message.data.buffer).toBe(message.frame.buffer);
    const big = new PreparedMessage(new Uint8Array(70_000), true);
    expect(hex(big.frame.subarray(0, 10))).toBe('827f0000000000011170');
  });

  it('a server writes the same bytes to every connection; large frames by reference', () => {
    const message = new PreparedMessage(new Uint8Array(5000).fill(7), true);
    const a = server();
    const b = server();
    a.conn.sendPrepared(message);
    b.conn.sendPrepared(message);
    const outA = a.conn.takeOutput();
    const outB = b.conn.takeOutput();
    expect(outA).toHaveLength(1);
    expect(outA[0]).toBe(message.frame); // no per-recipient copy
    expect(outB[0]).toBe(message.frame);
    const small = new PreparedMessage(utf8('hi'), false);
    a.conn.sendText('first');
    a.conn.sendPrepared(small);
    a.conn.sendText('last');
    const frames = a.out();
    expect(frames.map((f) => text(f.payload))).toEqual(['first', 'hi', 'last']);
  });

  it('small prepared frames: by reference for a broadcast, coalesced right after our own frames', () => {
    const message = new PreparedMessage(utf8('tick'), false);
    const a = server();
    const b = server();
    a.conn.sendPrepared(message);
    b.conn.sendPrepared(message); // a broadcast: queues written in turn, never contiguous
    a.conn.sendPrepared(message);
    const outA = a.conn.takeOutput();
    expect(outA).toEqual([message.frame, message.frame]);
    expect(outA[0]).toBe(message.frame); // no copy, no view per receiver
    expect(b.conn.takeOutput()[0]).toBe(message.frame);
    a.conn.sendText('own');
    a.conn.sendPrepared(message); // right after our own frame in the slab: one chunk
    expect(a.conn.takeOutput()).toHaveLength(1);
  });

  it('waits for the end of our own fragmented message, then goes in order', () => {
    const { conn, out } = server();
    const message = new PreparedMessage(utf8('broadcast'), false);
    let done = 0;
    conn.sendText('frag-1', { fin: false });
    conn.sendPrepared(message, { done: () => done++ });
    expect(conn.pendingLength).toBe(message.frame.length);
    expect(done).toBe(0);
    conn.sendText('frag-2', { fin: false });
    conn.sendText('frag-3');
    expect(done).toBe(1);
    expect(conn.pendingLength).toBe(0);
    const frames = out();
    expect(frames.map((f) => [f.opcode, f.fin, text(f.payload)])).toEqual([
      [1, false, 'frag-1'],
      [0, false, 'frag-2'],
      [0, true, 'frag-3'],
      [1, true, 'broadcast'],
    ]);
  });

  it('a close during our fragmented message drops the waiting prepared message', () => {
    const { conn, out } = server();
    let done = 0;
    conn.sendBinary(Uint8Array.of(1), { fin: false });
    conn.sendPrepared(new PreparedMessage(utf8('x'), false), { done: () => done++ });
    conn.close(1000);
    expect(conn.pendingLength).toBe(0);
    expect(out().map((f) => f.opcode)).toEqual([2, 8]);
    expect(done).toBe(0);
  });

  it('keeps order behind a compression still in flight', () => {
    const ext = new ManualReverse();
    const { conn, out } = server({ extensions: [ext] });
    conn.sendText('compressed-first');
    const message = new PreparedMessage(utf8('plain'), false, false);
    conn.sendPrepared(message);
    expect(conn.outputLength).toBe(0);
    expect(conn.pendingLength).toBe('compressed-first'.length + message.frame.length);
    ext.flush();
    const frames = out();
    expect(frames.map((f) => [f.rsv, text(f.payload)])).toEqual([
      [0x40, 'tsrif-desserpmoc'],
      [0, 'plain'],
    ]);
  });

  it('behind queued compressions, the shared key is read when its turn comes: after every earlier encode, before later ones', () => {
    // An extension with context takeover may reset its kept context on the encode that follows
    // a read of the key (deflate does): the read must not come before earlier queued messages
    // were given to encode().
    const log: string[] = [];
    const ext = new ManualReverse();
    const encode = ext.encode.bind(ext);
    ext.encode = (data, callback) => {
      log.push(`encode ${text(data)}`);
      encode(data, callback);
    };
    Object.defineProperty(ext, 'sharedEncodingKey', {
      get: () => {
        log.push('key');
        return 9;
      },
    });
    const { conn, out } = server({ extensions: [ext] });
    conn.sendText('m1'); // its encode is in flight
    conn.sendText('m2'); // queued behind it
    conn.sendPrepared(new PreparedMessage(utf8('shared'), false, true));
    conn.sendText('m3');
    expect(log).toEqual(['encode m1']);
    while (ext.pending.length > 0) ext.flush();
    expect(log).toEqual(['encode m1', 'encode m2', 'key', 'encode m3']);
    expect(out().map((f) => [f.rsv, text(f.payload)])).toEqual([
      [0x40, '1m'],
      [0x40, '2m'],
      [0x40, 'derahs'],
      [0x40, '3m'],
    ]);
  });

  it('a shared compressed frame is built once per key and written with RSV1', () => {
    const message = new PreparedMessage(utf8('abcdef'), false, true);
    const extA = new ManualReverse(7);
    const extB = new ManualReverse(7);
    const a = server({ extensions: [extA] });
    const b = server({ extensions: [extB] });
    a.conn.sendPrepared(message);
    b.conn.sendPrepared(message);
    expect(extA.sharedCalls + extB.sharedCalls).toBe(1);
    for (const side of [a, b]) {
      const frames = side.out();
      expect(frames.map((f) => [f.rsv, text(f.payload)])).toEqual([[0x40, 'fedcba']]);
    }
    expect(extA.pending).toHaveLength(0); // the connection's own encoder was not used
  });

  it('without a shared key, the plain frame goes (compression is shared or not done)', () => {
    const ext = new ManualReverse(0);
    const { conn, out } = server({ extensions: [ext] });
    const message = new PreparedMessage(utf8('abc'), false, true);
    conn.sendPrepared(message);
    expect(conn.takeOutput()).toEqual([message.frame]);
    expect(ext.pending).toHaveLength(0); // the connection's own encoder was not used
    expect(ext.sharedCalls).toBe(0);
    expect(out()).toEqual([]);
  });

  it('a client masks its own copy (never the shared bytes)', () => {
    const message = new PreparedMessage(utf8('to-server'), false);
    const before = message.frame.slice();
    const { conn } = client();
    conn.sendPrepared(message);
    const wire = concat(conn.takeOutput());
    const frames = parseFrames([wire]);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.masked).toBe(true);
    expect(text(frames[0]!.payload)).toBe('to-server');
    expect(message.frame).toEqual(before);
  });

  it('allocate: frames (and the output slab) come from the host allocator', () => {
    class HostBytes extends Uint8Array {}
    const allocate = (length: number) => new HostBytes(length);
    const ext = new ManualReverse(3);
    const message = new PreparedMessage(utf8('abcd'), false, true, { allocate });
    expect(message.frame).toBeInstanceOf(HostBytes);
    expect(message.frameFor(ext)).toBeInstanceOf(HostBytes);
    const { conn } = server({ allocate, coalesceLimit: 0 });
    conn.sendText('x'.repeat(20_000)); // header in a fresh slab, payload by reference
    const chunks = conn.takeOutput();
    expect(chunks[0]).toBeInstanceOf(HostBytes);
  });

  it('is a no-op once the close frame is queued', () => {
    const { conn, out } = server();
    conn.close(1000);
    out();
    conn.sendPrepared(new PreparedMessage(utf8('late'), false));
    expect(conn.outputLength).toBe(0);
  });
});
