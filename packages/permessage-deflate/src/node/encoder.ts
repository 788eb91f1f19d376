/**
 * The outgoing direction of one connection's permessage-deflate (RFC 7692 §7.2.1): messages
 * compressed one at a time, in call order, with
 *
 * - a kept compressor from the {@link DeflateContextBudget} when context takeover is allowed
 *   (pooled mode): synchronous on the calling thread up to `syncLimit`, on the thread pool
 *   above it; when the budget has none to give, a fresh context;
 * - a fresh context per message otherwise: synchronous one-shot up to `syncLimit`, a pooled
 *   stream on the thread pool above it;
 * - its own compressor for the connection's life in `dedicated` mode (what `ws` does);
 * - stored blocks only with an 8-bit window (zlib cannot compress within 256 bytes);
 * - a message repeated in a kept context (the same bytes again, as a re-sent document) sent
 *   as the bytes its last compression made, without zlib, once the context's window holds
 *   enough copies of it that those bytes mean the same thing to the peer (see `#noteRepeat`).
 */

import { Buffer } from 'node:buffer';
import { type DeflateRaw, deflateRawSync, type ZlibOptions } from 'node:zlib';
import type { TransformCallback } from '@strata-ws/protocol';
import type { ContextConfig, ContextHolder, DeflateContextBudget } from './context-budget.js';
import { compressionFailed, disposedError, MAX_OUTPUT } from './errors.js';
import type { ZlibLimiter } from './limiter.js';
import { deflateOptions, emptyMessage, stripTrailer } from './one-shot.js';
import { canWriteSync, setLevel, writeSync } from './sync-zlib.js';
import { createDeflateStream, deflatePool, type ZlibStream } from './zlib-stream.js';

/** What the encoder needs, resolved and validated by the engine. @internal */
export interface EncoderSettings {
  /** Window we compress with; 8: we never really compress (stored blocks). */
  bits: number;
  /** Context takeover allowed (the peer keeps our window between messages). */
  takeover: boolean;
  /** Level of a fresh context. */
  level: number;
  /** Level of a kept context (takeover). */
  takeoverLevel: number;
  /** Kept contexts use one level less while messages compress to more than 1/8 of their size. */
  adaptiveLevel: boolean;
  memLevel: number;
  syncLimit: number;
  dedicated: boolean;
  limiter: ZlibLimiter;
  budget: DeflateContextBudget;
}

/**
 * Repeats are looked for in messages of this size range only: under it a message's window is
 * mostly other text (many copies would be needed) and zlib is cheap anyway; over it the copy
 * kept to compare with costs more memory than a connection should hold for it.
 */
const REPEAT_MIN = 1024;
/** @see REPEAT_MIN */
const REPEAT_MAX = 64 * 1024;

/** `a` and `b` hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

interface Queued {
  data: Uint8Array;
  callback: TransformCallback;
  epoch: number;
}

/** One connection's compressor side. @internal */
export class Encoder implements ContextHolder {
  readonly #s: EncoderSettings;
  readonly #context: ContextConfig;
  #disposed = false;
  #busy = false;
  #queue: Queued[] | null = null;
  #callback: TransformCallback | null = null;
  #deflater: ZlibStream | null = null; // dedicated mode
  #keptContexts = 0; // messages compressed with a kept context (for tests and diagnostics)
  // Shared (fresh-context) frames the peer may have received in between our messages: each
  // one moves the epoch; a message called for in a later epoch than the kept context last
  // saw resets the context first, since the peer's window now holds text ours does not.
  #epoch = 0;
  #contextEpoch = 0;
  // The last message compressed to at most 1/8 of its size (see EncoderSettings.adaptiveLevel).
  #dense = true;
  // A repeated message (see #noteRepeat): a copy of the last message the kept context
  // compressed, kept only while that message compressed to a sliver (as a repeat does); how
  // many times in a row, up to the last, that context compressed exactly these bytes; the
  // bytes the last of those made once enough copies preceded it (sent again as they are); and
  // which context it was (a different one, or a reset, starts over).
  #repeat: Uint8Array | null = null;
  #repeatRuns = 0;
  #repeatOut: Uint8Array | null = null;
  #repeatContext: ZlibStream | null = null;
  #repeatsSent = 0;

