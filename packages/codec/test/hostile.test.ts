// Hostile input: nothing crashes, nothing buffers without bound, every failure has its code.
import { concatBytes, hex } from '@strata-ws/test-vectors';
import { describe, expect, test } from 'vitest';
import {
  decodeClosePayload,
  FrameParser,
  type FrameSink,
  isValidUtf8,
  ProtocolError,
  parseHeader,
  Utf8Validator,
} from '../src/index.js';

const discard: FrameSink = { frame() {} };

function closeCodeOf(fn: () => unknown): number | string {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return error instanceof ProtocolError ? error.closeCode : String(error);
  }
}

describe('hostile input', () => {
  test('a header announcing 2^53 - 1 bytes: accepted when allowed, only received bytes held', () => {
    const parser = new FrameParser({ maxPayloadLength: Number.MAX_SAFE_INTEGER });
    parser.push(hex('82 7f 001fffffffffffff'), discard);
    parser.push(new Uint8Array(1000), discard);
    expect(parser.bufferedLength).toBe(1000);
  });

  test('a flood of empty pings byte by byte never holds more than one header', () => {
    const parser = new FrameParser();
    const ping = hex('89 80 01 02 03 04');
    let frames = 0;
    const sink: FrameSink = {
      frame() {
        frames++;
      },
    };
    for (let n = 0; n < 2000; n++) {
      for (let i = 0; i < ping.length; i++) {
        parser.push(ping.subarray(i, i + 1), sink);
        expect(parser.bufferedLength).toBeLessThanOrEqual(14);
      }
    }
    expect(frames).toBe(2000);
  });

  test('a length field over 2^53 - 1 arriving byte by byte fails at its last byte', () => {
    const bytes = hex('82 7f 0020000000000000');
    const parser = new FrameParser();
    for (let i = 0; i < bytes.length - 1; i++) parser.push(bytes.subarray(i, i + 1), discard);
    expect(closeCodeOf(() => parser.push(bytes.subarray(bytes.length - 1), discard))).toBe(1002);
  });

  test('oversized frames fail with 1009 even when the header is split', () => {
    const bytes = hex('82 fe 0400 01020304');
    for (let split = 1; split < 4; split++) {
      const parser = new FrameParser({ maxPayloadLength: 1000 });
      parser.push(bytes.subarray(0, split), discard);
      expect(closeCodeOf(() => parser.push(bytes.subarray(split), discard))).toBe(1009);
    }
  });

  test('parseHeader with an offset past the end returns null', () => {
    expect(parseHeader(hex('81 00'), 2)).toBeNull();
    expect(parseHeader(hex('81 00'), 5)).toBeNull();
  });

  test('close payloads of garbage: 1002 or 1007, never anything else', () => {
    expect(closeCodeOf(() => decodeClosePayload(new Uint8Array(125).fill(0xff)))).toBe(1002);
    const badReason = concatBytes(hex('03e8'), new Uint8Array(123).fill(0xff));
    expect(closeCodeOf(() => decodeClosePayload(badReason))).toBe(1007);
  });

  test('UTF-8: long runs of continuation bytes and lead bytes fail, quickly', () => {
    expect(isValidUtf8(new Uint8Array(100_000).fill(0x80))).toBe(false);
    expect(isValidUtf8(new Uint8Array(100_000).fill(0xf4))).toBe(false);
    const validator = new Utf8Validator();
    expect(validator.push(new Uint8Array([0xf4, 0x8f]), false)).toBe(true);
    expect(validator.push(new Uint8Array([0xbf]), false)).toBe(true);
    expect(validator.push(new Uint8Array([0xc0]), false)).toBe(false);
  });
});
