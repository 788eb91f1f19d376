/**
 * The process-wide memory budget for kept compression contexts (context takeover).
 *
 * A connection that may compress with context takeover asks the budget for a zlib
 * compressor that lives across its messages. The budget counts the bytes each one holds
 * (zlib's own figure for a compressor of that window and memLevel, plus its buffers), keeps
 * them in least-recently-used order, and when a grant would pass the limit it takes the
 * context of the least recently used idle connection (reset and handed over when it has the
 * same configuration, closed otherwise). The connection that lost it compresses its next
 * message with a fresh context: always decodable by a peer keeping its window, since a message
 * that references nothing before itself needs no history (RFC 7692 §7.2.1; only the
 * negotiation of `server_no_context_takeover` forbids the opposite).
 */

import { checkInteger } from './one-shot.js';
import { createDeflateStream, type ZlibStream } from './zlib-stream.js';

/** Default budget: 8 MiB, about 30 compressors of 15 bits at memLevel 8 (~272 KB each). */
export const DEFAULT_CONTEXT_BUDGET: number = 8 * 1024 * 1024;

/**
 * Bytes one kept compressor holds: zlib's documented
 * `(1 << (windowBits + 2)) + (1 << (memLevel + 9))` plus 16 KiB for its state (~6 KB), the
 * stream object and its 8 KiB output chunk.
 */
export function contextCost(windowBits: number, memLevel: number): number {
  return (1 << (windowBits + 2)) + (1 << (memLevel + 9)) + 16384;
}

/** Output chunk of a kept compressor (async jobs; synchronous ones use a shared buffer). */
const KEPT_CHUNK = 8 * 1024;

/** Whoever holds a kept context; told when the budget takes it back. */
export interface ContextHolder {
  /** The context was taken back (closed or handed to another holder): forget it. */
  contextLost(): void;
}

/** Configuration of a kept compressor. */
export interface ContextConfig {
  level: number;
  memLevel: number;
  windowBits: number;
}

interface Entry {
  stream: ZlibStream;
  cost: number;
  key: number;
}

const keyOf = (c: ContextConfig): number => c.windowBits | (c.level << 4) | (c.memLevel << 8);

/**
 * A byte budget for kept zlib compressors, shared by connections (one per process by
 * default: {@link sharedContextBudget}). Deterministic accounting: {@link used} is the sum of
 * {@link contextCost} over the contexts held, never above {@link bytes} except while contexts
 * of the least recently used connections are busy on the thread pool (at most the limiter's
 * concurrency).
 */
export class DeflateContextBudget {
  /** The most bytes of kept contexts. 0: none is kept (every message gets a fresh context). */
  readonly bytes: number;
  #used = 0;
  // Insertion order is recency order: a touch deletes and re-inserts.
  readonly #entries = new Map<ContextHolder, Entry>();

  /**
   * @param bytes - the budget in bytes (integer >= 0); default {@link DEFAULT_CONTEXT_BUDGET}
   * @throws RangeError naming `contextBudget` for a bad value
   */
  constructor(bytes: number = DEFAULT_CONTEXT_BUDGET) {
    checkInteger('contextBudget', bytes, 0, Number.MAX_SAFE_INTEGER);
    this.bytes = bytes;
  }

  /** Bytes of the contexts held now. */
  get used(): number {
    return this.#used;
  }

  /** Contexts held now. */
  get contexts(): number {
    return this.#entries.size;
  }

  /**
   * The kept compressor of `holder` (marked most recently used), or a new one if the budget
   * allows (taking back least recently used idle ones as needed); null when it cannot: then
   * compress with a fresh context.
   */
  acquire(holder: ContextHolder, config: ContextConfig): ZlibStream | null {
    const entries = this.#entries;
    const own = entries.get(holder);
    if (own !== undefined) {
      entries.delete(holder);
      if (!own.stream.broken) {
        entries.set(holder, own);
        return own.stream;
      }
      this.#used -= own.cost;
    }
    const cost = contextCost(config.windowBits, config.memLevel);
    if (cost > this.bytes) return null;
    const key = keyOf(config);
    let stream: ZlibStream | null = null;
    if (this.#used + cost > this.bytes) {
      for (const [other, entry] of entries) {
        if (entry.stream.busy) continue; // on the thread pool: cannot be taken now
        entries.delete(other);
        this.#used -= entry.cost;
        other.contextLost();
        if (entry.key === key && !entry.stream.broken && stream === null) {
          entry.stream.stream.reset(); // the same configuration: reuse it, empty
          stream = entry.stream;
        } else entry.stream.close();
        if (this.#used + cost <= this.bytes) break;
      }
      if (this.#used + cost > this.bytes) {
        stream?.close();
        return null;
      }
    }
    stream ??= createDeflateStream({ ...config, chunkSize: KEPT_CHUNK });
    entries.set(holder, { stream, cost, key });
    this.#used += cost;
    return stream;
  }

  /** Gives back `holder`'s context, if any (it is closed): the holder is done with it. */
  release(holder: ContextHolder): void {
    const entry = this.#entries.get(holder);
    if (entry === undefined) return;
    this.#entries.delete(holder);
    this.#used -= entry.cost;
    entry.stream.close();
  }
}

let shared: DeflateContextBudget | null = null;

/**
 * The process-wide budget the engines use unless given one: created on first use with
 * `bytes` (default {@link DEFAULT_CONTEXT_BUDGET}); later calls return the same instance and
 * ignore the argument.
 */
export function sharedContextBudget(bytes?: number): DeflateContextBudget {
  if (shared === null) shared = new DeflateContextBudget(bytes);
  return shared;
}
