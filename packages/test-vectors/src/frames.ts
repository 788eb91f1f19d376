/** Frame vectors: RFC 6455 §5.7 examples, length encodings at their edges, bad headers. */
import { ascii, concatBytes, hex, patternBytes } from './bytes.js';

/** The header fields a parser must report for a frame (the shape of the codec's `FrameHeader`). */
export interface ExpectedFrameHeader {
  readonly fin: boolean;
  /** RSV bits as in the first byte: RSV1 0x40, RSV2 0x20, RSV3 0x10. */
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  /** The key bytes read big-endian as an unsigned 32-bit integer; 0 when unmasked. */
  readonly maskKey: number;
  readonly payloadLength: number;
  readonly headerLength: number;
}

/** One frame: its bytes on the wire, the header they carry and the unmasked payload. */
export interface FrameVector {
  readonly name: string;
  /** Where it comes from, e.g. `RFC 6455 §5.7`. */
  readonly source: string;
  /** The whole frame as sent: header, then the (masked, if masked) payload. */
  readonly wire: Uint8Array;
  readonly header: ExpectedFrameHeader;
  /** The application data after unmasking. */
  readonly payload: Uint8Array;
}

/** The example mask key of RFC 6455 §5.7 (bytes 37 fa 21 3d). */
export const RFC6455_EXAMPLE_MASK_KEY: number = 0x37fa213d;

const HELLO = ascii('Hello');
const HELLO_MASKED = hex('7f 9f 4d 51 58');
const BINARY_256 = patternBytes(256);
const BINARY_65536 = patternBytes(65536);

function header(
  fin: boolean,
  opcode: number,
  payloadLength: number,
  headerLength: number,
  maskKey?: number,
): ExpectedFrameHeader {
  return {
    fin,
    rsv: 0,
    opcode,
    masked: maskKey !== undefined,
    maskKey: maskKey ?? 0,
    payloadLength,
    headerLength,
  };
}

/** Names of {@link RFC6455_FRAMES}. */
export type Rfc6455FrameName =
  | 'unmaskedText'
  | 'maskedText'
  | 'fragmentedTextFirst'
  | 'fragmentedTextLast'
  | 'unmaskedPing'
  | 'maskedPong'
  | 'binary256'
  | 'binary65536';

/**
 * The examples of RFC 6455 §5.7. The fragmented message "Hello" is
 * `fragmentedTextFirst` ("Hel") then `fragmentedTextLast` ("lo"). The RFC shows only the
 * headers of the 256-byte and 64 KiB binary frames; their payloads here count up from 0.
 */
export const RFC6455_FRAMES: Readonly<Record<Rfc6455FrameName, FrameVector>> = {
  unmaskedText: {
    name: 'single-frame unmasked text message "Hello"',
    source: 'RFC 6455 §5.7',
    wire: hex('0x81 0x05 0x48 0x65 0x6c 0x6c 0x6f'),
    header: header(true, 0x1, 5, 2),
    payload: HELLO,
  },
  maskedText: {
    name: 'single-frame masked text message "Hello"',
    source: 'RFC 6455 §5.7',
    wire: hex('0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58'),
    header: header(true, 0x1, 5, 6, RFC6455_EXAMPLE_MASK_KEY),
    payload: HELLO,
  },
  fragmentedTextFirst: {
    name: 'fragmented unmasked text message, first fragment "Hel"',
    source: 'RFC 6455 §5.7',
    wire: hex('0x01 0x03 0x48 0x65 0x6c'),
    header: header(false, 0x1, 3, 2),
    payload: ascii('Hel'),
  },
  fragmentedTextLast: {
    name: 'fragmented unmasked text message, last fragment "lo"',
    source: 'RFC 6455 §5.7',
    wire: hex('0x80 0x02 0x6c 0x6f'),
    header: header(true, 0x0, 2, 2),
    payload: ascii('lo'),
  },
  unmaskedPing: {
    name: 'unmasked ping with body "Hello"',
    source: 'RFC 6455 §5.7',
    wire: hex('0x89 0x05 0x48 0x65 0x6c 0x6c 0x6f'),
    header: header(true, 0x9, 5, 2),
    payload: HELLO,
  },
  maskedPong: {
    name: 'masked pong with body "Hello" (answering the ping)',
    source: 'RFC 6455 §5.7',
    wire: concatBytes(hex('0x8a 0x85 0x37 0xfa 0x21 0x3d'), HELLO_MASKED),
    header: header(true, 0xa, 5, 6, RFC6455_EXAMPLE_MASK_KEY),
    payload: HELLO,
  },
  binary256: {
    name: '256 bytes binary message in a single unmasked frame',
    source: 'RFC 6455 §5.7',
    wire: concatBytes(hex('0x82 0x7e 0x01 0x00'), BINARY_256),
    header: header(true, 0x2, 256, 4),
    payload: BINARY_256,
  },
  binary65536: {
    name: '64 KiB binary message in a single unmasked frame',
    source: 'RFC 6455 §5.7',
    wire: concatBytes(hex('0x82 0x7f 0x00 0x00 0x00 0x00 0x00 0x01 0x00 0x00'), BINARY_65536),
    header: header(true, 0x2, 65536, 10),
    payload: BINARY_65536,
  },
};

