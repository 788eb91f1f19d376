/**
 * The permessage-deflate engine on node:zlib (RFC 7692 §7.2): one instance per connection,
 * implementing `@strata-ws/protocol`'s `MessageExtension`. It validates the options and joins
 * the two independent directions: {@link Encoder} (`encoder.ts`) compresses what we send,
 * {@link Decoder} (`decoder.ts`) inflates what the peer sends.
 *
 * Two memory modes:
 *
 * - `pooled` (default): a connection owns no zlib context of its own. Without context
 *   takeover it borrows a compressor or decompressor from a process-wide pool for one
 *   message. With our context takeover it keeps a compressor only while the process-wide
 *   {@link DeflateContextBudget} (bytes) allows: the least recently used connections give
 *   theirs back and compress their next message with a fresh context (always decodable by a
 *   peer that keeps its window). With the peer's context takeover the last window of its plain
 *   text is kept and primes each message's decompressor.
 * - `dedicated`: each direction keeps its own zlib stream for the connection's lifetime, as
 *   `ws` does. About 300 KB per compressing connection.
 */

import type { MessageExtension, RsvBit, TransformCallback } from '@strata-ws/protocol';
import type { DeflateAgreement } from '../params.js';
import { type DeflateContextBudget, sharedContextBudget } from './context-budget.js';
import { Decoder } from './decoder.js';
import { Encoder } from './encoder.js';
import { MAX_OUTPUT } from './errors.js';
import { sharedZlibLimiter, type ZlibLimiter } from './limiter.js';
import { checkInteger, freshDeflate } from './one-shot.js';

/** How zlib contexts are held; see the module comment and the README for the trade-offs. */
export type DeflateMemoryMode = 'pooled' | 'dedicated';

/** Engine options (runtime behaviour; what was negotiated comes from the agreement). */
export interface DeflateEngineOptions {
  /** `pooled` (default): no zlib context per connection; `dedicated`: one per direction, kept. */
  memoryMode?: DeflateMemoryMode;
  /**
   * zlib level 0..9 of a message compressed with a fresh context (no context takeover, or no
   * kept context available). Default 1: about twice as fast as 6 for a few percent of size.
   */
  level?: number;
  /**
   * zlib level 0..9 of a kept compressor (context takeover): default 6, `ws`'s level, whose
   * compressed sizes it matches (level 1 finds a repeated 16 KiB document only in part).
   */
  takeoverLevel?: number;
  /**
   * Kept compressors at `takeoverLevel` 5..9 use one level less while the connection's
   * messages compress to more than 1/8 of their size (dissimilar documents: level 6 costs ~65%
   * more CPU than 5 there for ~6% fewer bytes), and `takeoverLevel` on repetitive traffic,
   * where it is cheap and gains the most. Default `true`.
   */
  adaptiveLevel?: boolean;
  /** zlib memLevel 1..9 (hash table and block buffer size). Default 8. */
  memLevel?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /**
   * `pooled` mode: messages up to this many bytes (plain text) are processed synchronously on
   * the calling thread (on a kept or pooled zlib stream: no thread-pool round trip, no new
   * stream per message); larger ones on the thread pool, where they neither block the event
   * loop nor hold up other connections. Default 32768 (32 KiB: at most about 0.6 ms of level-6
   * compression). 0: always the thread pool.
   */
  syncLimit?: number;
  /** The concurrency limiter for thread-pool jobs. Default: {@link sharedZlibLimiter}(). */
  limiter?: ZlibLimiter;
  /**
   * The byte budget for kept compressors (context takeover), shared by the connections given
   * it. Default: {@link sharedContextBudget}() (process-wide, 8 MiB).
   */
  contextBudget?: DeflateContextBudget;
}

/**
 * One connection's permessage-deflate transform (RSV1), built from a negotiated
 * {@link DeflateAgreement}. See the module comment for the memory modes.
 */
export class PerMessageDeflate implements MessageExtension {
  /** `permessage-deflate`. */
  readonly name: string = 'permessage-deflate';
  /** RSV1 (RFC 7692 §6). */
  readonly rsvBit: RsvBit = 0x40;

  readonly #outBits: number; // window we compress with (8 = we never compress)
  readonly #level: number;
  readonly #memLevel: number;
  readonly #threshold: number;
  readonly #encoder: Encoder;
  readonly #decoder: Decoder;
  readonly #sharedKey: number;
  #disposed = false;

