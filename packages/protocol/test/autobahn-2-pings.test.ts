/** Autobahn category 2 (pings and pongs), RFC 6455 §5.5.2–§5.5.3. */
import { describe, expect, it } from 'vitest';
import { bytes, closeFrameCode, failCode, frame, hex, server } from './helpers.js';

describe('2 pings and pongs', () => {
  it('2.1/2.2/2.3 a ping is answered with a pong carrying the same payload', () => {
    for (const payload of [
      new Uint8Array(0),
      bytes(1, 2, 3, 0xff),
      new Uint8Array(125).fill(0xfe),
    ]) {
      const { conn, rec, out } = server();
      conn.receive(frame(9, payload));
      expect(rec.events).toEqual([['ping', hex(payload)]]);
      const frames = out();
      expect(frames).toHaveLength(1);
      expect(frames[0]!.opcode).toBe(10);
      expect(hex(frames[0]!.payload)).toBe(hex(payload));
    }
  });

  it('2.5 a ping with 126 bytes fails with 1002', () => {
    const { conn, rec, out } = server();
    const long = new Uint8Array(2 + 2 + 4 + 126);
    long.set([0x89, 0xfe, 0, 126, 0, 0, 0, 0]);
    conn.receive(long);
    expect(failCode(rec)).toBe(1002);
    expect(closeFrameCode(out())).toEqual([1002]);
  });

  it('2.6 a ping split byte by byte', () => {
    const { conn, rec, out } = server();
    const f = frame(9, 'abc');
    for (const b of f) conn.receive(Uint8Array.of(b));
    expect(rec.events).toEqual([['ping', '616263']]);
    expect(out()[0]!.opcode).toBe(10);
  });

  it('2.7 an unsolicited pong is reported and not answered', () => {
    const { conn, rec, out } = server();
    conn.receive(frame(10, 'x'));
    expect(rec.events).toEqual([['pong', '78']]);
    expect(out()).toEqual([]);
  });

  it('2.10 ten pings in one chunk get ten pongs, in order, in one output chunk', () => {
    const { conn } = server();
    const chunk = new Uint8Array(10 * 8);
    for (let i = 0; i < 10; i++) chunk.set(frame(9, bytes(i, i)), i * 8);
    conn.receive(chunk);
    const output = conn.takeOutput();
    expect(output).toHaveLength(1);
    expect(output[0]!.length).toBe(40);
    for (let i = 0; i < 10; i++)
      expect([...output[0]!.subarray(i * 4, i * 4 + 4)]).toEqual([0x8a, 2, i, i]);
  });

  it('autoPong: false leaves pings to the application', () => {
    const { conn, rec, out } = server({ autoPong: false });
    conn.receive(frame(9, 'p'));
    expect(rec.events).toEqual([['ping', '70']]);
    expect(out()).toEqual([]);
    conn.pong('p');
    expect(out().map((f) => [f.opcode, hex(f.payload)])).toEqual([[10, '70']]);
  });

  it('no pong after this end sent its close frame', () => {
    const { conn, out } = server();
    conn.close(1000);
    out();
    conn.receive(frame(9, 'late'));
    expect(out()).toEqual([]);
  });

  it('ping() and pong() send control frames; over 125 bytes is a RangeError', () => {
    const { conn, out } = server();
    conn.ping('hello');
    conn.pong(bytes(1));
    conn.ping();
    expect(out().map((f) => [f.opcode, hex(f.payload)])).toEqual([
      [9, '68656c6c6f'],
      [10, '01'],
      [9, ''],
    ]);
    expect(() => conn.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(() => conn.pong('x'.repeat(126))).toThrow(RangeError);
    expect(conn.outputLength).toBe(0);
  });
});
