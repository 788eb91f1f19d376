/** Autobahn categories 3 (reserved bits) and 4 (opcodes), RFC 6455 §5.2. */

import type { MessageExtension } from '@strata-ws/protocol';
import { INVALID_HEADERS } from '@strata-ws/test-vectors';
import { describe, expect, it } from 'vitest';
import { closeFrameCode, concatBytes, failCode, frame, server } from './helpers.js';

/** A synchronous identity extension claiming RSV1. */
function identity(rsvBit: 0x40 | 0x20 | 0x10 = 0x40): MessageExtension {
  return {
    name: 'identity',
    rsvBit,
    shouldEncode: () => false,
    encode: (data, cb) => cb(null, data),
    decode: (data, _fin, _max, cb) => cb(null, data),
    dispose: () => {},
  };
}

describe('3 reserved bits without a negotiated extension', () => {
  for (let rsv = 1; rsv <= 7; rsv++) {
    for (const opcode of [1, 2, 9, 10, 8]) {
      it(`RSV ${rsv} on opcode ${opcode} fails with 1002 after the preceding message`, () => {
        const { conn, rec, out } = server();
        conn.receive(
          concatBytes(frame(1, 'ok'), frame(opcode, '', { rsv: rsv << 4 }), frame(1, 'no')),
        );
        expect(rec.events[0]).toEqual(['message', 'ok', false]);
        expect(rec.events.slice(1).map((e) => e[0])).toEqual(['fail']);
        expect(failCode(rec)).toBe(1002);
        expect(closeFrameCode(out())).toEqual([1002]);
      });
    }
  }
});

describe('3 reserved bits with an extension', () => {
  it('RSV1 on a first frame is handed to the extension', () => {
    const { conn, rec } = server({ extensions: [identity()] });
    conn.receive(frame(1, 'z', { rsv: 0x40 }));
    expect(rec.events).toEqual([['message', 'z', false]]);
  });

  it('RSV1 on a continuation frame fails with 1002', () => {
    const { conn, rec } = server({ extensions: [identity()] });
    conn.receive(
      concatBytes(frame(1, 'a', { rsv: 0x40, fin: false }), frame(0, 'b', { rsv: 0x40 })),
    );
    expect(failCode(rec)).toBe(1002);
  });

  it('RSV1 on a control frame fails with 1002', () => {
    const { conn, rec } = server({ extensions: [identity()] });
    conn.receive(frame(9, '', { rsv: 0x40 }));
    expect(failCode(rec)).toBe(1002);
  });

  it('RSV2 when only RSV1 is negotiated fails with 1002', () => {
    const { conn, rec } = server({ extensions: [identity()] });
    conn.receive(frame(2, 'a', { rsv: 0x20 }));
    expect(failCode(rec)).toBe(1002);
  });

  it('two extensions cannot claim one bit', () => {
    expect(() => server({ extensions: [identity(), identity()] })).toThrow(TypeError);
  });
});

describe('4 opcodes', () => {
  for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    it(`reserved opcode ${opcode} fails with 1002, after the preceding message`, () => {
      const { conn, rec, out } = server();
      const bad = frame(1, 'payload');
      bad[0] = 0x80 | opcode;
      conn.receive(concatBytes(frame(1, 'first'), bad, frame(9, 'x')));
      expect(rec.events.map((e) => e[0])).toEqual(['message', 'fail']);
      expect(failCode(rec)).toBe(1002);
      expect(closeFrameCode(out())).toEqual([1002]);
    });
  }

  it('every INVALID_HEADERS vector fails with its close code', () => {
    for (const vector of INVALID_HEADERS) {
      const { conn, rec, out } = server();
      const h = vector.bytes.slice();
      h[1]! |= 0x80; // masked, as a client sends
      conn.receive(concatBytes(h, new Uint8Array(4 + 200)));
      expect(failCode(rec), vector.name).toBe(vector.closeCode);
      expect(closeFrameCode(out())).toEqual([vector.closeCode]);
    }
  });
});
