/**
 * A node:zlib raw stream driven one message at a time on the thread pool, and the
 * process-wide pools of such streams that connections without context takeover borrow.
 *
 * Every stream is created with `flush: Z_SYNC_FLUSH`, so one `write` is one complete job:
 * a single thread-pool round trip per message (ws needs two: `write`, then `flush`).
 * The listeners are installed once per stream, not per message.
 */

import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  type InflateRaw,
} from 'node:zlib';

/** Completion of one job: an error, or the output (null when the output limit was exceeded). */
export type JobCallback = (error: Error | null, output: Uint8Array | null) => void;

/** Output chunk size: one chunk covers most messages, so most jobs are one round trip. */
const CHUNK_SIZE = 64 * 1024;

/** One zlib stream and the message job it is running. @internal */
export class ZlibStream {
  readonly stream: DeflateRaw | InflateRaw;
  /** True once the stream cannot be used again (error, end of stream, closed over the limit). */
  broken = false;
  /** A compressor's level when changed after creation (see `setLevel` in sync-zlib.ts); -1: as created. */
  level = -1;
  #chunks: Uint8Array[] = [];
  #length = 0;
  #limit = 0;
  #callback: JobCallback | null = null;
  #inputEnd = 0; // stream.bytesWritten once the running job's input is consumed
  readonly #written = (error?: Error | null): void => this.#onWritten(error ?? null);

