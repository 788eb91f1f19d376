/**
 * A message framed once and written to many sockets: the heart of `publish`. The frame
 * bytes are built once per message (and compressed once per window size, see
 * {@link MessagePreparer}); every subscriber then queues the same bytes.
 */
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { frameHeaderLength, Opcode, writeFrameHeader } from '@strata-ws/codec';

/** The RSV1 bit that marks a permessage-deflate compressed message (RFC 7692 §6). */
const RSV1 = 0x40;

/** Data a message can be made of: text (a string) or bytes. */
export type MessageData = string | ArrayBuffer | ArrayBufferView;

/**
 * One complete, unmasked, final frame whose bytes are shared by every connection it is
 * written to. Never mutate {@link PreparedFrame.bytes}.
 */
export interface PreparedFrame {
  /** Header and payload in one contiguous buffer, ready for a (vectored) write. */
  readonly bytes: Uint8Array;
  /** Whether the payload is permessage-deflate compressed (RSV1 set). */
  readonly compressed: boolean;
  /** The message payload before compression (for a connection that must frame it itself). */
  readonly data: Uint8Array;
  /** Binary (opcode 2) or text (opcode 1). */
  readonly isBinary: boolean;
}

/** Options of {@link MessagePreparer}. */
export interface MessagePreparerOptions {
  /** zlib compression level for shared compressed frames (0-9). Default 1 (fastest). */
  level?: number;
  /** zlib memLevel (1-9). Default 8. */
  memLevel?: number;
  /**
   * Messages shorter than this many bytes are not compressed unless `compress: true` is
   * asked for explicitly. Default 1024.
   */
  threshold?: number;
}

/** Turns message data into payload bytes: UTF-8 for strings, a view (no copy) otherwise. */
export function toPayload(data: MessageData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('message data must be a string, an ArrayBuffer or an ArrayBufferView');
}

/**
 * Frames `payload` as one unmasked final frame in one new buffer (the payload is copied
 * once, so the caller may reuse its buffer as soon as this returns).
 */
export function frameOnce(payload: Uint8Array, isBinary: boolean, rsv: number): Uint8Array {
  const headerLength = frameHeaderLength(payload.length, false);
  const bytes = Buffer.allocUnsafe(headerLength + payload.length);
  writeFrameHeader(bytes, 0, true, rsv, isBinary ? Opcode.Binary : Opcode.Text, payload.length);
  bytes.set(payload, headerLength);
  return bytes;
}

/** The four bytes a sync flush appends, which RFC 7692 §7.2.1 strips from each message. */
function endsWithSyncFlushTail(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return (
    n >= 4 &&
    bytes[n - 4] === 0x00 &&
    bytes[n - 3] === 0x00 &&
    bytes[n - 2] === 0xff &&
    bytes[n - 1] === 0xff
  );
}

/**
 * Compresses one message with a fresh deflate context (no context takeover, RFC 7692
 * §7.1.1.1), so the same bytes can be sent to every peer that agreed to
 * `server_no_context_takeover`, whatever it received before.
 */
export function deflateMessage(
  payload: Uint8Array,
  windowBits: number,
  level: number,
  memLevel: number,
): Uint8Array {
  const out = deflateRawSync(payload, {
    windowBits,
    level,
    memLevel,
    finishFlush: zlibConstants.Z_SYNC_FLUSH,
  });
  // A sync flush ends with 00 00 ff ff: drop it (§7.2.1). An empty message still yields the
  // single byte 0x00 (an empty stored block), which is what §7.2.3.6 recommends.
  return endsWithSyncFlushTail(out) ? out.subarray(0, out.length - 4) : out;
}

/**
 * Prepares one message for many connections: the uncompressed frame at most once and the
 * compressed frame at most once per window size, both lazily, only if some receiver wants
 * that form. One instance serves one message; create it with {@link MessagePreparer.reset}.
 */
export class MessagePreparer {
  readonly #level: number;
  readonly #memLevel: number;
  readonly #threshold: number;
  #payload: Uint8Array = new Uint8Array(0);
  #isBinary = false;
  #compress: boolean | undefined;
  #plain: PreparedFrame | null = null;
  /** Compressed frames by window bits (index 9..15), null when not built (yet). */
  readonly #compressed: (PreparedFrame | null)[] = [];

  constructor(options: MessagePreparerOptions = {}) {
    this.#level = options.level ?? 1;
    this.#memLevel = options.memLevel ?? 8;
    this.#threshold = options.threshold ?? 1024;
    if (!(this.#level >= 0 && this.#level <= 9)) throw new RangeError('level must be 0-9');
    if (!(this.#memLevel >= 1 && this.#memLevel <= 9)) throw new RangeError('memLevel must be 1-9');
    if (!(this.#threshold >= 0)) throw new RangeError('threshold must be >= 0');
  }

  /**
   * Starts a new message. `compress`: true to compress for every receiver that allows a
   * shared compressed frame, false never, undefined when at least `threshold` bytes long.
   */
  reset(payload: Uint8Array, isBinary: boolean, compress: boolean | undefined): void {
    this.#payload = payload;
    this.#isBinary = isBinary;
    this.#compress = compress;
    this.#plain = null;
    this.#compressed.length = 0;
  }

  /** Whether this message should be compressed for receivers that can take it. */
  get wantsCompression(): boolean {
    return this.#compress ?? this.#payload.length >= this.#threshold;
  }

  /**
   * The frame for a receiver that accepts shared compressed frames with this window size
   * (0 or less than 9: it does not), built on first use.
   */
  frameFor(sharedDeflateWindowBits: number): PreparedFrame {
    if (sharedDeflateWindowBits >= 9 && sharedDeflateWindowBits <= 15 && this.wantsCompression) {
      let frame = this.#compressed[sharedDeflateWindowBits];
      if (frame == null) {
        const compressed = deflateMessage(
          this.#payload,
          sharedDeflateWindowBits,
          this.#level,
          this.#memLevel,
        );
        frame = {
          bytes: frameOnce(compressed, this.#isBinary, RSV1),
          compressed: true,
          // The uncompressed payload, from the plain frame's own copy (never the caller's).
          data: this.frameFor(0).data,
          isBinary: this.#isBinary,
        };
        this.#compressed[sharedDeflateWindowBits] = frame;
      }
      return frame;
    }
    let plain = this.#plain;
    if (plain === null) {
      const bytes = frameOnce(this.#payload, this.#isBinary, 0);
      plain = {
        bytes,
        compressed: false,
        // The frame owns a copy of the payload: hand that out, never the caller's buffer.
        data: bytes.subarray(bytes.length - this.#payload.length),
        isBinary: this.#isBinary,
      };
      this.#plain = plain;
    }
    return plain;
  }

  /** Drops the references to the message (so a long-lived preparer keeps no payload alive). */
  clear(): void {
    this.#payload = new Uint8Array(0);
    this.#plain = null;
    this.#compressed.length = 0;
  }
}
