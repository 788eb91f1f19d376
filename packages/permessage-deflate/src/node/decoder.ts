/**
 * The incoming direction of one connection's permessage-deflate (RFC 7692 §7.2.2): compressed
 * fragments gathered (bounded) until the final frame, then inflated with a limit on the output
 * (zip bombs end in 1009 at the limit, invalid data in 1007), one message at a time in call
 * order. With the peer's context takeover, the last window of plain text is kept and primes
 * each message's decompressor (pooled mode) or the connection keeps its own decompressor
 * (dedicated mode).
 */

import { constants, inflateRawSync, type ZlibOptions } from 'node:zlib';
import type { TransformCallback } from '@strata-ws/protocol';
import {
  appendHistory,
  disposedError,
  invalidData,
  isTooLarge,
  MAX_OUTPUT,
  ownBuffer,
  tooBig,
} from './errors.js';
import type { ZlibLimiter } from './limiter.js';
import { withTrailer } from './one-shot.js';
import { canWriteSync, OutputLimitError, writeSync } from './sync-zlib.js';
import { createInflateStream, inflatePoolFor, type ZlibStream } from './zlib-stream.js';

/** What the decoder needs, resolved and validated by the engine. @internal */
export interface DecoderSettings {
  /** The peer keeps its window between messages: we must keep it too. */
  takeover: boolean;
  /** Bytes of the peer's history kept with takeover. */
  historyCap: number;
  syncLimit: number;
  dedicated: boolean;
  limiter: ZlibLimiter;
}

interface Queued {
  data: Uint8Array;
  fin: boolean;
  maxSize: number;
  callback: TransformCallback;
}

const EMPTY = new Uint8Array(0);

/** One connection's decompressor side. @internal */
export class Decoder {
  readonly #s: DecoderSettings;
  #disposed = false;
  #busy = false;
  #queue: Queued[] | null = null;
  #callback: TransformCallback | null = null;
  // The plain text the peer's context holds (takeover).
  #history: Uint8Array | null = null;
  // Fragments of a compressed message (pooled mode), inflated at FIN: gathered into one
  // buffer that doubles as needed, so a fragment costs its bytes (no record per fragment).
  #fragments: Uint8Array | null = null;
  #fragmentsLength = 0;
  #inflater: ZlibStream | null = null; // dedicated mode, or a primed stream of a large message

  constructor(settings: DecoderSettings) {
    this.#s = settings;
  }

  /** Bytes held between messages: the peer's history and buffered compressed fragments. */
  get retainedBytes(): number {
    return (this.#history?.length ?? 0) + this.#fragmentsLength;
  }

  decode(data: Uint8Array, fin: boolean, maxSize: number, callback: TransformCallback): void {
    if (this.#disposed) {
      callback(disposedError());
      return;
    }
    if (this.#busy) {
      if (this.#queue === null) this.#queue = [];
      this.#queue.push({ data, fin, maxSize, callback });
      return;
    }
    this.#busy = true;
    this.#callback = callback;
    const s = this.#s;
    const limit = Math.min(Math.max(maxSize, 0), MAX_OUTPUT);
    // Where raw inflate ignores a preset dictionary (Deno's node:zlib), the peer's history is
    // kept in a dedicated decompressor instead.
    if (s.dedicated || (s.takeover && !rawDictionaryWorks())) {
      this.#dedicated(fin ? withTrailer(null, data, data.length) : data, fin, limit);
      return;
    }
    if (!fin) {
      const filled = this.#fragmentsLength;
      // Compressed input beyond 9/8 of the allowed output (the fixed-Huffman worst case) plus
      // slack can only be padding: refuse it rather than buffer it.
      if (filled + data.length > limit + (limit >>> 3) + 4096) {
        this.#fragments = null;
        this.#fragmentsLength = 0;
        this.#done(tooBig(limit));
        return;
      }
      // Copied: the caller's buffer is not ours after the callback.
      this.#gather(data, filled);
      this.#done(null, EMPTY);
      return;
    }
    const held = this.#fragments;
    const input = withTrailer(
      held === null ? null : held.subarray(0, this.#fragmentsLength),
      data,
      this.#fragmentsLength + data.length,
    );
    this.#fragments = null;
    this.#fragmentsLength = 0;
    const dictionary = s.takeover ? this.#history : null;
    // Small enough to try synchronously: bounded by syncLimit bytes of output.
    if (input.length <= s.syncLimit >>> 2 || (s.syncLimit > 0 && input.length <= 16)) {
      const bound = Math.min(limit, s.syncLimit);
      const out =
        dictionary === null
          ? this.#inflateKept(input, bound)
          : inflatePrimed(input, dictionary, bound);
      if (out instanceof Uint8Array) {
        this.#finish(out, limit);
        return;
      }
      if (out !== OVER) {
        this.#done(invalidData(out));
        return;
      }
      if (bound >= limit) {
        this.#done(tooBig(limit));
        return;
      }
      // Larger than the synchronous budget, maybe within the limit: the thread pool decides.
    }
    if (dictionary === null) this.#pooled(input, limit);
    else this.#primed(input, limit, dictionary);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#history = null;
    this.#fragments = null;
    this.#fragmentsLength = 0;
    const callback = this.#callback;
    const queue = this.#queue;
    this.#callback = null;
    this.#queue = null;
    const inflater = this.#inflater;
    this.#inflater = null;
    inflater?.close();
    callback?.(disposedError());
    if (queue !== null) for (const job of queue) job.callback(disposedError());
  }

  #done(error: Error | null, data?: Uint8Array): void {
    const callback = this.#callback;
    if (callback === null) return;
    this.#callback = null;
    this.#busy = false;
    callback(error, data);
    const queue = this.#queue;
    if (queue !== null && queue.length > 0 && !this.#busy) {
      const next = queue.shift() as Queued;
      this.decode(next.data, next.fin, next.maxSize, next.callback);
    }
  }

  /** Appends a compressed fragment to the gathered bytes (doubling the buffer when full). */
  #gather(data: Uint8Array, filled: number): void {
    const need = filled + data.length;
    let buffer = this.#fragments;
    if (buffer === null || buffer.length < need) {
      const grown = new Uint8Array(Math.max(need, 2 * (buffer?.length ?? 0), 256));
      if (buffer !== null) grown.set(buffer.subarray(0, filled));
      buffer = grown;
      this.#fragments = buffer;
    }
    buffer.set(data, filled);
    this.#fragmentsLength = need;
  }

  #finish(out: Uint8Array, limit: number): void {
    if (out.length > limit) {
      this.#done(tooBig(limit));
      return;
    }
    // Dedicated mode keeps the history too: a peer message that ends in a final block (BFINAL)
    // ends the inflater, and its successor must be primed with the window it had.
    if (this.#s.takeover && !this.#disposed) {
      this.#history = appendHistory(this.#history, out, this.#s.historyCap);
    }
    this.#done(null, ownBuffer(out));
  }

