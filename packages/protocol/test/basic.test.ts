import { describe, expect, it } from 'vitest';
import { bytes, client, closePayload, frame, hex, server, utf8 } from './helpers.js';

describe('send and receive (smoke)', () => {
  it('server receives a masked text message and echoes it unmasked', () => {
    const { conn, rec, out } = server();
    conn.receive(frame(1, 'Hello'));
    expect(rec.events).toEqual([['message', 'Hello', false]]);
    conn.sendText('Hello');
    const frames = out();
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ fin: true, opcode: 1, masked: false });
    expect(hex(frames[0]!.payload)).toBe(hex(utf8('Hello')));
  });

  it('client masks what it sends', () => {
    const { conn, out } = client();
    conn.sendBinary(bytes(1, 2, 3));
    const [f] = out();
    expect(f).toMatchObject({ opcode: 2, masked: true });
    expect(hex(f!.payload)).toBe('010203');
  });

  it('closing handshake echoes the code', () => {
    const { conn, rec, out } = server();
    conn.receive(frame(8, closePayload(1001, 'bye')));
    expect(rec.events).toEqual([['close', 1001, 'bye']]);
    const frames = out();
    expect(frames.map((f) => f.opcode)).toEqual([8]);
    expect(hex(frames[0]!.payload)).toBe('03e9');
    expect(conn.state).toBe(3);
    expect(conn.transportShouldClose).toBe(true);
  });
});

describe('handler errors', () => {
  it('a handler that throws fails the connection with 1011 and the error reaches the caller', () => {
    const { conn, rec, out } = server();
    rec.onMessage = () => {
      throw new Error('listener bug');
    };
    expect(() => conn.receive(frame(1, 'boom'))).toThrow('listener bug');
    expect(rec.events.map((e) => e[0])).toEqual(['fail']);
    expect(rec.errors[0]!.closeCode).toBe(1011);
    const frames = out();
    expect(frames.map((f) => [f.opcode, hex(f.payload)])).toEqual([[8, '03f3']]);
    conn.receive(frame(1, 'after'));
    expect(rec.events).toHaveLength(1);
  });
});

describe('options', () => {
  it('a client without randomFill uses globalThis.crypto', () => {
    const c = client({ randomFill: undefined });
    c.conn.sendText('x');
    expect(c.out()[0]!.masked).toBe(true);
  });

  it('an unknown role is a TypeError', () => {
    expect(() => server({ role: 'peer' as never })).toThrow(TypeError);
  });
});
