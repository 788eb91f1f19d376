/**
 * A process-wide bound on concurrent asynchronous zlib jobs. Each async job holds a zlib
 * context and a thread-pool slot; without a bound, thousands of connections each with a
 * large message in flight allocate thousands of contexts at once (memory fragmentation,
 * nodejs/node#8871) and starve the thread pool shared with fs and dns.
 */

/** A unit of zlib work: call `release` exactly once when it is finished. */
export type ZlibTask = (release: () => void) => void;

/**
 * Runs at most `concurrency` tasks at a time, the rest in FIFO order. One instance is meant
 * to be shared by every connection of the process ({@link sharedZlibLimiter}).
 */
export class ZlibLimiter {
  /** The most tasks that run at once. */
  readonly concurrency: number;
  #active = 0;
  #queue: ZlibTask[] = [];
  #head = 0;
  readonly #release: () => void;

  /**
   * @param concurrency - the most tasks that run at once (integer >= 1); default 10
   * @throws RangeError for a concurrency below 1
   */
  constructor(concurrency = 10) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${String(concurrency)}`);
    }
    this.concurrency = concurrency;
    this.#release = () => {
      this.#active--;
      this.#next();
    };
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks waiting for a slot. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Runs `task` now if a slot is free, otherwise when one frees up (FIFO).
   * The task must call its `release` argument exactly once.
   */
  run(task: ZlibTask): void {
    this.#queue.push(task);
    this.#next();
  }

  #next(): void {
    while (this.#active < this.concurrency && this.#head < this.#queue.length) {
      const task = this.#queue[this.#head] as ZlibTask;
      this.#queue[this.#head++] = undefined as unknown as ZlibTask;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      this.#active++;
      let released = false;
      task(() => {
        if (released) return;
        released = true;
        this.#release();
      });
    }
  }
}

let shared: ZlibLimiter | null = null;

/**
 * The process-wide limiter the engines use unless given one: created on first use with
 * `concurrency` (default 10); later calls return the same instance and ignore the argument.
 */
export function sharedZlibLimiter(concurrency?: number): ZlibLimiter {
  if (shared === null) shared = new ZlibLimiter(concurrency);
  return shared;
}
