/**
 * The permessage-deflate engine on node:zlib (RFC 7692 §7.2): one instance per connection,
 * implementing `@strata-ws/protocol`'s `MessageExtension`.
 *
 * Two memory modes:
 *
 * - `pooled` (default): a connection owns no zlib context. A direction without context
 *   takeover borrows a compressor or decompressor from a process-wide pool for one message
 *   (it is reset and returned right after). A direction with context takeover keeps only the
 *   last 2^windowBits bytes of plain text and primes a fresh context with them (as its preset
 *   dictionary, which is exactly the window the peer's context holds) for each message; the
 *   context is freed when the message is done.
 * - `dedicated`: each direction keeps its own zlib stream for the connection's lifetime, as
 *   `ws` does. About 300 KB per compressing connection; no re-priming per message.
 *
 * Thread-pool work goes through the process-wide {@link ZlibLimiter}. Messages up to
 * `syncLimit` bytes are processed synchronously instead (one native call, no round trip),
 * which is cheaper for small messages.
 */

import { constants, deflateRawSync, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { CloseCode, ProtocolError } from '@strata-ws/codec';
import type { MessageExtension, RsvBit, TransformCallback } from '@strata-ws/protocol';
import type { DeflateAgreement } from '../params.js';
import { sharedZlibLimiter, type ZlibLimiter } from './limiter.js';
import {
  checkInteger,
  deflateOptions,
  emptyMessage,
  freshDeflate,
  stripTrailer,
  withTrailer,
} from './one-shot.js';
import {
  createDeflateStream,
  createInflateStream,
  deflatePool,
  inflatePoolFor,
  type StreamPool,
  type ZlibStream,
} from './zlib-stream.js';

/** How zlib contexts are held; see the module comment and the README for the trade-offs. */
export type DeflateMemoryMode = 'pooled' | 'dedicated';

/** Engine options (runtime behaviour; what was negotiated comes from the agreement). */
export interface DeflateEngineOptions {
  /** `pooled` (default): no zlib context per connection; `dedicated`: one per direction, kept. */
  memoryMode?: DeflateMemoryMode;
  /** zlib compression level 0..9. Default 1 (fastest; JSON shrinks nearly as well as at 6). */
  level?: number;
  /** zlib memLevel 1..9 (hash table and block buffer size). Default 8. */
  memLevel?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /**
   * `pooled` mode: messages up to this many bytes (plain text) are processed synchronously on
   * the calling thread; larger ones on the thread pool. Default 4096. 0: always the thread pool.
   */
  syncLimit?: number;
  /** The concurrency limiter for thread-pool jobs. Default: {@link sharedZlibLimiter}(). */
  limiter?: ZlibLimiter;
}

const EMPTY = new Uint8Array(0);
const MAX_OUTPUT = 2 ** 31 - 1;

/** A right-sized copy unless `out` already owns its buffer (decompressed messages go to users). */
function ownBuffer(out: Uint8Array): Uint8Array {
  return out.byteOffset === 0 && out.buffer.byteLength === out.length ? out : out.slice();
}

/** The last `cap` bytes of `history` followed by `data`, as a new array. */
function appendHistory(history: Uint8Array | null, data: Uint8Array, cap: number): Uint8Array {
  const n = data.length;
  if (n >= cap) return data.slice(n - cap);
  const keep = history === null ? 0 : Math.min(history.length, cap - n);
  const out = new Uint8Array(keep + n);
  if (history !== null && keep > 0) out.set(history.subarray(history.length - keep));
  out.set(data, keep);
  return out;
}

function tooBig(limit: number): ProtocolError {
  return new ProtocolError(CloseCode.MessageTooBig, `Decompressed message exceeds ${limit} bytes`);
}

function invalidData(error: unknown): ProtocolError {
  const message = error instanceof Error ? error.message : String(error);
  return new ProtocolError(CloseCode.InvalidPayloadData, `Invalid compressed data: ${message}`, {
    cause: error,
  });
}

function compressionFailed(error: unknown): ProtocolError {
  return new ProtocolError(CloseCode.InternalError, 'Compression failed', { cause: error });
}

function isTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

const disposedError = (): Error => new Error('permessage-deflate extension disposed');

interface QueuedEncode {
  data: Uint8Array;
  callback: TransformCallback;
}
interface QueuedDecode {
  data: Uint8Array;
  fin: boolean;
  maxSize: number;
  callback: TransformCallback;
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
  readonly #outTakeover: boolean;
  readonly #inHistoryCap: number; // bytes of peer history kept with context takeover
  readonly #inTakeover: boolean;
  readonly #level: number;
  readonly #memLevel: number;
  readonly #threshold: number;
  readonly #syncLimit: number;
  readonly #dedicated: boolean;
  readonly #limiter: ZlibLimiter;
  /**
   * Non-zero when a fresh-context compression ({@link PerMessageDeflate.encodeShared}) is
   * valid for this connection whatever it received before: we compress without context
   * takeover with a window of 9..15 bits. Equal keys mean byte-identical output (window,
   * level and memLevel are in it), so one compression serves every connection with the key.
   */
  readonly sharedEncodingKey: number;

  #disposed = false;
  // Context takeover in pooled mode: the plain text the peer's context holds.
  #outHistory: Uint8Array | null = null;
  #inHistory: Uint8Array | null = null;
  // Fragments of an incoming compressed message (pooled mode), inflated at FIN: gathered into
  // one buffer that doubles as needed, so a fragment costs its bytes (no record per fragment).
  #inFragments: Uint8Array | null = null;
  #inFragmentsLength = 0;
  // One job per direction at a time; more are queued (the protocol engine never sends more).
  #encodeBusy = false;
  #decodeBusy = false;
  #encodeQueue: QueuedEncode[] | null = null;
  #decodeQueue: QueuedDecode[] | null = null;
  // The callbacks of the running jobs, so that dispose() can fail them.
  #encodeCallback: TransformCallback | null = null;
  #decodeCallback: TransformCallback | null = null;
  // Streams owned by this connection (dedicated mode, or a primed stream of a large message).
  #deflater: ZlibStream | null = null;
  #inflater: ZlibStream | null = null;

  /**
   * @param agreement - the negotiated parameters (from the negotiators of the `.` entry point)
   * @param options - memory mode, level, threshold, limiter
   * @throws RangeError for options out of range
   */
  constructor(agreement: DeflateAgreement, options: DeflateEngineOptions = {}) {
    const server = agreement.role === 'server';
    this.#outBits = server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits;
    this.#outTakeover = !(server
      ? agreement.serverNoContextTakeover
      : agreement.clientNoContextTakeover);
    const inBits = server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits;
    // zlib-based peers silently widen an 8-bit window to 9: keep enough history for that.
    this.#inHistoryCap = 1 << Math.max(inBits, 9);
    this.#inTakeover = !(server
      ? agreement.clientNoContextTakeover
      : agreement.serverNoContextTakeover);
    checkInteger('window bits', this.#outBits, 8, 15);
    checkInteger('window bits', inBits, 8, 15);

    const mode = options.memoryMode ?? 'pooled';
    if (mode !== 'pooled' && mode !== 'dedicated') {
      throw new RangeError(`memoryMode must be 'pooled' or 'dedicated', got ${String(mode)}`);
    }
    this.#dedicated = mode === 'dedicated';
    this.#level = options.level ?? 1;
    checkInteger('level', this.#level, 0, 9);
    this.#memLevel = options.memLevel ?? 8;
    checkInteger('memLevel', this.#memLevel, 1, 9);
    this.#threshold = options.threshold ?? 1024;
    checkInteger('threshold', this.#threshold, 0, Number.MAX_SAFE_INTEGER);
    this.#syncLimit = options.syncLimit ?? 4096;
    checkInteger('syncLimit', this.#syncLimit, 0, MAX_OUTPUT);
    this.#limiter = options.limiter ?? sharedZlibLimiter();
    this.sharedEncodingKey =
      this.#outTakeover || this.#outBits < 9
        ? 0
        : this.#outBits | (this.#level << 4) | (this.#memLevel << 8);
  }

  /**
   * Compresses a message for every connection with this {@link PerMessageDeflate.sharedEncodingKey}
   * (a fresh context, trailer stripped; see {@link deflateFresh}). Synchronous; does not
   * touch this connection's state.
   * @throws Error when this connection has no shared encoding (key 0)
   */
  encodeShared(data: Uint8Array): Uint8Array {
    if (this.sharedEncodingKey === 0)
      throw new Error('this connection compresses with context takeover: no shared encoding');
    return freshDeflate(data, this.#outBits, this.#level, this.#memLevel);
  }

  /**
   * Bytes this connection holds between messages for compression: plain-text history kept
   * for context takeover and buffered compressed fragments (pooled mode). Dedicated zlib
   * contexts are not counted (about 300 KB for a compressor, 40 KB for a decompressor).
   */
  get retainedBytes(): number {
    return (
      (this.#outHistory?.length ?? 0) + (this.#inHistory?.length ?? 0) + this.#inFragmentsLength
    );
  }

  /** {@inheritDoc MessageExtension.shouldEncode} */
  shouldEncode(size: number, _isBinary: boolean): boolean {
    // With an 8-bit window we keep the promise by not compressing at all.
    return size >= this.#threshold && this.#outBits > 8 && !this.#disposed;
  }

  /** {@inheritDoc MessageExtension.encode} */
  encode(data: Uint8Array, callback: TransformCallback): void {
    if (this.#disposed) {
      callback(disposedError());
      return;
    }
    if (this.#encodeBusy) {
      if (this.#encodeQueue === null) this.#encodeQueue = [];
      this.#encodeQueue.push({ data, callback });
      return;
    }
    if (data.length === 0) {
      // RFC 7692 §7.2.3.6: an empty stored block. zlib emits nothing for an empty sync flush
      // on a stream that was just flushed, so it is written here for every mode.
      callback(null, emptyMessage());
      return;
    }
    this.#encodeBusy = true;
    this.#encodeCallback = callback;
    if (this.#outBits === 8) {
      this.#encodeSync(data, this.#deflateOptions(data.length, null));
    } else if (this.#dedicated) {
      this.#encodeDedicated(data);
    } else if (this.#outTakeover) {
      const history = this.#primingHistory(data.length);
      if (data.length <= this.#syncLimit)
        this.#encodeSync(data, this.#deflateOptions(data.length, history));
      else this.#encodePrimed(data, history);
    } else if (data.length <= this.#syncLimit) {
      this.#encodeSync(data, this.#deflateOptions(data.length, null));
    } else {
      this.#encodePooled(data);
    }
  }

  /** {@inheritDoc MessageExtension.decode} */
  decode(data: Uint8Array, fin: boolean, maxSize: number, callback: TransformCallback): void {
    if (this.#disposed) {
      callback(disposedError());
      return;
    }
    if (this.#decodeBusy) {
      if (this.#decodeQueue === null) this.#decodeQueue = [];
      this.#decodeQueue.push({ data, fin, maxSize, callback });
      return;
    }
    this.#decodeBusy = true;
    this.#decodeCallback = callback;
    const limit = Math.min(Math.max(maxSize, 0), MAX_OUTPUT);
    if (this.#dedicated) {
      this.#decodeDedicated(fin ? withTrailer(null, data, data.length) : data, fin, limit);
      return;
    }
    if (!fin) {
      const filled = this.#inFragmentsLength;
      // Compressed input beyond 9/8 of the allowed output (the fixed-Huffman worst case) plus
      // slack can only be padding: refuse it rather than buffer it.
      if (filled + data.length > limit + (limit >>> 3) + 4096) {
        this.#inFragments = null;
        this.#inFragmentsLength = 0;
        this.#decodeDone(tooBig(limit));
        return;
      }
      // Copied: the caller's buffer is not ours after the callback.
      this.#gatherFragment(data, filled);
      this.#decodeDone(null, EMPTY);
      return;
    }
    const held = this.#inFragments;
    const input = withTrailer(
      held === null ? null : held.subarray(0, this.#inFragmentsLength),
      data,
      this.#inFragmentsLength + data.length,
    );
    this.#inFragments = null;
    this.#inFragmentsLength = 0;
    const dictionary = this.#inTakeover ? this.#inHistory : null;
    // Small enough to try synchronously: bounded by syncLimit bytes of output.
    if (input.length <= this.#syncLimit >>> 2 || (this.#syncLimit > 0 && input.length <= 16)) {
      const bound = Math.min(limit, this.#syncLimit);
      let out: Uint8Array | null = null;
      try {
        out = inflateRawSync(input, this.#inflateOptions(dictionary, bound));
      } catch (error) {
        if (!isTooLarge(error)) {
          this.#decodeDone(invalidData(error));
          return;
        }
        if (bound >= limit) {
          this.#decodeDone(tooBig(limit));
          return;
        }
        // Larger than the synchronous budget, maybe within the limit: the thread pool decides.
      }
      if (out !== null) {
        this.#decodeFinish(out, limit);
        return;
      }
    }
    if (dictionary === null) this.#decodePooled(input, limit);
    else this.#decodePrimed(input, limit, dictionary);
  }

  /** {@inheritDoc MessageExtension.dispose} */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#outHistory = null;
    this.#inHistory = null;
    this.#inFragments = null;
    this.#inFragmentsLength = 0;
    // Detach the callbacks first: closing a stream ends its job at once, and that job must
    // find nobody to report to (its limiter slot and pooled stream are released regardless).
    const encodeCallback = this.#encodeCallback;
    const decodeCallback = this.#decodeCallback;
    const encodes = this.#encodeQueue;
    const decodes = this.#decodeQueue;
    this.#encodeCallback = null;
    this.#decodeCallback = null;
    this.#encodeQueue = null;
    this.#decodeQueue = null;
    const deflater = this.#deflater;
    const inflater = this.#inflater;
    this.#deflater = null;
    this.#inflater = null;
    deflater?.close();
    inflater?.close();
    encodeCallback?.(disposedError());
    decodeCallback?.(disposedError());
    if (encodes !== null) for (const job of encodes) job.callback(disposedError());
    if (decodes !== null) for (const job of decodes) job.callback(disposedError());
  }

  // ---- completion and queues ----

  #encodeDone(error: Error | null, data?: Uint8Array): void {
    const callback = this.#encodeCallback;
    if (callback === null) return; // disposed meanwhile: already told
    this.#encodeCallback = null;
    this.#encodeBusy = false;
    callback(error, data);
    const queue = this.#encodeQueue;
    if (queue !== null && queue.length > 0 && !this.#encodeBusy) {
      const next = queue.shift() as QueuedEncode;
      this.encode(next.data, next.callback);
    }
  }

  #decodeDone(error: Error | null, data?: Uint8Array): void {
    const callback = this.#decodeCallback;
    if (callback === null) return;
    this.#decodeCallback = null;
    this.#decodeBusy = false;
    callback(error, data);
    const queue = this.#decodeQueue;
    if (queue !== null && queue.length > 0 && !this.#decodeBusy) {
      const next = queue.shift() as QueuedDecode;
      this.decode(next.data, next.fin, next.maxSize, next.callback);
    }
  }

  #encodeFinish(data: Uint8Array, out: Uint8Array): void {
    if (this.#outTakeover && !this.#dedicated && !this.#disposed) {
      this.#outHistory = appendHistory(this.#outHistory, data, 1 << this.#outBits);
    }
    this.#encodeDone(null, stripTrailer(out));
  }

  /** Appends a compressed fragment to the gathered bytes (doubling the buffer when full). */
  #gatherFragment(data: Uint8Array, filled: number): void {
    const need = filled + data.length;
    let buffer = this.#inFragments;
    if (buffer === null || buffer.length < need) {
      const grown = new Uint8Array(Math.max(need, 2 * (buffer?.length ?? 0), 256));
      if (buffer !== null) grown.set(buffer.subarray(0, filled));
      buffer = grown;
      this.#inFragments = buffer;
    }
    buffer.set(data, filled);
    this.#inFragmentsLength = need;
  }

  #decodeFinish(out: Uint8Array, limit: number): void {
    if (out.length > limit) {
      this.#decodeDone(tooBig(limit));
      return;
    }
    // Dedicated mode keeps the history too: a peer message that ends in a final block (BFINAL)
    // ends the inflater, and its successor must be primed with the window it had.
    if (this.#inTakeover && !this.#disposed) {
      this.#inHistory = appendHistory(this.#inHistory, out, this.#inHistoryCap);
    }
    this.#decodeDone(null, ownBuffer(out));
  }

  /**
   * The history to prime a compressor with for a message of `size` bytes. Priming costs
   * hashing every byte of it, so a small message gets only the recent part (at least 4 KiB,
   * 8 times its size): a few bytes of ratio for a third of the CPU. The peer keeps the whole
   * window either way; referencing less of it is always allowed.
   */
  #primingHistory(size: number): Uint8Array | null {
    const history = this.#outHistory;
    if (history === null) return null;
    const useful = Math.max(4096, size * 8);
    return history.length > useful ? history.subarray(history.length - useful) : history;
  }

  // ---- synchronous one-shot (small messages, 8-bit windows) ----

  #deflateOptions(size: number, dictionary: Uint8Array | null): ZlibOptions {
    return deflateOptions(size, this.#outBits, this.#level, this.#memLevel, dictionary);
  }

  #inflateOptions(dictionary: Uint8Array | null, maxOutputLength: number): ZlibOptions {
    // A 15-bit window decodes any peer window; it only lives for this call.
    const options: ZlibOptions = {
      windowBits: 15,
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: Math.max(1, maxOutputLength),
    };
    if (dictionary !== null) options.dictionary = dictionary;
    return options;
  }

  #encodeSync(data: Uint8Array, options: ZlibOptions): void {
    let out: Uint8Array;
    try {
      out = deflateRawSync(data, options);
    } catch (error) {
      this.#encodeDone(compressionFailed(error));
      return;
    }
    this.#encodeFinish(data, out);
  }

  // ---- thread pool: pooled streams (no takeover) ----

  #encodePooled(data: Uint8Array): void {
    const pool = deflatePool(this.#level, this.#memLevel, this.#outBits, this.#limiter.concurrency);
    this.#limiter.run((release) => {
      if (this.#encodeCallback === null) {
        release(); // disposed while queued
        return;
      }
      const stream = pool.acquire();
      stream.run(data, MAX_OUTPUT, (error, out) => {
        pool.release(stream);
        release();
        if (error !== null || out === null) this.#encodeDone(compressionFailed(error));
        else this.#encodeFinish(data, out);
      });
    });
  }

  #decodePooled(input: Uint8Array, limit: number): void {
    const pool: StreamPool = inflatePoolFor(this.#limiter.concurrency);
    this.#limiter.run((release) => {
      if (this.#decodeCallback === null) {
        release();
        return;
      }
      const stream = pool.acquire();
      stream.run(input, limit, (error, out) => {
        pool.release(stream);
        release();
        this.#decodeResult(error, out, limit);
      });
    });
  }

  #decodeResult(error: Error | null, out: Uint8Array | null, limit: number): void {
    if (error !== null) this.#decodeDone(invalidData(error));
    else if (out === null) this.#decodeDone(tooBig(limit));
    else this.#decodeFinish(out, limit);
  }

  // ---- thread pool: a fresh stream primed with the history (takeover, large messages) ----

  #encodePrimed(data: Uint8Array, history: Uint8Array | null): void {
    this.#limiter.run((release) => {
      if (this.#encodeCallback === null) {
        release();
        return;
      }
      const stream = createDeflateStream({
        level: this.#level,
        memLevel: this.#memLevel,
        windowBits: this.#outBits,
        dictionary: history ?? undefined,
      });
      this.#deflater = stream;
      stream.run(data, MAX_OUTPUT, (error, out) => {
        stream.close();
        if (this.#deflater === stream) this.#deflater = null;
        release();
        if (error !== null || out === null) this.#encodeDone(compressionFailed(error));
        else this.#encodeFinish(data, out);
      });
    });
  }

  #decodePrimed(input: Uint8Array, limit: number, history: Uint8Array): void {
    this.#limiter.run((release) => {
      if (this.#decodeCallback === null) {
        release();
        return;
      }
      const stream = createInflateStream(history);
      this.#inflater = stream;
      stream.run(input, limit, (error, out) => {
        stream.close();
        if (this.#inflater === stream) this.#inflater = null;
        release();
        this.#decodeResult(error, out, limit);
      });
    });
  }

  // ---- dedicated mode: one stream per direction for the connection's lifetime ----

  #encodeDedicated(data: Uint8Array): void {
    this.#limiter.run((release) => {
      if (this.#encodeCallback === null) {
        release();
        return;
      }
      let stream = this.#deflater;
      if (stream === null || stream.broken) {
        stream = createDeflateStream({
          level: this.#level,
          memLevel: this.#memLevel,
          windowBits: this.#outBits,
        });
        this.#deflater = stream;
      }
      const current = stream;
      current.run(data, MAX_OUTPUT, (error, out) => {
        release();
        if (error !== null || out === null) {
          this.#encodeDone(compressionFailed(error));
          return;
        }
        if (!this.#outTakeover && !current.broken) current.stream.reset();
        this.#encodeFinish(data, out);
      });
    });
  }

  #decodeDedicated(input: Uint8Array, fin: boolean, limit: number): void {
    this.#limiter.run((release) => {
      if (this.#decodeCallback === null) {
        release();
        return;
      }
      let stream = this.#inflater;
      if (stream === null || stream.broken) {
        const history = this.#inTakeover ? this.#inHistory : null;
        stream = createInflateStream(history ?? undefined);
        this.#inflater = stream;
      }
      const current = stream;
      current.run(input, limit, (error, out) => {
        release();
        if (error === null && out !== null && fin && !this.#inTakeover && !current.broken) {
          current.stream.reset();
        }
        this.#decodeResult(error, out, limit);
      });
    });
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
