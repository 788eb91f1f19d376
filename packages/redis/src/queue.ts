/**
 * The bounded queue towards Redis. Publishes wait here while the connection is down and
 * are pipelined to Redis when it is ready; queued plus in-flight (sent, not yet answered)
 * bytes stay under `maxQueueBytes`, and a message that would go over it is refused
 * (the adapter drops and counts it). When the connection breaks with commands in flight,
 * `retry` decides: at-most-once mode counts them lost, at-least-once mode sends them again
 * (a message whose reply was lost may then arrive twice).
 * @internal
 */

/** One message on its way to Redis. */
export interface Outbound {
  readonly topic: string;
  readonly bytes: Buffer;
  /** Messages it carries (a pub/sub batch carries several). */
  readonly count: number;
  /** Told Redis's answer once (the stream entry id), or null when the message is given up. */
  readonly settle?: ((reply: unknown) => void) | undefined;
}

/** What the queue needs from the adapter. */
export interface QueueSink {
  /** Whether commands may be sent now. */
  ready(): boolean;
  /** Sends one message; the promise settles with Redis's answer. */
  send(item: Outbound): Promise<unknown>;
  /** A send failed: true to queue it again (at-least-once), false to count it lost. */
  failed(item: Outbound): boolean;
  /** Queued + in-flight bytes changed (for the adapter's counters). */
  changed(bytes: number): void;
}

/** A FIFO bounded in bytes (queued + in flight). */
export class OutboundQueue {
  readonly #max: number;
  readonly #sink: QueueSink;
  #items: Outbound[] = [];
  #head = 0;
  #retry: Outbound[] = [];
  #bytes = 0;
  readonly #inFlight = new Set<Outbound>();
  #idle: Array<() => void> = [];

  constructor(maxBytes: number, sink: QueueSink) {
    this.#max = maxBytes;
    this.#sink = sink;
  }

  /** Queued plus in-flight bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Messages queued (not yet sent). */
  get length(): number {
    return this.#items.length - this.#head + this.#retry.length;
  }

  /**
   * Queues `item` and sends what it can; false (nothing queued) when it does not fit.
   * `reserved`: the caller already checked the bound with {@link OutboundQueue.fits}.
   */
  push(item: Outbound, reserved = false): boolean {
    const size = item.bytes.length;
    if (!reserved && this.#bytes + size > this.#max) return false;
    this.#bytes += size;
    this.#sink.changed(this.#bytes);
    this.#items.push(item);
    this.pump();
    return true;
  }

  /** Whether `extra` more bytes (besides `pending` not yet pushed) stay within the bound. */
  fits(pending: number, extra: number): boolean {
    return this.#bytes + pending + extra <= this.#max;
  }

  /** Sends queued messages while the connection is ready. */
  pump(): void {
    while (this.#sink.ready()) {
      const item = this.#next();
      if (item === undefined) break;
      this.#inFlight.add(item);
      this.#sink.send(item).then(
        (reply) => this.#settled(item, false, reply),
        () => this.#settled(item, true, null),
      );
    }
  }

  /** Resolves when nothing is queued or in flight, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void> {
    if (this.#bytes === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Gives up on the messages in flight (sent, unanswered: the connection is being destroyed)
   * and returns them; their late answers, if any, are ignored.
   */
  abandon(): Outbound[] {
    const items = [...this.#inFlight];
    this.#inFlight.clear();
    for (const item of items) {
      this.#bytes -= item.bytes.length;
      item.settle?.(null);
    }
    this.#sink.changed(this.#bytes);
    return items;
  }

  /** Empties the queue; returns the messages that were still queued (not in flight). */
  clear(): Outbound[] {
    const left = [...this.#retry, ...this.#items.slice(this.#head)];
    for (const item of left) {
      this.#bytes -= item.bytes.length;
      item.settle?.(null);
    }
    this.#sink.changed(this.#bytes);
    this.#items = [];
    this.#head = 0;
    this.#retry = [];
    return left;
  }

  #next(): Outbound | undefined {
    if (this.#retry.length > 0) return this.#retry.shift();
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  #settled(item: Outbound, failed: boolean, reply: unknown): void {
    if (!this.#inFlight.delete(item)) return; // abandoned
    if (failed && this.#sink.failed(item)) {
      this.#retry.push(item);
      this.pump();
      return;
    }
    item.settle?.(reply);
    this.#bytes -= item.bytes.length;
    this.#sink.changed(this.#bytes);
    if (this.#bytes === 0 && this.#inFlight.size === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }
}
