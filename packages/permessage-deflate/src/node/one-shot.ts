/**
 * The one-shot pieces of permessage-deflate on node:zlib (RFC 7692 §7.2.1): the sync-flush
 * tail and its stripping, the zlib options of a one-shot compression, and compressing once
 * with a fresh context for many peers (`deflateFresh`). Used by the per-connection engine
 * (`engine.ts`) and by broadcasts (`PreparedMessage.frameFor` through `encodeShared`).
 */
import { constants, deflateRawSync, type ZlibOptions } from 'node:zlib';

const TRAILER: Uint8Array = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
function isTrailer(out: Uint8Array): boolean {
  const n = out.length;
  return (
    n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff
  );
}

/** Drops the `00 00 ff ff` a sync flush ends with; copies when a view would pin a much larger buffer. */
export function stripTrailer(out: Uint8Array): Uint8Array {
  const n = isTrailer(out) ? out.length - 4 : out.length;
  if (out.buffer.byteLength > 2 * n + 1024) return out.slice(0, n);
  return out.subarray(0, n);
}

/** `head` (may be null), then `last`, then the sync-flush tail, in one new array of `length` + 4 bytes. */
export function withTrailer(head: Uint8Array | null, last: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length + 4);
  let o = 0;
  if (head !== null) {
    out.set(head);
    o = head.length;
  }
  out.set(last, o);
  out.set(TRAILER, o + last.length);
  return out;
}

function ceilLog2(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}

export function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

/**
 * The zlib options of a one-shot compression of `size` bytes for a receiver window of
 * `outBits` (8: stored blocks only), primed with `dictionary` or with a fresh context.
 */
export function deflateOptions(
  size: number,
  outBits: number,
  level: number,
  memLevel: number,
  dictionary: Uint8Array | null,
): ZlibOptions {
  let windowBits = outBits;
  if (windowBits === 8) {
    // Compression forced with an 8-bit window: stored blocks reference nothing.
    windowBits = 9;
    level = 0;
  } else if (dictionary === null) {
    // A fresh context needs a window (and hash) only as large as the message: cheaper init.
    windowBits = Math.max(9, Math.min(windowBits, ceilLog2(size + 262)));
    memLevel = Math.max(1, Math.min(memLevel, windowBits - 6));
  }
  const options: ZlibOptions = {
    level,
    memLevel,
    windowBits,
    finishFlush: constants.Z_SYNC_FLUSH,
  };
  if (dictionary !== null) options.dictionary = dictionary;
  return options;
}

/** The message payload of an empty message (RFC 7692 §7.2.3.6: one empty stored block). */
export function emptyMessage(): Uint8Array {
  return new Uint8Array(1);
}

/** Options of {@link deflateFresh}. */
export interface FreshDeflateOptions {
  /**
   * The largest window the receivers accept (their `server_max_window_bits`, 15 if not
   * negotiated), 9..15; a smaller one is used for a small message.
   */
  windowBits: number;
  /** zlib level 0..9. Default 1. */
  level?: number;
  /** zlib memLevel 1..9. Default 8. */
  memLevel?: number;
}

/**
 * Compresses one message payload with a fresh context and without its trailing
 * `00 00 ff ff` (RFC 7692 §7.2.1): a message payload valid for every receiver that
 * negotiated `server_no_context_takeover` (§7.1.1.1) with at least `windowBits`, whatever
 * it received before — so one compression serves many peers (broadcast). Synchronous.
 * @throws RangeError for options out of range
 */
export function deflateFresh(data: Uint8Array, options: FreshDeflateOptions): Uint8Array {
  const level = options.level ?? 1;
  const memLevel = options.memLevel ?? 8;
  checkInteger('windowBits', options.windowBits, 9, 15);
  checkInteger('level', level, 0, 9);
  checkInteger('memLevel', memLevel, 1, 9);
  return freshDeflate(data, options.windowBits, level, memLevel);
}

export function freshDeflate(
  data: Uint8Array,
  windowBits: number,
  level: number,
  memLevel: number,
): Uint8Array {
  if (data.length === 0) return emptyMessage();
  return stripTrailer(
    deflateRawSync(data, deflateOptions(data.length, windowBits, level, memLevel, null)),
  );
}
