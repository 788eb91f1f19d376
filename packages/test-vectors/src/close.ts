/** Close frame payload vectors (RFC 6455 §5.5.1, §7.4). */
import { ascii, concatBytes, hex } from './bytes.js';

/** A close payload and what decoding it gives. */
export interface ClosePayloadVector {
  readonly name: string;
  readonly payload: Uint8Array;
  readonly code: number;
  readonly reason: string;
}

/** A close payload a receiver must reject, with the close code to fail with. */
export interface InvalidClosePayloadVector {
  readonly name: string;
  readonly payload: Uint8Array;
  /** 1002 for a bad length or code, 1007 for a reason that is not UTF-8. */
  readonly closeCode: 1002 | 1007;
}

/** Arguments a close payload encoder must refuse (RangeError). */
export interface UnsendableCloseVector {
  readonly name: string;
  readonly code: number | undefined;
  readonly reason: string;
}

const REASON_123 = 'r'.repeat(123);

/** Valid close payloads. Empty decodes as 1005 (no status received, RFC 6455 §7.1.5). */
export const CLOSE_PAYLOADS: readonly ClosePayloadVector[] = [
  { name: 'empty payload', payload: new Uint8Array(0), code: 1005, reason: '' },
  { name: '1000 without reason', payload: hex('03e8'), code: 1000, reason: '' },
  { name: '1000 "bye"', payload: hex('03e8 627965'), code: 1000, reason: 'bye' },
  { name: '1001 going away', payload: hex('03e9'), code: 1001, reason: '' },
  { name: '1003 unsupported data', payload: hex('03eb'), code: 1003, reason: '' },
  { name: '1007 invalid payload', payload: hex('03ef'), code: 1007, reason: '' },
  { name: '1011 internal error', payload: hex('03f3'), code: 1011, reason: '' },
  { name: '1012 service restart', payload: hex('03f4'), code: 1012, reason: '' },
  { name: '1014 bad gateway', payload: hex('03f6'), code: 1014, reason: '' },
  { name: '3000 (registered range)', payload: hex('0bb8'), code: 3000, reason: '' },
  { name: '4000 (private range)', payload: hex('0fa0'), code: 4000, reason: '' },
  { name: '4999 (last private code)', payload: hex('1387'), code: 4999, reason: '' },
  {
    name: '1000 with a multi-byte reason "καλό"',
    payload: hex('03e8 ceba ceb1 cebb cf8c'),
    code: 1000,
    reason: 'καλό',
  },
  {
    name: '1000 with a 4-byte sequence "👋"',
    payload: hex('03e8 f09f918b'),
    code: 1000,
    reason: '👋',
  },
  {
    name: '1000 with a 123-byte reason (125 bytes in all)',
    payload: concatBytes(hex('03e8'), ascii(REASON_123)),
    code: 1000,
    reason: REASON_123,
  },
];

/** Close payloads a receiver must reject (RFC 6455 §5.5.1, §7.4.1, §8.1). */
export const INVALID_CLOSE_PAYLOADS: readonly InvalidClosePayloadVector[] = [
  { name: 'one byte', payload: hex('03'), closeCode: 1002 },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map(
    (code): InvalidClosePayloadVector => ({
      name: `code ${code}`,
      payload: new Uint8Array([code >>> 8, code & 0xff]),
      closeCode: 1002,
    }),
  ),
  {
    name: '126 bytes (over the control frame limit)',
    payload: concatBytes(hex('03e8'), ascii('x'.repeat(124))),
    closeCode: 1002,
  },
  { name: 'reason with a lone continuation byte', payload: hex('03e8 80'), closeCode: 1007 },
  { name: 'reason with a surrogate (ED A0 80)', payload: hex('03e8 eda080'), closeCode: 1007 },
  { name: 'reason with an overlong "/" (C0 AF)', payload: hex('03e8 c0af'), closeCode: 1007 },
  { name: 'reason truncated mid-sequence', payload: hex('03e8 6869 e282'), closeCode: 1007 },
  { name: 'reason over U+10FFFF (F4 90 80 80)', payload: hex('03e8 f4908080'), closeCode: 1007 },
];

/** Close arguments an endpoint may not send. */
export const UNSENDABLE_CLOSES: readonly UnsendableCloseVector[] = [
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65536, 1000.5, Number.NaN].map(
    (code): UnsendableCloseVector => ({ name: `code ${code}`, code, reason: '' }),
  ),
  { name: 'reason without a code', code: undefined, reason: 'why' },
  { name: '124-byte ASCII reason', code: 1000, reason: 'r'.repeat(124) },
  // 41 three-byte characters (123 bytes in 41 UTF-16 units) plus one ASCII byte.
  { name: '124-byte multi-byte reason', code: 1000, reason: `${'€'.repeat(41)}x` },
  // 31 four-byte characters: 62 UTF-16 units, 124 bytes.
  { name: '124 bytes of 4-byte sequences', code: 1000, reason: '😀'.repeat(31) },
];
