/**
 * Frame headers of RFC 6455 §5.2: parsing (resumable, consumes nothing when short) and
 * writing (minimal length encodings only).
 */
import { CloseCode } from './close-codes.js';
import { ProtocolError } from './errors.js';
import { type MaskFunctions, maskedCopy, maskInto } from './mask.js';
import { Opcode } from './opcodes.js';

/** Below this length a byte loop copies a payload faster than `TypedArray.prototype.set`. */
const INLINE_COPY_MAX = 64;

/** The largest payload length a frame may announce: 2^53 - 1 (a safe JavaScript integer). */
export const MAX_FRAME_PAYLOAD_LENGTH: number = Number.MAX_SAFE_INTEGER;

/** A parsed frame header (RFC 6455 §5.2). */
export interface FrameHeader {
  /** FIN: this frame ends its message. */
  fin: boolean;
  /** The RSV bits as in the first byte: RSV1 0x40, RSV2 0x20, RSV3 0x10. */
  rsv: number;
  /** The opcode (0x0–0xF; reserved values are rejected by the parser). */
  opcode: number;
  /** Whether a masking key follows the length. */
  masked: boolean;
  /** The 4 key bytes read big-endian as an unsigned 32-bit integer; 0 if unmasked. */
  maskKey: number;
  /** The payload length, at most 2^53 - 1. */
  payloadLength: number;
  /** Bytes taken by the header itself: 2 to 14. */
  headerLength: number;
}

/** A fresh header object with every field set (one shape for V8). */
export function createFrameHeader(): FrameHeader {
  return {
    fin: false,
    rsv: 0,
    opcode: 0,
    masked: false,
    maskKey: 0,
    payloadLength: 0,
    headerLength: 0,
  };
}

/**
 * Parses one header from `bytes[offset..end)` into `out`. Shared by {@link parseHeader} and
 * the frame parser (which parses from a small stash without a subarray).
 * @internal
 */
export function readHeader(
  bytes: Uint8Array,
  offset: number,
  end: number,
  out: FrameHeader,
): FrameHeader | null {
  const available = end - offset;
  if (available < 2) return null;
  const b0 = bytes[offset]!;
  const b1 = bytes[offset + 1]!;
  const opcode = b0 & 0x0f;
  const fin = (b0 & 0x80) !== 0;
  let payloadLength = b1 & 0x7f;
  // Opcode rules need only the first two bytes: fail as early as possible.
  if (opcode > 0x7) {
    if (opcode > Opcode.Pong) {
      throw new ProtocolError(CloseCode.ProtocolError, `reserved opcode 0x${opcode.toString(16)}`);
    }
    if (!fin) throw new ProtocolError(CloseCode.ProtocolError, 'fragmented control frame');
    if (payloadLength > 125) {
      throw new ProtocolError(CloseCode.ProtocolError, 'control frame payload over 125 bytes');
    }
  } else if (opcode > Opcode.Binary) {
    throw new ProtocolError(CloseCode.ProtocolError, `reserved opcode 0x${opcode.toString(16)}`);
  }
  const masked = (b1 & 0x80) !== 0;
  let headerLength = masked ? 6 : 2;
  if (payloadLength === 126) {
    headerLength += 2;
    if (available < headerLength) return null;
    payloadLength = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (payloadLength < 126) {
      throw new ProtocolError(CloseCode.ProtocolError, 'non-minimal payload length encoding');
    }
  } else if (payloadLength === 127) {
    headerLength += 8;
    if (available < headerLength) return null;
    const high =
      ((bytes[offset + 2]! << 24) |
        (bytes[offset + 3]! << 16) |
        (bytes[offset + 4]! << 8) |
        bytes[offset + 5]!) >>>
      0;
    if (high > 0x1fffff) {
      throw new ProtocolError(
        CloseCode.ProtocolError,
        high > 0x7fffffff
          ? '64-bit payload length with the most significant bit set'
          : 'payload length over 2^53 - 1',
      );
    }
    const low =
      ((bytes[offset + 6]! << 24) |
        (bytes[offset + 7]! << 16) |
        (bytes[offset + 8]! << 8) |
        bytes[offset + 9]!) >>>
      0;
    payloadLength = high * 0x100000000 + low;
    if (payloadLength < 65536) {
      throw new ProtocolError(CloseCode.ProtocolError, 'non-minimal payload length encoding');
    }
  } else if (available < headerLength) {
    return null;
  }
  let maskKey = 0;
  if (masked) {
    const k = offset + headerLength - 4;
    maskKey =
      ((bytes[k]! << 24) | (bytes[k + 1]! << 16) | (bytes[k + 2]! << 8) | bytes[k + 3]!) >>> 0;
  }
  out.fin = fin;
  out.rsv = b0 & 0x70;
  out.opcode = opcode;
  out.masked = masked;
  out.maskKey = maskKey;
  out.payloadLength = payloadLength;
  out.headerLength = headerLength;
  return out;
}

