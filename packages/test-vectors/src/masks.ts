/** Masking vectors (RFC 6455 §5.3): fixed keys, data before and after. */
import { ascii, hex, patternBytes } from './bytes.js';

/** `masked[i] = plain[i] XOR keyBytes[(i + keyOffset) % 4]`. */
export interface MaskVector {
  readonly name: string;
  /** The key bytes read big-endian as an unsigned 32-bit integer. */
  readonly maskKey: number;
  readonly keyBytes: Uint8Array;
  /** Bytes of the key used before `plain[0]` (masking that continues a payload). */
  readonly keyOffset: number;
  readonly plain: Uint8Array;
  readonly masked: Uint8Array;
}

/** Fixed-key masking results, computed independently of the codec. */
export const MASK_VECTORS: readonly MaskVector[] = [
  {
    name: 'RFC 6455 §5.7 key 37fa213d over "Hello"',
    maskKey: 0x37fa213d,
    keyBytes: hex('37 fa 21 3d'),
    keyOffset: 0,
    plain: ascii('Hello'),
    masked: hex('7f 9f 4d 51 58'),
  },
  {
    name: 'all-zero key leaves data unchanged',
    maskKey: 0x00000000,
    keyBytes: hex('00 00 00 00'),
    keyOffset: 0,
    plain: ascii('unchanged'),
    masked: ascii('unchanged'),
  },
  {
    name: 'all-ones key inverts every bit',
    maskKey: 0xffffffff,
    keyBytes: hex('ff ff ff ff'),
    keyOffset: 0,
    plain: hex('00 01 02 fe ff'),
    masked: hex('ff fe fd 01 00'),
  },
  {
    name: 'key 12345678 over 17 counting bytes (odd tail)',
    maskKey: 0x12345678,
    keyBytes: hex('12 34 56 78'),
    keyOffset: 0,
    plain: patternBytes(17),
    masked: hex('1235547b1631507f1a3d5c731e39587702'),
  },
  {
    name: 'key deadbeef over 86 bytes (word loop, unaligned tail)',
    maskKey: 0xdeadbeef,
    keyBytes: hex('de ad be ef'),
    keyOffset: 0,
    plain: Uint8Array.from({ length: 86 }, (_, i) => i * 3),
    masked: hex(
      'deaeb8e6d2a2acfac6b6a0cefa8a94c2ee9e88d6e292fcaa96e6f0be8afae4b2beced886b2c2cc9aa6d6c0' +
        '6e5a2a34624e3e287642321c4a7606105e6a1a04521e6e782612626c3a0676600e3a4a54022e5e48162252',
    ),
  },
  {
    name: 'key a1b2c3d4 continuing at key offset 2 over "WebSocket"',
    maskKey: 0xa1b2c3d4,
    keyBytes: hex('a1 b2 c3 d4'),
    keyOffset: 2,
    plain: ascii('WebSocket'),
    masked: hex('94b1c3e1acb7cad7b7'),
  },
];
