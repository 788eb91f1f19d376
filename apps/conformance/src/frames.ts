/**
 * The fuzzer's own frame writer and reader (RFC 6455 §5.2). Deliberately independent of
 * `@strata-ws/codec`: a test oracle must not share code with the implementation it judges, and
 * it must be able to write what the codec refuses to write (bad lengths, reserved opcodes,
 * oversized control frames, wrong masking).
 */
import { randomBytes } from 'node:crypto';

/** Opcodes by name. */
export const Op = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** One frame to write; `payload` strings are UTF-8. */
export interface FrameSpec {
  op: number;
  payload?: Uint8Array | string;
  /** Default true. */
  fin?: boolean;
  /** RSV bits as in the first byte (RSV1 0x40, RSV2 0x20, RSV3 0x10). */
  rsv?: number;
  /** Override the masking the role implies. */
  masked?: boolean;
  /** Write the length in this form even if not minimal (7 = 7-bit, 16, 64). */
  lengthForm?: 7 | 16 | 64;
  /** Write only a header announcing this 64-bit length (no payload follows). */
  declaredLength?: bigint;
}

/** Bytes of a payload given as text or bytes. */
export function bytesOf(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}

/** Encodes one frame; masked with a random key when `masked` (the client role). */
export function encodeFrame(spec: FrameSpec, masked: boolean): Buffer {
  const payload = bytesOf(spec.payload);
  const mask = spec.masked ?? masked;
  if (spec.declaredLength !== undefined) {
    const out = Buffer.alloc(mask ? 14 : 10);
    out[0] = (spec.fin === false ? 0 : 0x80) | ((spec.rsv ?? 0) & 0x70) | (spec.op & 0x0f);
    out[1] = 127 | (mask ? 0x80 : 0);
    out.writeBigUInt64BE(spec.declaredLength, 2);
    if (mask) randomBytes(4).copy(out, 10);
    return out;
  }
  const length = payload.length;
  const form = spec.lengthForm ?? (length < 126 ? 7 : length < 65536 ? 16 : 64);
  const headerLength = 2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (mask ? 4 : 0);
  const out = Buffer.allocUnsafe(headerLength + length);
  out[0] = (spec.fin === false ? 0 : 0x80) | ((spec.rsv ?? 0) & 0x70) | (spec.op & 0x0f);
  let offset = 2;
  if (form === 7) out[1] = length;
  else if (form === 16) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
    offset = 4;
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(length), 2);
    offset = 10;
  }
  if (mask) {
    out[1] = (out[1] as number) | 0x80;
    const key = randomBytes(4);
    key.copy(out, offset);
    offset += 4;
    for (let i = 0; i < length; i++)
      out[offset + i] = (payload[i] as number) ^ (key[i & 3] as number);
  } else payload.copy(out, offset);
  return out;
}

/** A close frame's payload: code and reason (no code: empty payload). */
export function closePayload(code?: number, reason = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const text = Buffer.from(reason, 'utf8');
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}

/** One frame as read from the peer. */
export interface ReadFrame {
  fin: boolean;
  rsv: number;
  op: number;
  masked: boolean;
  payload: Buffer;
}

/**
 * Incremental reader of the peer's frames. It accepts anything structurally parsable and
 * leaves judging (masking, RSV, control frame rules) to the caller, so that a violation is
 * reported with its reason rather than as a parse error.
 */
export class FrameReader {
  private buffered: Buffer[] = [];
  private length = 0;

  /** Appends bytes; returns the frames completed by them. */
  push(chunk: Buffer): ReadFrame[] {
    this.buffered.push(chunk);
    this.length += chunk.length;
    const frames: ReadFrame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  private next(): ReadFrame | null {
    if (this.length < 2) return null;
    if (this.buffered.length > 1) this.buffered = [Buffer.concat(this.buffered)];
    const data = this.buffered[0] as Buffer;
    const b0 = data[0] as number;
    const b1 = data[1] as number;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (data.length < 4) return null;
      length = data.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (data.length < 10) return null;
      length = Number(data.readBigUInt64BE(2));
      offset = 10;
    }
    const keyOffset = offset;
    if (masked) offset += 4;
    if (data.length < offset + length) return null;
    const payload = Buffer.from(data.subarray(offset, offset + length));
    if (masked) {
      for (let i = 0; i < length; i++)
        payload[i] = (payload[i] as number) ^ (data[keyOffset + (i & 3)] as number);
    }
    const rest = data.subarray(offset + length);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return { fin: (b0 & 0x80) !== 0, rsv: b0 & 0x70, op: b0 & 0x0f, masked, payload };
  }
}
