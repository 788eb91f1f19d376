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
