/** Autobahn category 1 (framing) and RFC 6455 §5.1–§5.3 (masking by role), bytes only. */
import { LENGTH_EDGES, patternBytes, RFC6455_FRAMES } from '@strata-ws/test-vectors';
import { describe, expect, it } from 'vitest';
import {
  client,
  closeFrameCode,
  concatBytes,
  failCode,
  feed,
  frame,
  hex,
  server,
} from './helpers.js';

const LENGTHS = [0, 1, 125, 126, 127, 128, 65535, 65536, 70000];

describe('1.1 text messages of every length encoding', () => {
  for (const length of LENGTHS) {
    it(`${length} bytes, whole and byte by byte`, () => {
      const payload = 'x'.repeat(length);
      for (const chunk of [Number.MAX_SAFE_INTEGER, 1, 7]) {
        if (chunk === 1 && length > 1000) continue;
        const { conn, rec, out } = server();
        feed(conn, frame(1, payload), chunk);
        expect(rec.events).toEqual([['message', payload, false]]);
        expect(out()).toEqual([]);
      }
    });
  }
});

describe('1.2 binary messages of every length encoding', () => {
  for (const length of LENGTHS) {
    it(`${length} bytes`, () => {
      const payload = patternBytes(length, 3);
      const { conn, rec } = server();
      feed(conn, frame(2, payload), 4096);
      expect(rec.messages).toHaveLength(1);
      expect(hex(rec.messages[0]!)).toBe(hex(payload));
      expect(rec.events[0]![2]).toBe(true);
    });
  }

  it('LENGTH_EDGES headers announce what the engine delivers', () => {
    for (const edge of LENGTH_EDGES) {
      if (edge.payloadLength > 65536) continue;
      const payload = patternBytes(edge.payloadLength);
      const masked = payload.slice();
      for (let i = 0; i < masked.length; i++) masked[i]! ^= [0x37, 0xfa, 0x21, 0x3d][i & 3]!;
      const { conn, rec } = server();
      conn.receive(concatBytes(edge.maskedHeader, masked));
      expect(rec.messages[0]?.length).toBe(edge.payloadLength);
      expect(hex(rec.messages[0]!)).toBe(hex(payload));
    }
  });
});

describe('RFC 6455 §5.7 examples', () => {
  it('a client receives the unmasked examples', () => {
    const { conn, rec } = client();
    conn.receive(RFC6455_FRAMES.unmaskedText.wire.slice());
    conn.receive(RFC6455_FRAMES.fragmentedTextFirst.wire.slice());
    conn.receive(RFC6455_FRAMES.unmaskedPing.wire.slice());
    conn.receive(RFC6455_FRAMES.fragmentedTextLast.wire.slice());
    conn.receive(RFC6455_FRAMES.binary256.wire.slice());
    expect(rec.events.slice(0, 3)).toEqual([
      ['message', 'Hello', false],
      ['ping', hex(RFC6455_FRAMES.unmaskedPing.payload)],
      ['message', 'Hello', false],
    ]);
    expect(hex(rec.messages[2]!)).toBe(hex(RFC6455_FRAMES.binary256.payload));
  });

  it('a server receives the masked example and a client sends the same bytes with that key', () => {
    const { conn, rec } = server();
    conn.receive(RFC6455_FRAMES.maskedText.wire.slice());
    expect(rec.events).toEqual([['message', 'Hello', false]]);
    const c = client({
      randomFill: (b) => {
        for (let i = 0; i < b.length; i += 4) b.set([0x37, 0xfa, 0x21, 0x3d], i);
      },
    });
    c.conn.sendText('Hello');
    expect(hex(concatBytes(...c.conn.takeOutput()))).toBe(hex(RFC6455_FRAMES.maskedText.wire));
  });

  it('a server sends the unmasked examples byte for byte', () => {
    const { conn } = server();
    conn.sendText('Hello');
    conn.sendText('Hel', { fin: false });
    conn.sendText('lo');
    conn.sendBinary(RFC6455_FRAMES.binary65536.payload);
    expect(hex(concatBytes(...conn.takeOutput()))).toBe(
      hex(
        concatBytes(
          RFC6455_FRAMES.unmaskedText.wire,
          RFC6455_FRAMES.fragmentedTextFirst.wire,
          RFC6455_FRAMES.fragmentedTextLast.wire,
          RFC6455_FRAMES.binary65536.wire,
        ),
      ),
    );
  });
});

describe('RFC 6455 §5.1 masking by role', () => {
  it('a server fails an unmasked frame with 1002', () => {
    const { conn, rec, out } = server();
    conn.receive(frame(1, 'hi', { masked: false }));
    expect(failCode(rec)).toBe(1002);
    expect(closeFrameCode(out())).toEqual([1002]);
  });

  it('a client fails a masked frame with 1002', () => {
    const { conn, rec, out } = client();
    conn.receive(frame(1, 'hi'));
    expect(failCode(rec)).toBe(1002);
    const frames = out();
    expect(closeFrameCode(frames)).toEqual([1002]);
    expect(frames[0]!.masked).toBe(true);
  });

  it('a client draws mask keys from a pool refilled in blocks', () => {
    let calls = 0;
    const { conn, out } = client({
      randomFill: (b) => {
        calls++;
        for (let i = 0; i < b.length; i++) b[i] = (i * 13 + calls) & 0xff;
      },
    });
    for (let i = 0; i < 100; i++) conn.sendText('m');
    const frames = out();
    expect(frames).toHaveLength(100);
    expect(frames.every((f) => f.masked && f.payload[0] === 0x6d)).toBe(true);
    expect(calls).toBe(2); // 64 keys per 256-byte block
  });
});

describe('1.x frames after a failure are ignored', () => {
  it('input after a failure produces nothing', () => {
    const { conn, rec, out } = server();
    conn.receive(frame(1, 'x', { masked: false }));
    out();
    conn.receive(frame(1, 'after'));
    expect(rec.events).toHaveLength(1);
    expect(out()).toEqual([]);
  });
});
