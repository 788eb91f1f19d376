// The vectors check themselves against their own definitions, independently of any codec.
import { describe, expect, test } from 'vitest';
import * as vectors from '../src/index.js';
import {
  CLOSE_PAYLOADS,
  concatBytes,
  hex,
  INVALID_HEADERS,
  LENGTH_EDGES,
  MASK_VECTORS,
  RFC6455_FRAMES,
  RFC7692_EXAMPLES,
  toHex,
  UTF8_VECTORS,
} from '../src/index.js';

function xor(data: Uint8Array, key: Uint8Array, offset: number): Uint8Array {
  return data.map((b, i) => b ^ key[(i + offset) % 4]!);
}

test('export surface', () => {
  expect(Object.keys(vectors).sort()).toEqual(
    [
      'ACCEPT_VECTORS',
      'CHROMIUM_ARGS',
      'CHROMIUM_EXECUTABLE',
      'CLOSE_PAYLOADS',
      'DEFLATE_TAIL',
      'INVALID_CLOSE_PAYLOADS',
      'INVALID_HEADERS',
      'LENGTH_EDGES',
      'MASK_VECTORS',
      'RFC6455_EXAMPLE_MASK_KEY',
      'RFC6455_FRAMES',
      'RFC6455_HANDSHAKE',
      'RFC7692_EXAMPLES',
      'UNSENDABLE_CLOSES',
      'UTF8_VECTORS',
      'WEBSOCKET_GUID',
      'ascii',
      'concatBytes',
      'hex',
      'patternBytes',
      'toHex',
    ].sort(),
  );
});

describe('helpers', () => {
  test('hex accepts RFC figure notation and rejects junk', () => {
    expect(toHex(hex('0x81 0x05, 0xAB'))).toBe('8105ab');
    expect(() => hex('abc')).toThrow(TypeError);
    expect(() => hex('zz')).toThrow(TypeError);
  });
});

describe('RFC 6455 §5.7 frames are self-consistent', () => {
  for (const [name, v] of Object.entries(RFC6455_FRAMES)) {
    test(name, () => {
      const h = v.header;
      expect(v.wire.length).toBe(h.headerLength + h.payloadLength);
      expect(v.payload.length).toBe(h.payloadLength);
      expect(v.wire[0]).toBe((h.fin ? 0x80 : 0) | h.rsv | h.opcode);
      const body = v.wire.subarray(h.headerLength);
      if (h.masked) {
        const key = v.wire.subarray(h.headerLength - 4, h.headerLength);
        expect(((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) >>> 0).toBe(
          h.maskKey,
        );
        expect(xor(body, key, 0)).toEqual(v.payload);
      } else {
        expect(body).toEqual(v.payload);
      }
    });
  }
});

test('length edges use the minimal encoding', () => {
  for (const e of LENGTH_EDGES) {
    const n = e.payloadLength;
    expect(e.header.length).toBe(n < 126 ? 2 : n < 65536 ? 4 : 10);
    expect(e.maskedHeader.length).toBe(e.header.length + 4);
    expect(e.maskedHeader.subarray(e.header.length)).toEqual(hex('37fa213d'));
  }
});

test('invalid headers are complete headers', () => {
  for (const h of INVALID_HEADERS) expect(h.bytes.length).toBeGreaterThanOrEqual(2);
});

test('mask vectors match their definition', () => {
  for (const m of MASK_VECTORS) {
    expect(xor(m.plain, m.keyBytes, m.keyOffset)).toEqual(m.masked);
    const k = m.keyBytes;
    expect(((k[0]! << 24) | (k[1]! << 16) | (k[2]! << 8) | k[3]!) >>> 0).toBe(m.maskKey);
  }
});

test('close payloads carry their code big-endian', () => {
  for (const c of CLOSE_PAYLOADS) {
    if (c.payload.length === 0) continue;
    expect((c.payload[0]! << 8) | c.payload[1]!).toBe(c.code);
  }
});

test('UTF-8 vectors: failAt is consistent with valid', () => {
  for (const u of UTF8_VECTORS) {
    if (u.valid) expect(u.failAt).toBeNull();
    else expect(u.failAt).toBeGreaterThanOrEqual(0);
    if (u.failAt !== null) expect(u.failAt).toBeLessThanOrEqual(u.bytes.length);
  }
});

test('RFC 7692 frames: RSV1 on the first frame, payloads concatenate to `compressed`', () => {
  for (const d of Object.values(RFC7692_EXAMPLES)) {
    expect(d.frames[0]![0]! & 0x40).toBe(0x40);
    const payloads = d.frames.map((f) => {
      expect(f[1]).toBe(f.length - 2);
      return f.subarray(2);
    });
    expect(concatBytes(...payloads)).toEqual(d.compressed);
  }
});
