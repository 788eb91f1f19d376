/**
 * The permessage-deflate engine on node:zlib (RFC 7692 §7.2): one instance per connection,
 * implementing `@strata-ws/protocol`'s `MessageExtension`.
 *
 * Two memory modes:
 *
 * - `lazy` (default): no zlib context lives between messages. Each message gets a fresh
 *   context that is freed as soon as the message is done. Without context takeover nothing
 *   is retained at all; with context takeover the last 2^windowBits bytes of plain text are
 *   kept as a byte array and prime the next message's context as its preset dictionary
 *   (which is exactly the sliding window the peer's context holds). Small messages run
 *   synchronously (one native call, no thread-pool round trip); large ones run on the thread
 *   pool through the process-wide {@link ZlibLimiter}.
 * - `dedicated`: each direction keeps its own zlib stream for the connection's lifetime,
 *   as `ws` does; every message goes through the thread pool and the limiter. Costs about
 *   300 KB per compressing connection; saves re-priming the window for each message.
 */

import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  deflateRaw,
  deflateRawSync,
  type InflateRaw,
  inflateRaw,
  inflateRawSync,
  type ZlibOptions,
} from 'node:zlib';
import { ProtocolError } from '@strata-ws/codec';
import type { MessageExtension, RsvBit, TransformCallback } from '@strata-ws/protocol';
import type { DeflateAgreement } from '../params.js';
import { sharedZlibLimiter, type ZlibLimiter } from './limiter.js';

/** How zlib contexts are held; see the package README for the trade-offs. */
export type DeflateMemoryMode = 'lazy' | 'dedicated';

/** Engine options (runtime behaviour; what was negotiated comes from the agreement). */
export interface DeflateEngineOptions {
  /** `lazy` (default): no context between messages; `dedicated`: one per direction, kept. */
  memoryMode?: DeflateMemoryMode;
  /** zlib compression level 0..9. Default 1 (fastest; JSON shrinks nearly as well as at 6). */
  level?: number;
  /** zlib memLevel 1..9 (hash table and block buffer size). Default 8. */
  memLevel?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /**
   * `lazy` mode: messages up to this many bytes (input for compression, output for
   * decompression) are processed synchronously; larger ones on the thread pool. Default
   * 64 KiB. 0 sends everything to the thread pool.
   */
  syncLimit?: number;
  /** The concurrency limiter for thread-pool jobs. Default: {@link sharedZlibLimiter}(). */
  limiter?: ZlibLimiter;
}

const TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const MAX_OUTPUT = 2 ** 31 - 1;

function isTrailer(out: Uint8Array): boolean {
  const n = out.length;
  return (
    n >= 4 && out[n - 4] === 0 && out[n - 3] === 0 && out[n - 2] === 0xff && out[n - 1] === 0xff
  );
}

/** Drops the `00 00 ff ff` a sync flush ends with; copies when a view would pin a much larger buffer. */
function stripTrailer(out: Uint8Array): Uint8Array {
  const n = isTrailer(out) ? out.length - 4 : out.length;
  if (out.buffer.byteLength > 2 * n + 1024) return out.slice(0, n);
  return out.subarray(0, n);
}

/** The last `cap` bytes of `history` followed by `data`, as a new array. */
function appendHistory(history: Uint8Array | null, data: Uint8Array, cap: number): Uint8Array {
  const n = data.length;
  if (n >= cap) return data.slice(n - cap);
  const keep = history === null ? 0 : Math.min(history.length, cap - n);
  const out = new Uint8Array(keep + n);
  if (keep > 0) out.set((history as Uint8Array).subarray(history!.length - keep));
  out.set(data, keep);
  return out;
}

function concat(chunks: Uint8Array[], length: number, extra: Uint8Array | null): Uint8Array {
  const out = new Uint8Array(length + (extra === null ? 0 : extra.length));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  if (extra !== null) out.set(extra, o);
  return out;
}