/** A payload length at an edge of the 7-bit / 16-bit / 64-bit encodings (RFC 6455 §5.2). */
export interface LengthEdgeVector {
  readonly payloadLength: number;
  /** The header of a final, unmasked binary frame of that length (minimal encoding). */
  readonly header: Uint8Array;
  /** The header of the same frame masked with key 0x37fa213d. */
  readonly maskedHeader: Uint8Array;
}

/**
 * Length encodings at their edges: 0, 125 (largest 7-bit), 126 (smallest 16-bit), 65535
 * (largest 16-bit), 65536 (smallest 64-bit), 2^32 and 2^53 - 1 (the largest length a
 * JavaScript parser accepts; the last two are for header tests only).
 */
export const LENGTH_EDGES: readonly LengthEdgeVector[] = [
  { payloadLength: 0, header: hex('82 00'), maskedHeader: hex('82 80 37fa213d') },
  { payloadLength: 125, header: hex('82 7d'), maskedHeader: hex('82 fd 37fa213d') },
  { payloadLength: 126, header: hex('82 7e 007e'), maskedHeader: hex('82 fe 007e 37fa213d') },
  { payloadLength: 65535, header: hex('82 7e ffff'), maskedHeader: hex('82 fe ffff 37fa213d') },
  {
    payloadLength: 65536,
    header: hex('82 7f 0000000000010000'),
    maskedHeader: hex('82 ff 0000000000010000 37fa213d'),
  },
  {
    payloadLength: 2 ** 32,
    header: hex('82 7f 0000000100000000'),
    maskedHeader: hex('82 ff 0000000100000000 37fa213d'),
  },
  {
    payloadLength: Number.MAX_SAFE_INTEGER,
    header: hex('82 7f 001fffffffffffff'),
    maskedHeader: hex('82 ff 001fffffffffffff 37fa213d'),
  },
];

/** A header a parser must reject, with the close code RFC 6455 §7.4 assigns. */
export interface InvalidHeaderVector {
  readonly name: string;
  /** The (complete) header bytes. */
  readonly bytes: Uint8Array;
  readonly closeCode: 1002;
}

/** Headers that break RFC 6455 §5.2 / §5.5: each must fail with 1002. */
export const INVALID_HEADERS: readonly InvalidHeaderVector[] = [
  ...[0x3, 0x4, 0x5, 0x6, 0x7].map(
    (op): InvalidHeaderVector => ({
      name: `reserved non-control opcode 0x${op.toString(16)}`,
      bytes: new Uint8Array([0x80 | op, 0x00]),
      closeCode: 1002,
    }),
  ),
  ...[0xb, 0xc, 0xd, 0xe, 0xf].map(
    (op): InvalidHeaderVector => ({
      name: `reserved control opcode 0x${op.toString(16)}`,
      bytes: new Uint8Array([0x80 | op, 0x00]),
      closeCode: 1002,
    }),
  ),
  { name: 'fragmented ping (FIN clear)', bytes: hex('09 00'), closeCode: 1002 },
  { name: 'fragmented close (FIN clear)', bytes: hex('08 02'), closeCode: 1002 },
  { name: 'ping with 126 bytes (16-bit length)', bytes: hex('89 7e 007e'), closeCode: 1002 },
  {
    name: 'pong with a 64-bit length',
    bytes: hex('8a 7f 0000000000000005'),
    closeCode: 1002,
  },
  { name: 'non-minimal 16-bit length (125)', bytes: hex('82 7e 007d'), closeCode: 1002 },
  { name: 'non-minimal 16-bit length (0)', bytes: hex('82 7e 0000'), closeCode: 1002 },
  {
    name: 'non-minimal 64-bit length (65535)',
    bytes: hex('82 7f 000000000000ffff'),
    closeCode: 1002,
  },
  { name: 'non-minimal 64-bit length (5)', bytes: hex('82 7f 0000000000000005'), closeCode: 1002 },
  {
    name: '64-bit length with the most significant bit set',
    bytes: hex('82 7f 8000000000000000'),
    closeCode: 1002,
  },
  {
    name: '64-bit length 2^53 (over 2^53 - 1)',
    bytes: hex('82 7f 0020000000000000'),
    closeCode: 1002,
  },
  { name: '64-bit length 2^64 - 1', bytes: hex('82 7f ffffffffffffffff'), closeCode: 1002 },
];