  constructor(stream: DeflateRaw | InflateRaw) {
    this.stream = stream;
    stream.on('data', (chunk: Uint8Array) => this.#onData(chunk));
    stream.on('error', (error: Error) => this.#onError(error));
    // A final DEFLATE block (BFINAL) ends the stream for good.
    stream.on('end', () => {
      this.broken = true;
    });
  }

  /** True while a job runs. */
  get busy(): boolean {
    return this.#callback !== null;
  }

  /**
   * Processes `input` with a sync flush. `limit`: output bytes allowed; beyond it the job
   * stops at once (the stream is closed, its remaining work dropped) and reports `null`.
   */
  run(input: Uint8Array, limit: number, callback: JobCallback): void {
    this.#chunks = [];
    this.#length = 0;
    this.#limit = limit;
    this.#callback = callback;
    this.#inputEnd = this.stream.bytesWritten + input.length;
    this.stream.write(input, this.#written);
  }

  /** Drops the stream. A running job ends with an error (so its owner can release what it holds). */
  close(): void {
    this.broken = true;
    this.stream.close();
    this.#finish(new Error('zlib stream closed'), null);
  }

  #finish(error: Error | null, output: Uint8Array | null): void {
    const callback = this.#callback;
    if (callback === null) return;
    this.#callback = null;
    this.#chunks = [];
    callback(error, output);
  }

  #onData(chunk: Uint8Array): void {
    if (this.#callback === null) return;
    this.#length += chunk.length;
    if (this.#length > this.#limit) {
      // Stop inflating now: zlib sees the stream destroyed before its next slice of work.
      this.broken = true;
      this.stream.close();
      this.#finish(null, null);
      return;
    }
    this.#chunks.push(chunk);
  }

  #onWritten(error: Error | null): void {
    // Deno's node:zlib calls the write callback before emitting 'error' (the stream is then
    // already destroyed, its error in `errored`): never trust the output of a destroyed stream.
    if (error === null && this.stream.destroyed) {
      error = this.stream.errored ?? new Error('zlib stream destroyed');
    }
    if (error !== null) {
      this.broken = true;
      this.#finish(error, null);
      return;
    }
    // Input left over means zlib reached the end of a final block (BFINAL): the readable side
    // has ended (its 'end' event may come later), so the stream cannot take another message.
    if (this.stream.bytesWritten < this.#inputEnd) this.broken = true;
    const chunks = this.#chunks;
    let output: Uint8Array;
    if (chunks.length === 1) output = chunks[0] as Uint8Array;
    else {
      output = new Uint8Array(this.#length);
      let offset = 0;
      for (const c of chunks) {
        output.set(c, offset);
        offset += c.length;
      }
    }
    this.#finish(null, output);
  }

  #onError(error: Error): void {
    this.broken = true;
    this.#finish(error, null);
  }
}

/** Options of a compressing stream. @internal */
export interface DeflateStreamOptions {
  level: number;
  memLevel: number;
  windowBits: number;
  dictionary?: Uint8Array | undefined;
  /** Output chunk size; default 64 KiB (one chunk covers most messages). */
  chunkSize?: number;
}

/** A raw deflate stream with a sync flush per write. @internal */
export function createDeflateStream(options: DeflateStreamOptions): ZlibStream {
  return new ZlibStream(
    createDeflateRaw({
      level: options.level,
      memLevel: options.memLevel,
      windowBits: options.windowBits,
      flush: constants.Z_SYNC_FLUSH,
      chunkSize: options.chunkSize ?? CHUNK_SIZE,
      ...(options.dictionary === undefined ? {} : { dictionary: options.dictionary }),
    }),
  );
}

/** A raw inflate stream with a 15-bit window (decodes any peer window). @internal */
export function createInflateStream(dictionary?: Uint8Array): ZlibStream {
  return new ZlibStream(
    createInflateRaw({
      windowBits: 15,
      flush: constants.Z_SYNC_FLUSH,
      chunkSize: CHUNK_SIZE,
      ...(dictionary === undefined ? {} : { dictionary }),
    }),
  );
}

/**
 * Idle streams of one configuration, shared by every connection of the process for messages
 * without context takeover. At most `maxIdle` are kept; the thread-pool limiter bounds how
 * many are in use at once.
 * @internal
 */
export class StreamPool {
  readonly #create: () => ZlibStream;
  readonly #idle: ZlibStream[] = [];
  readonly #maxIdle: number;

  constructor(create: () => ZlibStream, maxIdle: number) {
    this.#create = create;
    this.#maxIdle = maxIdle;
  }

  /** Idle streams held. */
  get idle(): number {
    return this.#idle.length;
  }

  acquire(): ZlibStream {
    for (;;) {
      const stream = this.#idle.pop();
      if (stream === undefined) return this.#create();
      // A runtime may destroy a stream after its job reported (Deno reports errors late).
      if (!stream.stream.destroyed) return stream;
      stream.broken = true;
    }
  }

  /** Returns a stream after its job: reset for the next message, or dropped if broken. */
  release(stream: ZlibStream): void {
    if (stream.stream.destroyed) stream.broken = true;
    if (stream.broken || this.#idle.length >= this.#maxIdle) {
      if (!stream.broken) stream.close();
      return;
    }
    stream.stream.reset();
    this.#idle.push(stream);
  }

  /** Closes every idle stream (their memory goes back to the allocator). */
  drain(): void {
    for (const s of this.#idle.splice(0)) s.close();
  }
}

const deflatePools = new Map<string, StreamPool>();
let inflatePool: StreamPool | null = null;

/** The process-wide pool of compressors for one (level, memLevel, windowBits). @internal */
export function deflatePool(
  level: number,
  memLevel: number,
  windowBits: number,
  maxIdle: number,
): StreamPool {
  const key = `${level}/${memLevel}/${windowBits}`;
  let pool = deflatePools.get(key);
  if (pool === undefined) {
    pool = new StreamPool(() => createDeflateStream({ level, memLevel, windowBits }), maxIdle);
    deflatePools.set(key, pool);
  }
  return pool;
}

/** The process-wide pool of decompressors. @internal */
export function inflatePoolFor(maxIdle: number): StreamPool {
  if (inflatePool === null) inflatePool = new StreamPool(() => createInflateStream(), maxIdle);
  return inflatePool;
}

/**
 * Closes every idle pooled zlib stream of the process, returning their memory (about 300 KB
 * per compressor, 40 KB per decompressor) to the allocator. Pools refill on demand. Useful
 * after a burst, or before a heap snapshot.
 */
export function releasePooledZlibStreams(): void {
  for (const pool of deflatePools.values()) pool.drain();
  inflatePool?.drain();
}