function ceilLog2(n: number): number {
  return n <= 1 ? 0 : 32 - Math.clz32(n - 1);
}

function tooBig(limit: number): ProtocolError {
  return new ProtocolError(1009, `Decompressed message exceeds ${limit} bytes`);
}

function inflateError(error: unknown): ProtocolError {
  const message = error instanceof Error ? error.message : String(error);
  return new ProtocolError(1007, `Invalid compressed data: ${message}`, { cause: error });
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
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
  readonly #outNoContextTakeover: boolean;
  readonly #inHistoryCap: number; // bytes of peer history to keep with context takeover
  readonly #inNoContextTakeover: boolean;
  readonly #level: number;
  readonly #memLevel: number;
  readonly #threshold: number;
  readonly #syncLimit: number;
  readonly #dedicated: boolean;
  readonly #limiter: ZlibLimiter;

  #disposed = false;
  // Context takeover in lazy mode: the plain text the contexts would hold.
  #outHistory: Uint8Array | null = null;
  #inHistory: Uint8Array | null = null;
  // Fragments of an incoming compressed message (lazy mode), inflated at FIN.
  #inFragments: Uint8Array[] | null = null;
  #inFragmentsLength = 0;
  // One job per direction at a time; more are queued (the protocol engine never sends more).
  #encodeBusy = false;
  #decodeBusy = false;
  #encodeQueue: QueuedEncode[] | null = null;
  #decodeQueue: QueuedDecode[] | null = null;
  // Dedicated mode.
  #deflater: DeflateRaw | null = null;
  #inflater: InflateRaw | null = null;
  #outChunks: Uint8Array[] = [];
  #outLength = 0;
  #inChunks: Uint8Array[] = [];
  #inLength = 0;
  #inLimit = 0;
  #encodeRelease: (() => void) | null = null;
  #decodeRelease: (() => void) | null = null;
  #encodeCallback: TransformCallback | null = null;
  #decodeCallback: TransformCallback | null = null;
  #decodeFin = false;

  /**
   * @param agreement - the negotiated parameters (from the negotiators of the `.` entry point)
   * @param options - memory mode, level, threshold, limiter
   * @throws RangeError for options out of range
   */
  constructor(agreement: DeflateAgreement, options: DeflateEngineOptions = {}) {
    const server = agreement.role === 'server';
    this.#outBits = server ? agreement.serverMaxWindowBits : agreement.clientMaxWindowBits;
    this.#outNoContextTakeover = server
      ? agreement.serverNoContextTakeover
      : agreement.clientNoContextTakeover;
    const inBits = server ? agreement.clientMaxWindowBits : agreement.serverMaxWindowBits;
    // zlib-based peers silently widen an 8-bit window to 9: keep enough history for that.
    this.#inHistoryCap = 1 << Math.max(inBits, 9);
    this.#inNoContextTakeover = server
      ? agreement.clientNoContextTakeover
      : agreement.serverNoContextTakeover;
    checkInteger('window bits', this.#outBits, 8, 15);
    checkInteger('window bits', inBits, 8, 15);

    const mode = options.memoryMode ?? 'lazy';
    if (mode !== 'lazy' && mode !== 'dedicated') {
      throw new RangeError(`memoryMode must be 'lazy' or 'dedicated', got ${String(mode)}`);
    }
    this.#dedicated = mode === 'dedicated';
    this.#level = options.level ?? 1;
    checkInteger('level', this.#level, 0, 9);
    this.#memLevel = options.memLevel ?? 8;
    checkInteger('memLevel', this.#memLevel, 1, 9);
    this.#threshold = options.threshold ?? 1024;
    checkInteger('threshold', this.#threshold, 0, Number.MAX_SAFE_INTEGER);
    this.#syncLimit = options.syncLimit ?? 64 * 1024;
    checkInteger('syncLimit', this.#syncLimit, 0, MAX_OUTPUT);
    this.#limiter = options.limiter ?? sharedZlibLimiter();
  }

  /** Bytes of plain-text history held for context takeover (lazy mode), both directions. */
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
    this.#encodeBusy = true;
    if (this.#dedicated && this.#outBits > 8) this.#encodeDedicated(data, callback);
    else this.#encodeLazy(data, callback);
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
    if (this.#dedicated) this.#decodeDedicated(data, fin, maxSize, callback);
    else this.#decodeLazy(data, fin, maxSize, callback);
  }

  /** {@inheritDoc MessageExtension.dispose} */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#outHistory = null;
    this.#inHistory = null;
    this.#inFragments = null;
    this.#inFragmentsLength = 0;
    const deflater = this.#deflater;
    const inflater = this.#inflater;
    this.#deflater = null;
    this.#inflater = null;
    deflater?.close();
    inflater?.close();
    const encodeRelease = this.#encodeRelease;
    const decodeRelease = this.#decodeRelease;
    this.#encodeRelease = null;
    this.#decodeRelease = null;
    encodeRelease?.();
    decodeRelease?.();
    const encodeCallback = this.#encodeCallback;
    const decodeCallback = this.#decodeCallback;
    this.#encodeCallback = null;
    this.#decodeCallback = null;
    encodeCallback?.(disposedError());
    decodeCallback?.(disposedError());
    const encodes = this.#encodeQueue;
    const decodes = this.#decodeQueue;
    this.#encodeQueue = null;
    this.#decodeQueue = null;
    if (encodes !== null) for (const job of encodes) job.callback(disposedError());
    if (decodes !== null) for (const job of decodes) job.callback(disposedError());
  }

  // ---- completion and queues ----

  #encodeDone(callback: TransformCallback, error: Error | null, data?: Uint8Array): void {
    this.#encodeBusy = false;
    if (this.#disposed) {
      callback(error ?? disposedError());
      return;
    }
    callback(error, data);
    const queue = this.#encodeQueue;
    if (queue !== null && queue.length > 0 && !this.#encodeBusy) {
      const next = queue.shift() as QueuedEncode;
      this.encode(next.data, next.callback);
    }
  }

  #decodeDone(callback: TransformCallback, error: Error | null, data?: Uint8Array): void {
    this.#decodeBusy = false;
    if (this.#disposed) {
      callback(error ?? disposedError());
      return;
    }
    callback(error, data);
    const queue = this.#decodeQueue;
    if (queue !== null && queue.length > 0 && !this.#decodeBusy) {
      const next = queue.shift() as QueuedDecode;
      this.decode(next.data, next.fin, next.maxSize, next.callback);
    }
  }

  // ---- lazy mode ----

  #deflateOptions(size: number, dictionary: Uint8Array | null): ZlibOptions {
    let windowBits = this.#outBits;
    let memLevel = this.#memLevel;
    let level = this.#level;
    if (windowBits === 8) {
      // Forced compression with an 8-bit window: stored blocks reference nothing.
      windowBits = 9;
      level = 0;
    } else if (dictionary === null) {
      // A fresh context only needs a window (and hash) as large as the message: cheaper init.
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

  #encodeLazy(data: Uint8Array, callback: TransformCallback): void {
    const dictionary = this.#outNoContextTakeover ? null : this.#outHistory;
    const options = this.#deflateOptions(data.length, dictionary);
    if (data.length <= this.#syncLimit) {
      let out: Uint8Array;
      try {
        out = deflateRawSync(data, options);
      } catch (error) {
        this.#encodeDone(callback, new ProtocolError(1011, 'Compression failed', { cause: error }));
        return;
      }
      this.#encodeFinish(data, out, callback);
      return;
    }
    this.#limiter.run((release) => {
      if (this.#disposed) {
        release();
        this.#encodeDone(callback, disposedError());
        return;
      }
      deflateRaw(data, options, (error, out) => {
        release();
        if (error !== null) {
          this.#encodeDone(
            callback,
            new ProtocolError(1011, 'Compression failed', { cause: error }),
          );
          return;
        }
        this.#encodeFinish(data, out, callback);
      });
    });
  }

  #encodeFinish(data: Uint8Array, out: Uint8Array, callback: TransformCallback): void {
    if (!this.#outNoContextTakeover && this.#outBits > 8 && !this.#disposed) {
      this.#outHistory = appendHistory(this.#outHistory, data, 1 << this.#outBits);
    }
    this.#encodeDone(callback, null, stripTrailer(out));
  }

  #decodeLazy(data: Uint8Array, fin: boolean, maxSize: number, callback: TransformCallback): void {
    if (!fin) {
      // Keep a copy: the caller's buffer is not ours after the callback.
      this.#inFragmentsLength += data.length;
      // Compressed input beyond 9/8 of the allowed output (fixed-Huffman worst case) plus
      // slack can only be padding: refuse it instead of buffering it.
      if (this.#inFragmentsLength > maxSize + (maxSize >>> 3) + 4096) {
        this.#inFragments = null;
        this.#inFragmentsLength = 0;
        this.#decodeDone(callback, tooBig(maxSize));
        return;
      }
      if (this.#inFragments === null) this.#inFragments = [];
      this.#inFragments.push(data.slice());
      this.#decodeDone(callback, null, new Uint8Array(0));
      return;
    }
    let input: Uint8Array;
    if (this.#inFragments === null) {
      input = concat([data], data.length, TRAILER);
    } else {
      this.#inFragments.push(data);
      input = concat(this.#inFragments, this.#inFragmentsLength + data.length, TRAILER);
      this.#inFragments = null;
      this.#inFragmentsLength = 0;
    }
    const dictionary = this.#inNoContextTakeover ? null : this.#inHistory;
    const limit = Math.min(Math.max(maxSize, 0), MAX_OUTPUT);
    if (input.length <= this.#syncLimit) {
      // Try synchronously within min(limit, syncLimit) bytes of output.
      const syncBound = Math.min(limit, Math.max(this.#syncLimit, 1));
      let out: Uint8Array | null = null;
      try {
        out = inflateRawSync(input, this.#inflateOptions(dictionary, syncBound));
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (code !== 'ERR_BUFFER_TOO_LARGE') {
          this.#decodeDone(callback, inflateError(error));
          return;
        }
        if (syncBound >= limit) {
          this.#decodeDone(callback, tooBig(maxSize));
          return;
        }
        // Larger than the synchronous budget but maybe within the limit: go async.
      }
      if (out !== null) {
        this.#decodeFinish(out, maxSize, callback);
        return;
      }
    }
    const options = this.#inflateOptions(dictionary, limit);
    this.#limiter.run((release) => {
      if (this.#disposed) {
        release();
        this.#decodeDone(callback, disposedError());
        return;
      }
      inflateRaw(input, options, (error, out) => {
        release();
        if (error !== null) {
          const code = (error as { code?: unknown }).code;
          this.#decodeDone(
            callback,
            code === 'ERR_BUFFER_TOO_LARGE' ? tooBig(maxSize) : inflateError(error),
          );
          return;
        }
        this.#decodeFinish(out, maxSize, callback);
      });
    });
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

  #decodeFinish(out: Uint8Array, maxSize: number, callback: TransformCallback): void {
    if (out.length > maxSize) {
      this.#decodeDone(callback, tooBig(maxSize));
      return;
    }
    if (!this.#inNoContextTakeover && !this.#disposed) {
      this.#inHistory = appendHistory(this.#inHistory, out, this.#inHistoryCap);
    }
    this.#decodeDone(callback, null, out);
  }

  // ---- dedicated mode ----

  #getDeflater(): DeflateRaw {
    let deflater = this.#deflater;
    if (deflater === null) {
      deflater = createDeflateRaw({
        level: this.#level,
        memLevel: this.#memLevel,
        windowBits: this.#outBits,
      });
      const current = deflater;
      deflater.on('data', (chunk: Uint8Array) => {
        if (this.#deflater !== current) return;
        this.#outChunks.push(chunk);
        this.#outLength += chunk.length;
      });
      deflater.on('error', (error: Error) => {
        if (this.#deflater !== current) return;
        this.#deflater = null;
        const callback = this.#encodeCallback;
        this.#encodeCallback = null;
        this.#outChunks = [];
        this.#outLength = 0;
        const release = this.#encodeRelease;
        this.#encodeRelease = null;
        release?.();
        if (callback !== null) {
          this.#encodeDone(
            callback,
            new ProtocolError(1011, 'Compression failed', { cause: error }),
          );
        }
      });
      this.#deflater = deflater;
    }
    return deflater;
  }

  #encodeDedicated(data: Uint8Array, callback: TransformCallback): void {
    this.#limiter.run((release) => {
      if (this.#disposed) {
        release();
        this.#encodeDone(callback, disposedError());
        return;
      }
      const deflater = this.#getDeflater();
      this.#encodeCallback = callback;
      this.#encodeRelease = release;
      deflater.write(data);
      deflater.flush(constants.Z_SYNC_FLUSH, () => {
        release();
        if (this.#encodeRelease === release) this.#encodeRelease = null;
        if (this.#deflater !== deflater || this.#encodeCallback !== callback) return;
        this.#encodeCallback = null;
        const out = concat(this.#outChunks, this.#outLength, null);
        this.#outChunks = [];
        this.#outLength = 0;
        if (this.#outNoContextTakeover) deflater.reset();
        this.#encodeDone(callback, null, stripTrailer(out));
      });
    });
  }

  #getInflater(): InflateRaw {
    let inflater = this.#inflater;
    if (inflater === null) {
      inflater = createInflateRaw({ windowBits: 15 });
      const current = inflater;
      inflater.on('data', (chunk: Uint8Array) => {
        if (this.#inflater !== current) return;
        this.#inLength += chunk.length;
        if (this.#inLength > this.#inLimit) {
          // Stop here: fail now, drop the context (zlib finishes its slice of work, then closes).
          this.#failInflater(current, tooBig(this.#inLimit));
          return;
        }
        this.#inChunks.push(chunk);
      });
      inflater.on('error', (error: Error) => {
        if (this.#inflater !== current) return;
        this.#failInflater(current, inflateError(error));
      });
      this.#inflater = inflater;
    }
    return inflater;
  }

  #failInflater(inflater: InflateRaw, error: ProtocolError): void {
    this.#inflater = null;
    this.#inChunks = [];
    this.#inLength = 0;
    inflater.close();
    const release = this.#decodeRelease;
    this.#decodeRelease = null;
    release?.();
    const callback = this.#decodeCallback;
    this.#decodeCallback = null;
    if (callback !== null) this.#decodeDone(callback, error);
  }

  #decodeDedicated(
    data: Uint8Array,
    fin: boolean,
    maxSize: number,
    callback: TransformCallback,
  ): void {
    this.#limiter.run((release) => {
      if (this.#disposed) {
        release();
        this.#decodeDone(callback, disposedError());
        return;
      }
      const inflater = this.#getInflater();
      this.#decodeCallback = callback;
      this.#decodeRelease = release;
      this.#decodeFin = fin;
      this.#inLimit = Math.max(0, maxSize);
      this.#inChunks = [];
      this.#inLength = 0;
      inflater.write(data);
      if (fin) inflater.write(TRAILER);
      inflater.flush(constants.Z_SYNC_FLUSH, () => {
        release();
        if (this.#decodeRelease === release) this.#decodeRelease = null;
        if (this.#inflater !== inflater || this.#decodeCallback !== callback) return;
        this.#decodeCallback = null;
        const out = concat(this.#inChunks, this.#inLength, null);
        this.#inChunks = [];
        this.#inLength = 0;
        if (this.#decodeFin && this.#inNoContextTakeover) inflater.reset();
        this.#decodeDone(callback, null, out);
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
