/**
 * The bus envelope: one published message as bytes, for any transport between processes
 * (node:cluster IPC, Redis pub/sub, Redis Streams). It carries what every process needs to
 * deliver the message exactly as the publishing process did — topic, binary or text, the
 * publisher's compression choice, the origin process (so a process can drop its own
 * messages), the publish time (bus latency) — followed by the payload bytes unchanged: no
 * JSON, no base64, one copy of the payload when encoding and none when decoding.
 *
 * Layout (all integers little-endian):
 *
 * | bytes | field                                                                   |
 * | ----- | ----------------------------------------------------------------------- |
 * | 1     | version (1)                                                             |
 * | 1     | flags: bit 0 binary; bits 1-2 compress (0 default, 1 false, 2 true)     |
 * | 8     | publish time, float64 milliseconds since the Unix epoch (sub-ms)       |
 * | 1     | origin id length `o` (1-255), then `o` bytes of origin id (ASCII)       |
 * | 2     | topic length `t` in UTF-8 bytes (0-65535), then `t` bytes of topic      |
 * | rest  | payload                                                                 |
 *
 * The excluded sender of a connection's `publish(..., { excludeSelf: true })` is a connection
 * of the origin process: the origin applies it when it delivers locally, and no other process
 * holds that connection, so the envelope needs no field for it.
 */
import type { PubSubMessage } from '@strata-ws/server';

/** The envelope format version this package writes and reads. */
export const ENVELOPE_VERSION = 1;

const FLAG_BINARY = 0x01;
const COMPRESS_SHIFT = 1;
const FIXED_HEADER = 1 + 1 + 8 + 1 + 2;

/** A decoded envelope. `message.data` is a view of the envelope's bytes (not copied). */
export interface Envelope {
  /** The id of the process that published the message. */
  readonly origin: string;
  /** The topic it was published on. */
  readonly topic: string;
  /** When it was published (ms since the epoch, sub-millisecond, the origin's clock). */
  readonly sentAt: number;
  /** The message to deliver. */
  readonly message: PubSubMessage;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The current time in ms since the epoch with sub-millisecond precision. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Checks a process id for use as an envelope origin; throws a `RangeError` naming it. */
export function checkOrigin(origin: string): string {
  if (typeof origin !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(origin)) {
    throw new RangeError(`nodeId must be 1-255 printable ASCII characters, got ${String(origin)}`);
  }
  return origin;
}

/**
 * Encodes `message` published on `topic` by process `origin` into one byte array (the
 * payload copied once, behind a header of 13 bytes plus the origin id and topic).
 * Throws `RangeError` for a topic over 65535 UTF-8 bytes or a bad origin id.
 */
export function encodeEnvelope(
  origin: string,
  topic: string,
  message: PubSubMessage,
  sentAt: number = preciseNow(),
): Uint8Array {
  const topicBytes = encoder.encode(topic);
  if (topicBytes.length > 0xffff) {
    throw new RangeError(
      `topic is ${topicBytes.length} UTF-8 bytes; the bus carries at most 65535`,
    );
  }
  const originLength = origin.length;
  const headerLength = FIXED_HEADER + originLength + topicBytes.length;
  const out = new Uint8Array(headerLength + message.data.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const compress = message.compress === undefined ? 0 : message.compress ? 2 : 1;
  out[0] = ENVELOPE_VERSION;
  out[1] = (message.isBinary ? FLAG_BINARY : 0) | (compress << COMPRESS_SHIFT);
  view.setFloat64(2, sentAt, true);
  out[10] = originLength;
  let offset = 11;
  for (let i = 0; i < originLength; i++) out[offset++] = origin.charCodeAt(i);
  view.setUint16(offset, topicBytes.length, true);
  offset += 2;
  out.set(topicBytes, offset);
  out.set(message.data, headerLength);
  return out;
}

/**
 * Decodes an envelope. Returns `null` for bytes that are not a version-1 envelope (a
 * foreign publisher on the same channel, a truncated message): the bus drops and counts
 * them rather than failing.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope | null {
  if (bytes.length < FIXED_HEADER || bytes[0] !== ENVELOPE_VERSION) return null;
  const flags = bytes[1] as number;
  const compressBits = (flags >> COMPRESS_SHIFT) & 0x03;
  if (compressBits === 3 || flags & ~0x07) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sentAt = view.getFloat64(2, true);
  const originLength = bytes[10] as number;
  let offset = 11;
  if (originLength === 0 || offset + originLength + 2 > bytes.length) return null;
  let origin = '';
  for (let i = 0; i < originLength; i++) origin += String.fromCharCode(bytes[offset++] as number);
  const topicLength = view.getUint16(offset, true);
  offset += 2;
  if (offset + topicLength > bytes.length) return null;
  let topic: string;
  try {
    topic = decoder.decode(bytes.subarray(offset, offset + topicLength));
  } catch {
    return null;
  }
  offset += topicLength;
  return {
    origin,
    topic,
    sentAt,
    message: {
      data: bytes.subarray(offset),
      isBinary: (flags & FLAG_BINARY) !== 0,
      compress: compressBits === 0 ? undefined : compressBits === 2,
    },
  };
}