/**
 * Parses the frame header at `bytes[offset]`.
 *
 * Returns `null` when the header is incomplete (nothing is consumed: call again with more
 * bytes from the same offset). Fills and returns `out` when given, so a parser can reuse one
 * object for every frame.
 *
 * RSV bits are reported, not judged: which are allowed depends on the negotiated extensions.
 *
 * @throws {@link ProtocolError} 1002 for a reserved opcode, a control frame with FIN clear or
 *   a payload over 125 bytes, a non-minimal length encoding, or a 64-bit length with the top
 *   bit set or over 2^53 - 1.
 */
export function parseHeader(
  bytes: Uint8Array,
  offset: number,
  out?: FrameHeader,
): FrameHeader | null {
  return readHeader(bytes, offset, bytes.length, out ?? createFrameHeader());
}

/** The header length (2 to 14 bytes) of a frame with this payload length. */
export function frameHeaderLength(payloadLength: number, masked: boolean): number {
  const base = payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Writes a frame header into `target` at `offset` with the minimal length encoding and
 * returns the number of bytes written ({@link frameHeaderLength}). The frame is masked
 * when `maskKey` (the 4 key bytes as a big-endian unsigned 32-bit integer) is given.
 *
 * @throws RangeError for an opcode outside 0–15, an `rsv` with bits outside 0x70, a
 *   payload length that is not an integer in 0 .. 2^53 - 1, a control frame that is not
 *   final or carries over 125 bytes, or a target too short for the header.
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  fin: boolean,
  rsv: number,
  opcode: number,
  payloadLength: number,
  maskKey?: number,
): number {
  if (!(opcode >= 0 && opcode <= 15 && (opcode | 0) === opcode)) {
    throw new RangeError(`invalid opcode ${opcode}`);
  }
  if ((rsv & ~0x70) !== 0) throw new RangeError(`invalid RSV bits 0x${rsv.toString(16)}`);
  if (!(payloadLength >= 0 && payloadLength <= MAX_FRAME_PAYLOAD_LENGTH)) {
    throw new RangeError(`invalid payload length ${payloadLength}`);
  }
  if (Math.floor(payloadLength) !== payloadLength) {
    throw new RangeError(`invalid payload length ${payloadLength}`);
  }
  if (opcode > 7 && (!fin || payloadLength > 125)) {
    throw new RangeError('a control frame must be final and carry at most 125 bytes');
  }
  const masked = maskKey !== undefined;
  const length = frameHeaderLength(payloadLength, masked);
  if (!(offset >= 0 && offset + length <= target.length)) {
    throw new RangeError('frame header does not fit in the target');
  }
  target[offset] = (fin ? 0x80 : 0) | rsv | opcode;
  const maskBit = masked ? 0x80 : 0;
  let k = offset + 2;
  if (payloadLength < 126) {
    target[offset + 1] = maskBit | payloadLength;
  } else if (payloadLength < 65536) {
    target[offset + 1] = maskBit | 126;
    target[offset + 2] = payloadLength >>> 8;
    target[offset + 3] = payloadLength & 0xff;
    k = offset + 4;
  } else {
    target[offset + 1] = maskBit | 127;
    const high = Math.floor(payloadLength / 0x100000000);
    const low = payloadLength >>> 0;
    target[offset + 2] = high >>> 24;
    target[offset + 3] = (high >>> 16) & 0xff;
    target[offset + 4] = (high >>> 8) & 0xff;
    target[offset + 5] = high & 0xff;
    target[offset + 6] = low >>> 24;
    target[offset + 7] = (low >>> 16) & 0xff;
    target[offset + 8] = (low >>> 8) & 0xff;
    target[offset + 9] = low & 0xff;
    k = offset + 10;
  }
  if (masked) {
    target[k] = maskKey >>> 24;
    target[k + 1] = (maskKey >>> 16) & 0xff;
    target[k + 2] = (maskKey >>> 8) & 0xff;
    target[k + 3] = maskKey & 0xff;
  }
  return length;
}

