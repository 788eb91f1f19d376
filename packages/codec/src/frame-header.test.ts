// RFC 6455 §5.2 (base framing protocol) and §5.5 (control frames): header parsing and writing.
import {
  concatBytes,
  hex,
  INVALID_HEADERS,
  LENGTH_EDGES,
  RFC6455_EXAMPLE_MASK_KEY,
  RFC6455_FRAMES,
} from '@strata-ws/test-vectors';
import { describe, expect, test } from 'vitest';
import { assertBytes } from '../test/host.js';
import { ProtocolError } from './errors.js';
import {
  encodeFrame,
  type FrameHeader,
  frameHeaderLength,
  parseHeader,
  writeFrameHeader,
} from './frame-header.js';

function closeCodeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error.closeCode;
    throw error;
  }
  return undefined;
}

describe('parseHeader (RFC 6455 §5.2)', () => {
  for (const [key, vector] of Object.entries(RFC6455_FRAMES)) {
    test(`§5.7 ${key}: ${vector.name}`, () => {
      expect(parseHeader(vector.wire, 0)).toEqual(vector.header);
    });
  }

  test('reads at an offset and fills the given object', () => {
    const { wire, header } = RFC6455_FRAMES.maskedText;
    const bytes = concatBytes(hex('ff ff ff'), wire);
    const out: FrameHeader = {
      fin: false,
      rsv: 0,
      opcode: 0,
      masked: false,
      maskKey: 0,
      payloadLength: 0,
      headerLength: 0,
    };
    expect(parseHeader(bytes, 3, out)).toBe(out);
    expect(out).toEqual(header);
  });

  test('returns null for every incomplete prefix, whatever the length encoding', () => {
    for (const edge of LENGTH_EDGES) {
      for (const full of [edge.header, edge.maskedHeader]) {
        for (let n = 0; n < full.length; n++) {
          expect(parseHeader(full.subarray(0, n), 0)).toBeNull();
        }
        expect(parseHeader(full, 0)?.headerLength).toBe(full.length);
      }
    }
  });

  test('length edges 0/125/126/65535/65536/2^32/2^53-1 decode exactly', () => {
    for (const edge of LENGTH_EDGES) {
      const plain = parseHeader(edge.header, 0)!;
      expect(plain.payloadLength).toBe(edge.payloadLength);
      expect(plain.masked).toBe(false);
      expect(plain.maskKey).toBe(0);
      const masked = parseHeader(edge.maskedHeader, 0)!;
      expect(masked.payloadLength).toBe(edge.payloadLength);
      expect(masked.maskKey).toBe(RFC6455_EXAMPLE_MASK_KEY);
    }
  });

  test('reports RSV bits without judging them (extensions decide)', () => {
    expect(parseHeader(hex('c1 00'), 0)?.rsv).toBe(0x40);
    expect(parseHeader(hex('f2 00'), 0)?.rsv).toBe(0x70);
    expect(parseHeader(hex('a2 00'), 0)?.rsv).toBe(0x20);
  });

  test('mask keys with the top bit set are unsigned', () => {
    expect(parseHeader(hex('82 80 ff ee dd cc'), 0)?.maskKey).toBe(0xffeeddcc);
  });

  for (const vector of INVALID_HEADERS) {
    test(`rejects ${vector.name} with ${vector.closeCode}`, () => {
      expect(closeCodeOf(() => parseHeader(vector.bytes, 0))).toBe(vector.closeCode);
    });
  }

  test('opcode rules fail on the first two bytes, before the length arrives', () => {
    expect(closeCodeOf(() => parseHeader(hex('83 7f'), 0))).toBe(1002);
    expect(closeCodeOf(() => parseHeader(hex('09 7f'), 0))).toBe(1002);
    expect(closeCodeOf(() => parseHeader(hex('89 fe'), 0))).toBe(1002);
  });

  test('a control frame of exactly 125 bytes is fine', () => {
    expect(parseHeader(hex('89 7d'), 0)?.payloadLength).toBe(125);
  });
});

describe('frameHeaderLength', () => {
  test('matches the length edges', () => {
    for (const edge of LENGTH_EDGES) {
      expect(frameHeaderLength(edge.payloadLength, false)).toBe(edge.header.length);
      expect(frameHeaderLength(edge.payloadLength, true)).toBe(edge.maskedHeader.length);
    }
  });
});

