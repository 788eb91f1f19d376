/** Autobahn category 7 (close handling), RFC 6455 §5.5.1, §7. */
import { CLOSE_PAYLOADS, INVALID_CLOSE_PAYLOADS, UNSENDABLE_CLOSES } from '@strata-ws/test-vectors';
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
} from './helpers.js';

describe('7 close handling', () => {
  it('7.1.1 the peer closes: onClose, the code is echoed, state closed, transport may close', () => {
    const { conn, rec, out } = server();
    expect(conn.state).toBe(1);
    conn.receive(frame(8, closePayload(1000, 'done')));
    expect(rec.events).toEqual([['close', 1000, 'done']]);
    expect(conn.closeReceived).toBe(true);
    expect(conn.closeSent).toBe(true);
    expect(conn.state).toBe(3);
    expect(conn.transportShouldClose).toBe(false); // the reply is still in the output
    const frames = out();
    expect(frames.map((f) => [f.opcode, hex(f.payload)])).toEqual([[8, '03e8']]);
    expect(conn.transportShouldClose).toBe(true);
  });

  it('7.1.2 this end closes: Closing, messages still arrive, then the peer close completes it', () => {
    const { conn, rec, out } = server();
    conn.close(4000, 'bye');
    expect(conn.state).toBe(2);
    expect(conn.closeSent).toBe(true);
    expect(out().map((f) => [f.opcode, hex(f.payload)])).toEqual([[8, '0fa0627965']]);
    expect(conn.transportShouldClose).toBe(false);
    conn.receive(concatBytes(frame(1, 'late'), frame(8, closePayload(4000))));
    expect(rec.events).toEqual([
      ['message', 'late', false],
      ['close', 4000, ''],
    ]);
    expect(out()).toEqual([]); // no second close frame
    expect(conn.state).toBe(3);
    expect(conn.transportShouldClose).toBe(true);
  });

  it('7.1.3–7.1.5 nothing is sent after the close frame; data after the peer close is ignored', () => {
    const { conn, rec, out } = server();
    conn.close();
    conn.sendText('x');
    conn.sendBinary(Uint8Array.of(1));
    conn.ping();
    conn.pong();
    conn.close(1000);
    expect(out().map((f) => [f.opcode, f.payload.length])).toEqual([[8, 0]]);
    conn.receive(concatBytes(frame(8, closePayload(1000)), frame(1, 'ignored'), frame(9)));
    expect(rec.events).toEqual([['close', 1000, '']]);
    expect(out()).toEqual([]);
  });

  it('7.1.6 a large message, then close: the message is delivered first', () => {
    const { conn, rec } = server();
    const big = 'b'.repeat(100_000);
    conn.receive(concatBytes(frame(1, big), frame(8, closePayload(1000))));
    expect(rec.events.map((e) => e[0])).toEqual(['message', 'close']);
  });

  it('7.3.1 an empty close is answered with an empty close (1005 reported, never sent)', () => {
    const { conn, rec, out } = server();
    conn.receive(frame(8));
    expect(rec.events).toEqual([['close', 1005, '']]);
    expect(out().map((f) => f.payload.length)).toEqual([0]);
  });

  for (const vector of CLOSE_PAYLOADS) {
    it(`7.x valid close payload: ${vector.name}`, () => {
      const { conn, rec, out } = server();
      conn.receive(frame(8, vector.payload));
      expect(rec.events).toEqual([['close', vector.code, vector.reason]]);
      expect(closeFrameCode(out())).toEqual([vector.code]);
    });
  }

  for (const vector of INVALID_CLOSE_PAYLOADS) {
    it(`7.x invalid close payload fails with ${vector.closeCode}: ${vector.name}`, () => {
      const { conn, rec, out } = server();
      const wire = frame(8, vector.payload.length > 125 ? new Uint8Array(0) : vector.payload);
      if (vector.payload.length > 125) {
        // Build the oversized control frame by hand (encoders refuse it).
        const raw = new Uint8Array(8 + vector.payload.length);
        raw.set([0x88, 0xfe, vector.payload.length >> 8, vector.payload.length & 0xff, 0, 0, 0, 0]);
        raw.set(vector.payload, 8);
        conn.receive(raw);
      } else {
        conn.receive(wire);
      }
      expect(failCode(rec)).toBe(vector.closeCode);
      expect(closeFrameCode(out())).toEqual([vector.closeCode]);
      expect(conn.closeReceived).toBe(false);
      expect(conn.state).toBe(3);
    });
  }

  for (const vector of UNSENDABLE_CLOSES) {
    it(`close() refuses ${vector.name} with a RangeError and sends nothing`, () => {
      const { conn } = server();
      expect(() => conn.close(vector.code, vector.reason)).toThrow(RangeError);
      expect(conn.state).toBe(1);
      expect(conn.outputLength).toBe(0);
    });
  }

  it('fail() sends the code at once and ignores input; no onFail for a local failure', () => {
    const { conn, rec, out } = server();
    conn.fail(1008, 'policy');
    expect(conn.state).toBe(3);
    const frames = out();
    expect(frames.map((f) => closeCodeOf(f.payload))).toEqual([1008]);
    conn.receive(frame(1, 'x'));
    expect(rec.events).toEqual([]);
    expect(conn.transportShouldClose).toBe(true);
    expect(() => server().conn.fail(1005)).toThrow(RangeError);
  });

  it('a failure after this end closed sends no second close frame', () => {
    const { conn, rec, out } = server();
    conn.close(1000);
    out();
    conn.receive(frame(1, Uint8Array.of(0xff)));
    expect(failCode(rec)).toBe(1007);
    expect(out()).toEqual([]);
    expect(conn.state).toBe(3);
    expect(conn.transportShouldClose).toBe(true);
  });

  it('a long failure reason is cut to fit the close frame', () => {
    const { conn, out } = server({ maxMessageSize: 10 });
    conn.receive(frame(2, new Uint8Array(11)));
    const [f] = out();
    expect(f!.payload.length).toBeLessThanOrEqual(125);
    expect(closeCodeOf(f!.payload)).toBe(1009);
  });

  it('receiveEof without a close frame: closed at once, abnormal (closeReceived false)', () => {
    const { conn, rec } = server();
    conn.receive(frame(1, 'partial', { fin: false }));
    conn.receiveEof();
    expect(conn.state).toBe(3);
    expect(conn.closeReceived).toBe(false);
    expect(conn.transportShouldClose).toBe(true);
    conn.sendText('nowhere');
    expect(conn.outputLength).toBe(0);
    expect(rec.events).toEqual([]);
  });

  it('echoCloseReason: the close reply carries the peer reason too (as ws does)', () => {
    const { conn, out } = server({ echoCloseReason: true });
    conn.receive(frame(8, closePayload(4001, 'bye')));
    expect(out().map((f) => [f.opcode, hex(f.payload)])).toEqual([[8, '0fa1627965']]);
    const plain = server();
    plain.conn.receive(frame(8, closePayload(4001, 'bye')));
    expect(plain.out().map((f) => [f.opcode, hex(f.payload)])).toEqual([[8, '0fa1']]);
  });
});
