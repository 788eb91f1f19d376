/**
 * `ReconnectingWebSocketStream`: the `WebSocketStream` shape (`opened`, `closed`, `close()`,
 * a readable of messages and a writable of sends) over one `ReconnectingWebSocket` — the same
 * loop, queue and resumption, no second engine. The readable spans reconnects; portable.
 */
import type { GiveUpEvent, ReconnectCloseEvent } from './events.js';
import type { ProtocolsProvider, ReconnectOptions, SendData, UrlProvider } from './options.js';
import { ReconnectingWebSocket } from './reconnecting-websocket.js';

/** What the readable yields: text as strings, binary as bytes (as `WebSocketStream` does). */
export type StreamMessage = string | Uint8Array;

/** Options of {@link ReconnectingWebSocketStream}. */
export interface ReconnectingStreamOptions extends ReconnectOptions {
  /** Subprotocols (a value or a provider). */
  protocols?: ProtocolsProvider;
  /** Aborting closes the stream (before it opened: `opened` rejects). */
  signal?: AbortSignal;
  /**
   * Messages held for a reader that does not keep up (default 10 000). The WebSocket interface
   * cannot pause a sender, so past this bound the readable errors and the socket closes with {@link READER_TOO_SLOW}.
   */
  maxUnreadMessages?: number;
}

/** `opened`'s value. */
export interface ReconnectingStreamOpenInfo {
  /** Every message of every connection, in order. */
  readonly readable: ReadableStream<StreamMessage>;
  /** Sends; queued (bounded) while down. A send the queue drops rejects its write. */
  readonly writable: WritableStream<SendData>;
  /** The subprotocol of the first connection. */
  readonly protocol: string;
  /** The extensions of the first connection. */
  readonly extensions: string;
}

/** `closed`'s value. */
export interface ReconnectingStreamCloseInfo {
  /** The last close code. */
  readonly closeCode: number;
  /** The last close reason. */
  readonly reason: string;
}

/** The close code sent when more than `maxUnreadMessages` waited for the reader (a client may not send 1008). */
export const READER_TOO_SLOW = 4008;

/**
 * A reconnecting `WebSocketStream`.
 *
 * ```ts
 * const wss = new ReconnectingWebSocketStream('wss://example.com/feed', { resume: true });
 * const { readable, writable } = await wss.opened;
 * for await (const message of readable) handle(message);
 * ```
 */
export class ReconnectingWebSocketStream {
  /** The underlying socket (its `reconnecting`, `resync`, ... events, `retryCount`). */
  readonly socket: ReconnectingWebSocket;
  /** Resolves at the first open; rejects if the socket stops before ever opening. */
  readonly opened: Promise<ReconnectingStreamOpenInfo>;
  /** Resolves when the socket stops for good (`close()`, `giveup`, abort). */
  readonly closed: Promise<ReconnectingStreamCloseInfo>;
  #last: ReconnectingStreamCloseInfo = { closeCode: 1006, reason: '' };
  readonly #finish: (error?: Error) => void;

  constructor(url: UrlProvider, options: ReconnectingStreamOptions = {}) {
    const { protocols, signal, maxUnreadMessages = 10_000, ...rest } = options;
    if (!(Number.isInteger(maxUnreadMessages) && maxUnreadMessages > 0)) {
      throw new RangeError(`maxUnreadMessages must be an integer > 0, got ${maxUnreadMessages}`);
    }
    const socket = new ReconnectingWebSocket(url, protocols, rest);
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    let readableController!: ReadableStreamDefaultController<StreamMessage>;
    const readable = new ReadableStream<StreamMessage>(
      {
        start: (controller) => {
          readableController = controller;
        },
        cancel: () => socket.close(),
      },
      { highWaterMark: 0 }, // desiredSize = -(unread messages)
    );
    const writable = new WritableStream<SendData>({
      write: (chunk) => {
        let dropped = false;
        const onDrop = () => {
          dropped = true;
        };
        socket.addEventListener('drop', onDrop);
        try {
          socket.send(chunk);
        } finally {
          socket.removeEventListener('drop', onDrop);
        }
        if (dropped) throw new RangeError('the send queue is full (maxEnqueuedMessages/Bytes)');
      },
      close: () => socket.close(),
      abort: () => socket.close(),
    });
    let everOpened = false;
    let settleOpened!: (info: ReconnectingStreamOpenInfo) => void;
    let failOpened!: (error: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      settleOpened = resolve;
      failOpened = reject;
    });
    this.opened.catch(() => {}); // observed through `closed` too; never unhandled
    let settleClosed!: (info: ReconnectingStreamCloseInfo) => void;
    this.closed = new Promise((resolve) => {
      settleClosed = resolve;
    });
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      if (!everOpened) failOpened(error ?? new Error('the WebSocket closed before opening'));
      try {
        if (error) readableController.error(error);
        else readableController.close();
      } catch {
        // already closed or errored by the reader
      }
      settleClosed(this.#last);
    };
    this.#finish = finish;
    socket.addEventListener('open', () => {
      if (everOpened) return;
      everOpened = true;
      settleOpened({
        readable,
        writable,
        protocol: socket.protocol,
        extensions: socket.extensions,
      });
    });
    socket.addEventListener('message', (event) => {
      if (done) return;
      const data = (event as MessageEvent).data as unknown;
      readableController.enqueue(
        typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer),
      );
      if ((readableController.desiredSize ?? 0) <= -maxUnreadMessages) {
        socket.close(READER_TOO_SLOW, 'reader too slow');
        finish(new RangeError(`more than ${maxUnreadMessages} unread messages`));
      }
    });
    socket.addEventListener('close', (event) => {
      const e = event as ReconnectCloseEvent;
      this.#last = { closeCode: e.code, reason: e.reason };
      if (socket.readyState === ReconnectingWebSocket.CLOSED) finish();
    });
    socket.addEventListener('giveup', (event) => {
      finish(everOpened ? undefined : new Error(`gave up: ${(event as GiveUpEvent).reason}`));
    });
    if (signal !== undefined) {
      const onAbort = () => {
        socket.close();
        finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  /** Closes the socket and stops reconnecting; `closed` resolves once it is closed. */
  close(info: { closeCode?: number; reason?: string } = {}): void {
    this.socket.close(info.closeCode, info.reason);
    // closed at once when no socket was open (waiting to retry): nothing more will fire
    if (this.socket.readyState === ReconnectingWebSocket.CLOSED) this.#finish();
  }
}