describe('writeFrameHeader', () => {
  test('writes the minimal encoding for every length edge', () => {
    for (const edge of LENGTH_EDGES) {
      const target = new Uint8Array(16);
      const n = writeFrameHeader(target, 1, true, 0, 2, edge.payloadLength);
      expect(target.subarray(1, 1 + n)).toEqual(edge.header);
      const m = writeFrameHeader(
        target,
        0,
        true,
        0,
        2,
        edge.payloadLength,
        RFC6455_EXAMPLE_MASK_KEY,
      );
      expect(target.subarray(0, m)).toEqual(edge.maskedHeader);
    }
  });

  test('writes the §5.7 headers', () => {
    const target = new Uint8Array(14);
    expect(target.subarray(0, writeFrameHeader(target, 0, false, 0, 1, 3))).toEqual(hex('01 03'));
    expect(target.subarray(0, writeFrameHeader(target, 0, true, 0, 0, 2))).toEqual(hex('80 02'));
    const n = writeFrameHeader(target, 0, true, 0, 10, 5, RFC6455_EXAMPLE_MASK_KEY);
    expect(target.subarray(0, n)).toEqual(hex('8a 85 37 fa 21 3d'));
    expect(target.subarray(0, writeFrameHeader(target, 0, true, 0x40, 1, 7))).toEqual(hex('c1 07'));
  });

  test('a zero mask key still masks (mask bit set, four key bytes)', () => {
    const target = new Uint8Array(14);
    expect(target.subarray(0, writeFrameHeader(target, 0, true, 0, 2, 1, 0))).toEqual(
      hex('82 81 00 00 00 00'),
    );
  });

  test('refuses what the parser would reject or cannot represent', () => {
    const target = new Uint8Array(14);
    expect(() => writeFrameHeader(target, 0, true, 0, 16, 0)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, true, 0, -1, 0)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, true, 0x80, 1, 0)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, true, 0, 1, -1)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, true, 0, 1, 1.5)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, true, 0, 1, 2 ** 53)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, true, 0, 1, Number.NaN)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, false, 0, 9, 0)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 0, true, 0, 8, 126)).toThrow(RangeError);
    expect(() => writeFrameHeader(new Uint8Array(3), 0, true, 0, 2, 126)).toThrow(RangeError);
    expect(() => writeFrameHeader(target, 12, true, 0, 2, 0, 1)).toThrow(RangeError);
  });
});

describe('encodeFrame', () => {
  test('§5.7 unmasked "Hello": header and the caller\'s own payload (no copy)', () => {
    const { payload, wire } = RFC6455_FRAMES.unmaskedText;
    const [header, body] = encodeFrame({ opcode: 1, payload });
    expect(concatBytes(header, body)).toEqual(wire);
    expect(body).toBe(payload);
  });

  test('§5.7 masked "Hello": the payload is masked into a copy', () => {
    const { payload, wire } = RFC6455_FRAMES.maskedText;
    const before = payload.slice();
    const [header, body] = encodeFrame({ opcode: 1, payload, maskKey: RFC6455_EXAMPLE_MASK_KEY });
    expect(concatBytes(header, body)).toEqual(wire);
    expect(body).not.toBe(payload);
    expect(payload).toEqual(before);
  });

  test('§5.7 fragments, ping, pong and 64 KiB binary', () => {
    const v = RFC6455_FRAMES;
    const cases = [
      [v.fragmentedTextFirst, { fin: false, opcode: 1, payload: v.fragmentedTextFirst.payload }],
      [v.fragmentedTextLast, { opcode: 0, payload: v.fragmentedTextLast.payload }],
      [v.unmaskedPing, { opcode: 9, payload: v.unmaskedPing.payload }],
      [
        v.maskedPong,
        { opcode: 10, payload: v.maskedPong.payload, maskKey: RFC6455_EXAMPLE_MASK_KEY },
      ],
      [v.binary256, { opcode: 2, payload: v.binary256.payload }],
      [v.binary65536, { opcode: 2, payload: v.binary65536.payload }],
    ] as const;
    for (const [vector, frame] of cases) {
      const [header, body] = encodeFrame(frame);
      assertBytes(concatBytes(header, body), vector.wire, vector.name);
    }
  });

  test("never masks the caller's payload in place, even when its slice() is a view", () => {
    // Node's Buffer#slice shares memory; the masked copy must not rely on slice().
    for (const length of [5, 200]) {
      const payload = new Uint8Array(length).fill(0x41);
      payload.slice = (start?: number, end?: number) => payload.subarray(start, end);
      const [, body] = encodeFrame({ opcode: 2, payload, maskKey: 0x01020304 });
      expect(payload.every((b) => b === 0x41)).toBe(true);
      expect(body).toBeInstanceOf(Uint8Array);
      expect(body[0]).toBe(0x41 ^ 0x01);
      expect(body[length - 1]).toBe(0x41 ^ [0x01, 0x02, 0x03, 0x04][(length - 1) % 4]!);
    }
  });

  test('masked copies match the definition for lengths 0..140 and around 384 and 64 KiB', () => {
    const lengths = Array.from({ length: 141 }, (_, i) => i);
    lengths.push(383, 384, 385, 402, 65536, 65537, 65536 * 2 + 5);
    for (const length of lengths) {
      const payload = Uint8Array.from({ length }, (_, i) => (i * 7) & 0xff);
      const [, body] = encodeFrame({ opcode: 2, payload, maskKey: 0xa1b2c3d4 });
      const key = [0xa1, 0xb2, 0xc3, 0xd4];
      assertBytes(
        body,
        payload.map((b, i) => b ^ key[i & 3]!),
        `length ${length}`,
      );
    }
  });

  test('passes RSV bits through', () => {
    const [header] = encodeFrame({ opcode: 2, rsv: 0x40, payload: new Uint8Array(3) });
    expect(header).toEqual(hex('c2 03'));
  });

  test('rejects a control frame over 125 bytes', () => {
    expect(() => encodeFrame({ opcode: 9, payload: new Uint8Array(126) })).toThrow(RangeError);
  });
});