  /**
   * Inflates a message without history on a pooled decompressor, synchronously (no new stream
   * per message); falls back to a one-shot call where the runtime cannot drive a kept stream.
   */
  #inflateKept(input: Uint8Array, bound: number): Uint8Array | typeof OVER | Error {
    const pool = inflatePoolFor(this.#s.limiter.concurrency);
    const stream = pool.acquire();
    if (!canWriteSync(stream.stream)) {
      pool.release(stream);
      return inflatePrimed(input, null, bound);
    }
    try {
      return writeSync(stream.stream, input, bound);
    } catch (error) {
      if (error instanceof OutputLimitError) return OVER;
      stream.broken = true; // zlib destroyed it
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      pool.release(stream); // reset for the next message, or dropped when broken
    }
  }

  #result(error: Error | null, out: Uint8Array | null, limit: number): void {
    if (error !== null) this.#done(invalidData(error));
    else if (out === null) this.#done(tooBig(limit));
    else this.#finish(out, limit);
  }

  #pooled(input: Uint8Array, limit: number): void {
    const s = this.#s;
    const pool = inflatePoolFor(s.limiter.concurrency);
    s.limiter.run((release) => {
      if (this.#callback === null) {
        release();
        return;
      }
      const stream = pool.acquire();
      stream.run(input, limit, (error, out) => {
        pool.release(stream);
        release();
        this.#result(error, out, limit);
      });
    });
  }

  /** A fresh stream primed with the history (takeover, large messages). */
  #primed(input: Uint8Array, limit: number, history: Uint8Array): void {
    this.#s.limiter.run((release) => {
      if (this.#callback === null) {
        release();
        return;
      }
      const stream = createInflateStream(history);
      this.#inflater = stream;
      stream.run(input, limit, (error, out) => {
        stream.close();
        if (this.#inflater === stream) this.#inflater = null;
        release();
        this.#result(error, out, limit);
      });
    });
  }

  #dedicated(input: Uint8Array, fin: boolean, limit: number): void {
    const s = this.#s;
    s.limiter.run((release) => {
      if (this.#callback === null) {
        release();
        return;
      }
      let stream = this.#inflater;
      if (stream === null || stream.broken) {
        const history = s.takeover ? this.#history : null;
        stream = createInflateStream(history ?? undefined);
        this.#inflater = stream;
      }
      const current = stream;
      current.run(input, limit, (error, out) => {
        release();
        if (error === null && out !== null && fin && !s.takeover && !current.broken) {
          current.stream.reset();
        }
        this.#result(error, out, limit);
      });
    });
  }
}

// A message compressed against itself as a preset dictionary (9 bytes, made by zlib).
const PROBE = new TextEncoder().encode(
  'permessage-deflate dictionary probe: {"id":1,"name":"strata"}',
);
const PROBE_Z = new Uint8Array([42, 160, 68, 51, 0, 0, 0, 255, 255]);
let dictionaryWorks: boolean | null = null;

/** Whether this runtime's raw inflate honours a preset dictionary (checked once). @internal */
export function rawDictionaryWorks(): boolean {
  if (dictionaryWorks === null) {
    const out = inflatePrimed(PROBE_Z, PROBE, PROBE.length + 1);
    dictionaryWorks =
      out instanceof Uint8Array &&
      out.length === PROBE.length &&
      out.every((b, i) => b === PROBE[i]);
  }
  return dictionaryWorks;
}

/** The output passed the synchronous bound. */
const OVER: unique symbol = Symbol('over');

/** One-shot inflate (a new stream for this call), primed with `dictionary` when not null. */
function inflatePrimed(
  input: Uint8Array,
  dictionary: Uint8Array | null,
  bound: number,
): Uint8Array | typeof OVER | Error {
  try {
    return inflateRawSync(input, inflateOptions(dictionary, bound));
  } catch (error) {
    if (isTooLarge(error)) return OVER;
    return error instanceof Error ? error : new Error(String(error));
  }
}

function inflateOptions(dictionary: Uint8Array | null, maxOutputLength: number): ZlibOptions {
  // A 15-bit window decodes any peer window; it only lives for this call.
  const options: ZlibOptions = {
    windowBits: 15,
    finishFlush: constants.Z_SYNC_FLUSH,
    maxOutputLength: Math.max(1, maxOutputLength),
  };
  if (dictionary !== null) options.dictionary = dictionary;
  return options;
}