  constructor(settings: EncoderSettings) {
    this.#s = settings;
    this.#context = {
      level: settings.takeoverLevel,
      memLevel: settings.memLevel,
      windowBits: settings.bits,
    };
  }

  /** Messages this direction compressed with a kept context (takeover), so far. */
  get keptContextMessages(): number {
    return this.#keptContexts;
  }

  /** Messages sent as the bytes of an earlier compression of the same message (repeats). */
  get repeatedMessages(): number {
    return this.#repeatsSent;
  }

  /** Bytes held between messages to recognise a repeated message (a copy of the last one). */
  get retainedBytes(): number {
    return this.#repeat === null ? 0 : this.#repeat.length;
  }

  /**
   * A compressed message this encoder did not make may be sent from now on (a shared
   * broadcast frame): the next message resets the kept context before using it.
   */
  foreignMessage(): void {
    this.#epoch++;
  }

  /** {@inheritDoc ContextHolder.contextLost} */
  contextLost(): void {
    // The context is looked up in the budget for every message; what was learnt about its
    // window is void.
    this.#forgetRepeat();
  }

  encode(data: Uint8Array, callback: TransformCallback, epoch: number = this.#epoch): void {
    if (this.#disposed) {
      callback(disposedError());
      return;
    }
    if (this.#busy) {
      if (this.#queue === null) this.#queue = [];
      this.#queue.push({ data, callback, epoch });
      return;
    }
    if (data.length === 0) {
      // RFC 7692 §7.2.3.6: an empty stored block. zlib emits nothing for an empty sync flush
      // on a stream that was just flushed, so it is written here for every mode.
      callback(null, emptyMessage());
      return;
    }
    this.#busy = true;
    this.#callback = callback;
    const s = this.#s;
    if (s.bits === 8) this.#oneShot(data);
    else if (s.dedicated) this.#dedicated(data, epoch);
    else if (s.takeover) this.#kept(data, epoch);
    else if (data.length <= s.syncLimit) this.#oneShot(data);
    else this.#pooled(data);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    // Detach the callbacks first: closing a stream ends its job at once, and that job must
    // find nobody to report to (its limiter slot and pooled stream are released regardless).
    const callback = this.#callback;
    const queue = this.#queue;
    this.#callback = null;
    this.#queue = null;
    const deflater = this.#deflater;
    this.#deflater = null;
    deflater?.close();
    this.#s.budget.release(this);
    this.#forgetRepeat();
    callback?.(disposedError());
    if (queue !== null) for (const job of queue) job.callback(disposedError());
  }

  #done(error: Error | null, out?: Uint8Array): void {
    const callback = this.#callback;
    if (callback === null) return; // disposed meanwhile: already told
    this.#callback = null;
    this.#busy = false;
    callback(error, out === undefined ? undefined : stripTrailer(out));
    const queue = this.#queue;
    if (queue !== null && queue.length > 0 && !this.#busy) {
      const next = queue.shift() as Queued;
      this.encode(next.data, next.callback, next.epoch);
    }
  }

  // ---- a fresh context per message ----

  #oneShot(data: Uint8Array): void {
    const s = this.#s;
    const options: ZlibOptions = deflateOptions(data.length, s.bits, s.level, s.memLevel, null);
    let out: Uint8Array;
    try {
      out = deflateRawSync(data, options);
    } catch (error) {
      this.#done(compressionFailed(error));
      return;
    }
    this.#done(null, out);
  }

  #pooled(data: Uint8Array): void {
    const s = this.#s;
    const pool = deflatePool(s.level, s.memLevel, s.bits, s.limiter.concurrency);
    s.limiter.run((release) => {
      if (this.#callback === null) {
        release(); // disposed while queued
        return;
      }
      const stream = pool.acquire();
      stream.run(data, MAX_OUTPUT, (error, out) => {
        pool.release(stream);
        release();
        if (error !== null || out === null) this.#done(compressionFailed(error));
        else this.#done(null, out);
      });
    });
  }

  // ---- context takeover: a kept compressor from the budget ----

  /**
   * Readies a kept compressor: reset if a foreign message went out since it was last used, and
   * at the level the traffic calls for. Level 6 costs ~65% more CPU than 5 on dissimilar
   * documents for ~6% fewer bytes, but little on repetitive ones, where it gains the most
   * (a repeated document: 211 B instead of 242): so one level less while the last message
   * compressed to more than 1/8 of its size. Both levels share zlib's compression function.
   */
  #sync(stream: ZlibStream, epoch: number, adapt: boolean): void {
    if (epoch !== this.#contextEpoch) {
      stream.stream.reset();
      this.#contextEpoch = epoch;
      this.#forgetRepeat();
    }
    const s = this.#s;
    if (!adapt || !s.adaptiveLevel || s.takeoverLevel < 5) return;
    const want = this.#dense ? s.takeoverLevel : s.takeoverLevel - 1;
    const current = stream.level === -1 ? s.takeoverLevel : stream.level;
    if (want !== current && setLevel(stream.stream as DeflateRaw, want)) stream.level = want;
  }

  #keptDone(data: Uint8Array, out: Uint8Array): void {
    this.#keptContexts++;
    this.#dense = out.length * 8 <= data.length;
    this.#done(null, out);
  }

  #kept(data: Uint8Array, epoch: number): void {
    const s = this.#s;
    const context = s.budget.acquire(this, this.#context);
    if (context === null) {
      // The budget has none for us: a fresh context is always decodable.
      this.#forgetRepeat();
      if (data.length <= s.syncLimit) this.#oneShot(data);
      else this.#pooled(data);
      return;
    }
    if (data.length <= s.syncLimit && canWriteSync(context.stream)) {
      this.#sync(context, epoch, true);
      const repeatOut = this.#repeatOut;
      if (
        repeatOut !== null &&
        this.#repeatContext === context &&
        sameBytes(data, this.#repeat as Uint8Array)
      ) {
        this.#repeatsSent++;
        this.#keptDone(data, repeatOut);
        return;
      }
      let out: Uint8Array;
      try {
        out = writeSync(context.stream, data, MAX_OUTPUT);
      } catch (error) {
        s.budget.release(this);
        this.#forgetRepeat();
        this.#done(compressionFailed(error));
        return;
      }
      this.#noteRepeat(context, data, out);
      this.#keptDone(data, out);
      return;
    }
    // On the thread pool: not followed for repeats (the window gets text #repeat does not know).
    this.#forgetRepeat();
    s.limiter.run((release) => {
      if (this.#callback === null) {
        release();
        return;
      }
      // Asked again now: while this job waited for a slot, the budget may have taken it.
      const stream = s.budget.acquire(this, this.#context);
      if (stream === null) {
        release();
        this.#pooled(data);
        return;
      }
      this.#sync(stream, epoch, true);
      stream.run(data, MAX_OUTPUT, (error, out) => {
        release();
        if (error !== null || out === null) {
          s.budget.release(this);
          this.#done(compressionFailed(error));
          return;
        }
        this.#keptDone(data, out);
      });
    });
  }

  // ---- a repeated message ----

  /**
   * Follows what the kept `context` just compressed (`data` to `out`, synchronously) to
   * recognise a message sent again. The peer decodes a compressed message with its window: the
   * last `W = 2^bits` bytes of all it decoded before. When the window held nothing but copies
   * of a message (at least `ceil(W / length)` of them, end to end), the bytes of its next
   * compression decode to it again from any window that again ends in those copies, and
   * sending them does not change the last `W` bytes the peer has (nor do they differ from
   * what zlib's own window holds, so later messages compressed by zlib stay decodable). So
   * once zlib compressed the same bytes that many times plus one in a row, those last bytes
   * are sent again for every further copy, with no zlib call at all, until anything else goes
   * through the context (another message, a reset, the context lost).
   *
   * A copy of the message is kept to compare with (bytes, never a hash) only while it
   * compressed to under 1/32 of its size, as a repeat does: traffic that does not repeat keeps
   * nothing. Only messages of {@link REPEAT_MIN}..{@link REPEAT_MAX} bytes.
   */
  #noteRepeat(context: ZlibStream, data: Uint8Array, out: Uint8Array): void {
    const repeat = this.#repeat;
    if (repeat !== null && this.#repeatContext === context && sameBytes(data, repeat)) {
      this.#repeatRuns++;
      const copiesInWindow = Math.ceil((1 << this.#s.bits) / data.length);
      if (this.#repeatOut === null && this.#repeatRuns > copiesInWindow) this.#repeatOut = out;
      return;
    }
    this.#repeatOut = null;
    if (data.length >= REPEAT_MIN && data.length <= REPEAT_MAX && out.length * 32 <= data.length) {
      this.#repeat =
        repeat !== null && repeat.length === data.length ? repeat : new Uint8Array(data.length);
      this.#repeat.set(data);
      this.#repeatRuns = 1;
      this.#repeatContext = context;
    } else {
      this.#forgetRepeat();
    }
  }

  #forgetRepeat(): void {
    this.#repeat = null;
    this.#repeatRuns = 0;
    this.#repeatOut = null;
    this.#repeatContext = null;
  }

  // ---- dedicated mode: one stream for the connection's lifetime ----

  #dedicated(data: Uint8Array, epoch: number): void {
    const s = this.#s;
    s.limiter.run((release) => {
      if (this.#callback === null) {
        release();
        return;
      }
      let stream = this.#deflater;
      if (stream === null || stream.broken) {
        const level = s.takeover ? s.takeoverLevel : s.level;
        stream = createDeflateStream({ level, memLevel: s.memLevel, windowBits: s.bits });
        this.#deflater = stream;
      }
      const current = stream;
      this.#sync(current, epoch, false);
      current.run(data, MAX_OUTPUT, (error, out) => {
        release();
        if (error !== null || out === null) {
          this.#done(compressionFailed(error));
          return;
        }
        if (!s.takeover && !current.broken) current.stream.reset();
        this.#done(null, out);
      });
    });
  }
}