  /**
   * Non-zero when a fresh-context compression ({@link PerMessageDeflate.encodeShared}) may be
   * sent on this connection: we compress with a window of 9..15 bits. A peer decodes such a
   * message whatever it received before, with or without context takeover (it references
   * nothing outside itself). Equal keys mean byte-identical output (window, level and memLevel
   * are in it), so one compression serves every connection with the key.
   *
   * Reading it tells the engine that a shared frame may follow (this is how
   * `PreparedMessage.frameFor` uses it): with context takeover, the next message resets the
   * kept compressor, whose window would otherwise be out of step with the peer's.
   */
  get sharedEncodingKey(): number {
    if (this.#sharedKey !== 0) this.#encoder.foreignMessage();
    return this.#sharedKey;
  }

  /**
   * @param agreement - the negotiated parameters (from the negotiators of the `.` entry point)
   * @param options - memory mode, levels, threshold, limiter, context budget
   * @throws RangeError naming the option, for options out of range
   */
  constructor(agreement: DeflateAgreement, options: DeflateEngineOptions = {}) {
    const server = agreement.role === 'server';
    const outBits = server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits;
    const outTakeover = !(server
      ? agreement.serverNoContextTakeover
      : agreement.clientNoContextTakeover);
    const inBits = server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits;
    const inTakeover = !(server
      ? agreement.clientNoContextTakeover
      : agreement.serverNoContextTakeover);
    checkInteger('window bits', outBits, 8, 15);
    checkInteger('window bits', inBits, 8, 15);
    this.#outBits = outBits;

    const mode = options.memoryMode ?? 'pooled';
    if (mode !== 'pooled' && mode !== 'dedicated') {
      throw new RangeError(`memoryMode must be 'pooled' or 'dedicated', got ${String(mode)}`);
    }
    const dedicated = mode === 'dedicated';
    this.#level = options.level ?? 1;
    checkInteger('level', this.#level, 0, 9);
    const takeoverLevel = options.takeoverLevel ?? 6;
    checkInteger('takeoverLevel', takeoverLevel, 0, 9);
    const adaptiveLevel = options.adaptiveLevel ?? true;
    if (typeof adaptiveLevel !== 'boolean') {
      throw new TypeError(`adaptiveLevel must be a boolean, got ${String(adaptiveLevel)}`);
    }
    this.#memLevel = options.memLevel ?? 8;
    checkInteger('memLevel', this.#memLevel, 1, 9);
    this.#threshold = options.threshold ?? 1024;
    checkInteger('threshold', this.#threshold, 0, Number.MAX_SAFE_INTEGER);
    const syncLimit = options.syncLimit ?? 32 * 1024;
    checkInteger('syncLimit', syncLimit, 0, MAX_OUTPUT);
    const limiter: ZlibLimiter = options.limiter ?? sharedZlibLimiter();
    const budget: DeflateContextBudget = options.contextBudget ?? sharedContextBudget();
    // A client masks every frame with its own key: it never sends a shared frame.
    this.#sharedKey =
      !server || outBits < 9 ? 0 : outBits | (this.#level << 4) | (this.#memLevel << 8);
    this.#encoder = new Encoder({
      bits: outBits,
      takeover: outTakeover,
      level: this.#level,
      takeoverLevel,
      adaptiveLevel,
      memLevel: this.#memLevel,
      syncLimit,
      dedicated,
      limiter,
      budget,
    });
    this.#decoder = new Decoder({
      takeover: inTakeover,
      // zlib-based peers silently widen an 8-bit window to 9: keep enough history for that.
      historyCap: 1 << Math.max(inBits, 9),
      syncLimit,
      dedicated,
      limiter,
    });
  }

  /**
   * Compresses a message for every connection with this {@link PerMessageDeflate.sharedEncodingKey}
   * (a fresh context, trailer stripped; see {@link deflateFresh}). Synchronous; does not
   * touch this connection's state.
   * @throws Error when this connection has no shared encoding (key 0)
   */
  encodeShared(data: Uint8Array): Uint8Array {
    if (this.#sharedKey === 0) throw new Error('a client, or an 8-bit window: no shared encoding');
    return freshDeflate(data, this.#outBits, this.#level, this.#memLevel);
  }

  /**
   * Bytes this connection holds between messages outside zlib: the peer's plain-text history
   * kept for its context takeover, buffered compressed fragments, and the copy of a repeated
   * message kept to recognise it (at most 64 KiB). Kept compressors are
   * counted by their {@link DeflateContextBudget}; dedicated zlib contexts are not counted
   * (about 300 KB for a compressor, 40 KB for a decompressor).
   */
  get retainedBytes(): number {
    return this.#decoder.retainedBytes + this.#encoder.retainedBytes;
  }

  /** Messages sent so far compressed with a kept context (context takeover). */
  get keptContextMessages(): number {
    return this.#encoder.keptContextMessages;
  }

  /**
   * Of {@link keptContextMessages}, those sent as the bytes of an earlier compression of the
   * same message, without zlib (a message repeated in a kept context).
   */
  get repeatedMessages(): number {
    return this.#encoder.repeatedMessages;
  }

  /** {@inheritDoc MessageExtension.shouldEncode} */
  shouldEncode(size: number, _isBinary: boolean): boolean {
    // With an 8-bit window we keep the promise by not compressing at all.
    return size >= this.#threshold && this.#outBits > 8 && !this.#disposed;
  }

  /** {@inheritDoc MessageExtension.encode} */
  encode(data: Uint8Array, callback: TransformCallback): void {
    this.#encoder.encode(data, callback);
  }

  /** {@inheritDoc MessageExtension.decode} */
  decode(data: Uint8Array, fin: boolean, maxSize: number, callback: TransformCallback): void {
    this.#decoder.decode(data, fin, maxSize, callback);
  }

  /** {@inheritDoc MessageExtension.dispose} */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#encoder.dispose();
    this.#decoder.dispose();
  }
}

/**
 * Builds one connection's permessage-deflate extension for `@strata-ws/protocol`.
 * @param agreement - what the handshake negotiated (`PerMessageDeflateServer.select` /
 *   `PerMessageDeflateClient.agreement`)
 * @param options - memory mode, level, threshold, limiter (see {@link DeflateEngineOptions})
 */
export function createPerMessageDeflate(
  agreement: DeflateAgreement,
  options?: DeflateEngineOptions,
): PerMessageDeflate {
  return new PerMessageDeflate(agreement, options);
}
