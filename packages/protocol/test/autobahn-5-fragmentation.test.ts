/** Autobahn category 5 (fragmentation), RFC 6455 §5.4. */
import { describe, expect, it } from 'vitest';
import { closeFrameCode, concatBytes, failCode, feed, frame, server, utf8 } from './helpers.js';

describe('5 fragmentation', () => {
  it('5.1/5.2 a fragmented ping or pong fails with 1002', () => {
    for (const opcode of [9, 10]) {
      const { conn, rec } = server();
      conn.receive(concatBytes(frame(opcode, 'a', { fin: false }), frame(0, 'b')));
      expect(failCode(rec)).toBe(1002);
    }
  });

  it('5.3–5.5 a text message in fragments, whole and byte by byte', () => {
    const wire = concatBytes(
      frame(1, 'frag', { fin: false }),
      frame(0, 'men', { fin: false }),
      frame(0, ''),
    );
    for (const size of [wire.length, 1, 3]) {
      const { conn, rec } = server();
      feed(conn, wire, size);
      expect(rec.events).toEqual([['message', 'fragmen', false]]);
    }
  });

  it('5.6–5.8 pings between fragments are answered at once; the message stays whole', () => {
    const { conn, rec, out } = server();
    conn.receive(
      concatBytes(
        frame(1, 'frag', { fin: false }),
        frame(9, 'p1'),
        frame(0, 'men', { fin: false }),
        frame(10, 'q'),
        frame(0, 't'),
      ),
    );
    expect(rec.events).toEqual([
      ['ping', '7031'],
      ['pong', '71'],
      ['message', 'fragment', false],
    ]);
    expect(out().map((f) => f.opcode)).toEqual([10]);
  });

  it('a close frame between fragments ends the connection without the partial message', () => {
    const { conn, rec, out } = server();
    conn.receive(concatBytes(frame(2, 'a', { fin: false }), frame(8), frame(0, 'b')));
    expect(rec.events).toEqual([['close', 1005, '']]);
    expect(out().map((f) => [f.opcode, f.payload.length])).toEqual([[8, 0]]);
  });

  it('5.9–5.14 a continuation without a message to continue fails with 1002', () => {
    for (const fin of [true, false]) {
      const { conn, rec, out } = server();
      conn.receive(concatBytes(frame(0, 'x', { fin }), frame(1, 'y')));
      expect(rec.events.map((e) => e[0])).toEqual(['fail']);
      expect(failCode(rec)).toBe(1002);
      expect(closeFrameCode(out())).toEqual([1002]);
    }
  });

  it('5.15–5.20 a new message inside an unfinished one fails with 1002', () => {
    for (const opcode of [1, 2]) {
      const { conn, rec } = server();
      conn.receive(concatBytes(frame(1, 'a', { fin: false }), frame(opcode, 'b')));
      expect(failCode(rec)).toBe(1002);
    }
  });

  it('binary fragments are joined into one message', () => {
    const { conn, rec } = server();
    conn.receive(
      concatBytes(frame(2, Uint8Array.of(1, 2), { fin: false }), frame(0, Uint8Array.of(3))),
    );
    expect(rec.events).toEqual([['message', '010203', true]]);
  });

  it('a fragmented message of empty frames is an empty message', () => {
    const { conn, rec } = server();
    conn.receive(
      concatBytes(frame(1, '', { fin: false }), frame(0, '', { fin: false }), frame(0, '')),
    );
    expect(rec.events).toEqual([['message', '', false]]);
  });

  it('a multi-byte character split across fragments is valid', () => {
    const euro = utf8('€');
    const { conn, rec } = server();
    conn.receive(
      concatBytes(
        frame(1, euro.subarray(0, 1), { fin: false }),
        frame(0, euro.subarray(1, 2), { fin: false }),
        frame(0, euro.subarray(2)),
      ),
    );
    expect(rec.events).toEqual([['message', '€', false]]);
  });
});

describe('sending in fragments (SendOptions.fin)', () => {
  it('continuations use opcode 0 and the last frame has FIN', () => {
    const { conn, out } = server();
    conn.sendBinary(Uint8Array.of(1), { fin: false });
    conn.ping('x');
    conn.sendBinary(Uint8Array.of(2), { fin: false });
    conn.sendBinary(Uint8Array.of(3));
    conn.sendText('next');
    expect(out().map((f) => [f.opcode, f.fin])).toEqual([
      [2, false],
      [9, true],
      [0, false],
      [0, true],
      [1, true],
    ]);
  });

  it('continuing a text message as binary is a TypeError (and the other way round)', () => {
    const { conn } = server();
    conn.sendText('a', { fin: false });
    expect(() => conn.sendBinary(Uint8Array.of(1))).toThrow(TypeError);
    conn.sendText('b');
    conn.sendBinary(Uint8Array.of(1), { fin: false });
    expect(() => conn.sendText('x')).toThrow(TypeError);
  });
});