/**
 * Writes one whole frame into `target` at `offset`: the header with the minimal length
 * encoding, then the payload, copied as it is or, when `maskKey` is given, masked into place
 * in the same pass (with `masking` when given, see {@link MaskFunctions}). Returns the bytes
 * written: `frameHeaderLength(payload.length, maskKey !== undefined) + payload.length`.
 * This is the one place a frame's layout is written; output queues reserve room and call it.
 *
 * @throws RangeError as {@link writeFrameHeader} does, or when the frame does not fit.
 */
export function writeFrame(
  target: Uint8Array,
  offset: number,
  fin: boolean,
  rsv: number,
  opcode: number,
  payload: Uint8Array,
  maskKey?: number,
  masking?: MaskFunctions | null,
): number {
  const length = payload.length;
  if (
    length <= INLINE_COPY_MAX &&
    maskKey === undefined &&
    (opcode | 0) === opcode &&
    opcode >= 0 &&
    (opcode <= 7 || (opcode <= 15 && fin)) &&
    (rsv & ~0x70) === 0 &&
    offset >= 0 &&
    offset + 2 + length <= target.length
  ) {
    // The common small unmasked frame (the send hot path): the 2-byte header written here,
    // the payload copied by a byte loop. Anything else takes the checked general path.
    target[offset] = (fin ? 0x80 : 0) | rsv | opcode;
    target[offset + 1] = length;
    for (let i = 0; i < length; i++) target[offset + 2 + i] = payload[i]!;
    return 2 + length;
  }
  if (offset + frameHeaderLength(length, maskKey !== undefined) + length > target.length) {
    throw new RangeError('frame does not fit in the target');
  }
  const start = offset + writeFrameHeader(target, offset, fin, rsv, opcode, length, maskKey);
  if (maskKey !== undefined) {
    maskInto(payload, target, start, maskKey, 0, masking);
  } else if (length <= INLINE_COPY_MAX) {
    for (let i = 0; i < length; i++) target[start + i] = payload[i]!;
  } else {
    target.set(payload, start);
  }
  return start - offset + length;
}

/** A frame to encode with {@link encodeFrame}. */
export interface FrameToEncode {
  /** Default true. */
  fin?: boolean;
  /** RSV bits as in the first byte (RSV1 0x40 …); default 0. */
  rsv?: number;
  opcode: number;
  payload: Uint8Array;
  /** Mask with this key (big-endian 32-bit); the payload is masked into a copy. */
  maskKey?: number;
  /** A host masking implementation for this frame (see {@link MaskFunctions}). */
  masking?: MaskFunctions | null;
}

/**
 * Encodes one frame as `[header, payload]`, ready for a vectored write. Unmasked frames
 * return the caller's payload itself (no copy); masked frames return a masked copy.
 *
 * @throws RangeError as {@link writeFrameHeader} does.
 */
export function encodeFrame(frame: FrameToEncode): [header: Uint8Array, payload: Uint8Array] {
  const { payload, maskKey } = frame;
  const fin = frame.fin ?? true;
  const rsv = frame.rsv ?? 0;
  const header = new Uint8Array(frameHeaderLength(payload.length, maskKey !== undefined));
  writeFrameHeader(header, 0, fin, rsv, frame.opcode, payload.length, maskKey);
  if (maskKey === undefined) return [header, payload];
  return [header, maskedCopy(payload, maskKey, frame.masking)];
}
