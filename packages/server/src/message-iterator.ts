/**
 * The pull queue behind `for await (const { data, isBinary } of ws)`: messages wait here
 * until consumed; the connection pauses reading while too many wait.
 */

/** One message yielded by the async iterator of a `ServerWebSocket`. */
export interface WebSocketMessage {
  /** The payload (text messages are UTF-8 bytes, already validated). */
  readonly data: Buffer;
  /** Whether the message was binary. */
  readonly isBinary: boolean;
}

/** A pull queue of messages for `for await (const { data, isBinary } of ws)`. */
export class MessageIterator implements AsyncIterableIterator<WebSocketMessage> {
  #queue: WebSocketMessage[] = [];
  #waiting: ((result: IteratorResult<WebSocketMessage>) => void) | null = null;
  #ended = false;
  #onDrained: () => void;
  #onReturn: () => void;

  /**
   * @param onDrained - the queue emptied (reading may resume)
   * @param onReturn - the consumer stopped iterating
   */
  constructor(onDrained: () => void, onReturn: () => void) {
    this.#onDrained = onDrained;
    this.#onReturn = onReturn;
  }

  /** Adds a message; returns the queue length. */
  push(data: Buffer, isBinary: boolean): number {
    if (this.#ended) return 0;
    const waiting = this.#waiting;
    if (waiting !== null) {
      this.#waiting = null;
      waiting({ value: { data, isBinary }, done: false });
      return 0;
    }
    return this.#queue.push({ data, isBinary });
  }

  /** Ends the iteration once the queued messages are consumed. */
  end(): void {
    this.#ended = true;
    const waiting = this.#waiting;
    if (waiting !== null) {
      this.#waiting = null;
      waiting({ value: undefined, done: true });
    }
  }

  /** The next message, or the end. */
  next(): Promise<IteratorResult<WebSocketMessage>> {
    const value = this.#queue.shift();
    if (value !== undefined) {
      if (this.#queue.length === 0) this.#onDrained();
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    this.#onDrained();
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** Stops the iteration (drops queued messages). */
  return(): Promise<IteratorResult<WebSocketMessage>> {
    this.#queue.length = 0;
    if (!this.#ended) {
      this.#ended = true;
      this.#onReturn();
    }
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WebSocketMessage> {
    return this;
  }
}
