/**
 * The WHATWG `WebSocketStream`: a WebSocket as a `ReadableStream` of messages and a
 * `WritableStream` of messages, with backpressure both ways — a reader that falls behind
 * stops the socket being read; a socket that cannot keep up holds the writer's promises.
 */

import { isAnyArrayBuffer, isSharedArrayBuffer } from 'node:util/types';
import {
  createConnectionError,
  domException,
  toUSVString,
  validateCloseInfo,
  WebSocketError,
} from './dom.js';
import { toArrayBuffer } from './events.js';
import { normalizeOptions, type WebSocketOptions } from './options.js';
import { ClientSession, type SessionListener } from './session.js';
import { parseClientUrl, parseProtocolList } from './url.js';

/** Options of `new WebSocketStream(url, options)`: the standard's plus the Node extras. */
export interface WebSocketStreamOptions extends WebSocketOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: readonly string[];
  /** Aborts the opening handshake (no effect once open). */
  signal?: AbortSignal;
}

/** A message read from a `WebSocketStream`: a string (text) or a `Uint8Array` (binary). */
export type WebSocketStreamMessage = string | Uint8Array;

/** What a `WebSocketStream` accepts to write: text (a string) or binary (a `BufferSource`). */
export type WebSocketStreamChunk = string | ArrayBuffer | ArrayBufferView;

/** What `opened` resolves with. */
export interface WebSocketOpenInfo {
  /** Received messages. Cancelling it closes the connection. */
  readable: ReadableStream<WebSocketStreamMessage>;
  /** Messages to send. Closing it starts the closing handshake; aborting it closes too. */
  writable: WritableStream<WebSocketStreamChunk>;
  /** The extensions the server selected. */
  extensions: string;
  /** The subprotocol the server selected, or `''`. */
  protocol: string;
}

/** What `closed` resolves with. */
export interface WebSocketStreamCloseInfo {
  /** The close code the server sent (1005 when none). */
  closeCode: number;
  /** The close reason the server sent. */
  reason: string;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Marked as handled: a failure is reported through both promises and the streams, and an
  // unobserved one must not crash a Node process as an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Messages queued in the readable side before the socket stops being read. */
const READABLE_HIGH_WATER_MARK = 16;

/**
 * A WebSocket client with WHATWG streams (the `WebSocketStream` of the WebSockets Standard).
 *
 * ```ts
 * const wss = new WebSocketStream('wss://example.com/feed', { protocols: ['v1'] });
 * const { readable, writable } = await wss.opened;
 * const writer = writable.getWriter();
 * await writer.write('subscribe');
 * for await (const message of readable) console.log(message);
 * const { closeCode, reason } = await wss.closed;
 * ```
 */
export class WebSocketStream {
  readonly #url: string;
  readonly #opened = deferred<WebSocketOpenInfo>();
  readonly #closed = deferred<WebSocketStreamCloseInfo>();
  /** null when the signal was aborted before construction: no connection was ever started. */
  readonly #session: ClientSession | null;
  #state = CONNECTING;
  #wasEverConnected = false;
  /** No extension was negotiated: received bytes come straight from the engine. */
  #engineOwned = false;
  #handshakeAborted = false;
  #readable: ReadableStreamDefaultController<WebSocketStreamMessage> | null = null;
  #readableDone = false;
  #writable: WritableStreamDefaultController | null = null;
  #writableClosePromise: Deferred<void> | null = null;

  /**
   * @param url - a `ws:`, `wss:`, `http:` or `https:` URL without a fragment
   * @param options - `protocols`, `signal` and the Node extras of `WebSocket`
   * @throws SyntaxError DOMException for an invalid URL or protocol list. A signal already
   *   aborted starts no connection: `opened` and `closed` reject with its reason.
   */
  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    // biome-ignore lint/complexity/noArguments: Web IDL counts the arguments actually passed
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to construct 'WebSocketStream': 1 argument required, but only 0 present.",
      );
    }
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeError("Failed to construct 'WebSocketStream': options must be an object");
    }
    const opts = options ?? {};
    const urlRecord = parseClientUrl(toUSVString(url));
    const signal = opts.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError("Failed to construct 'WebSocketStream': signal must be an AbortSignal");
    }
    let protocols: string[] = [];
    if (opts.protocols !== undefined) {
      if (
        typeof opts.protocols !== 'object' ||
        opts.protocols === null ||
        typeof (opts.protocols as Iterable<string>)[Symbol.iterator] !== 'function'
      ) {
        throw new TypeError("Failed to construct 'WebSocketStream': protocols must be a sequence");
      }
      protocols = parseProtocolList(Array.from(opts.protocols, (p) => toUSVString(p)));
    }
    this.#url = urlRecord.href;
    const normalized = normalizeOptions(opts);
    if (signal?.aborted) {
      // WHATWG: "If signal is aborted, reject opened and closed with its abort reason, return."
      this.#session = null;
      this.#handshakeAborted = true;
      this.#state = CLOSED;
      this.#opened.reject(signal.reason);
      this.#closed.reject(signal.reason);
      return;
    }
    this.#session = new ClientSession(urlRecord, protocols, normalized, this.#listener());
    signal?.addEventListener('abort', () => this.#abortHandshake(signal.reason), { once: true });
  }

  /** The URL the connection was established with, serialized. */
  get url(): string {
    return this.#url;
  }

  /** Resolves once open, with the streams, the extensions and the subprotocol. */
  get opened(): Promise<WebSocketOpenInfo> {
    return this.#opened.promise;
  }

  /** Resolves with the close code and reason after a clean close; rejects otherwise. */
  get closed(): Promise<WebSocketStreamCloseInfo> {
    return this.#closed.promise;
  }

  /**
   * Closes the connection (or abandons the handshake).
   * @param closeInfo - `closeCode` (1000 or 3000-4999, else InvalidAccessError) and
   *   `reason` (at most 123 UTF-8 bytes, else SyntaxError); a reason alone implies 1000
   */
  close(closeInfo?: { closeCode?: number; reason?: string }): void {
    const { code, reason } = validateCloseInfo(closeInfo);
    this.#closeWebSocket(code, reason);
  }

  #closeWebSocket(code: number | null, reason: string): void {
    const state = this.#state;
    if (state === CLOSING || state === CLOSED) return;
    this.#state = CLOSING;
    if (state === CONNECTING) {
      this.#session?.destroy(new Error('WebSocketStream closed before it was open'), true);
      return;
    }
    this.#session?.close(code, reason === '' ? null : reason);
    // The server's close frame must be read even if nobody reads the messages before it.
    this.#ignoreBackpressure = true;
    this.#session?.resumeReading();
  }

  #ignoreBackpressure = false;

  /** The cancel/abort algorithms: a `WebSocketError` reason carries the code to send. */
  #closeUsing(reason: unknown): void {
    let code: number | null = null;
    let text = '';
    if (reason instanceof WebSocketError) {
      code = reason.closeCode;
      text = reason.reason;
    }
    this.#closeWebSocket(code, text);
  }

  #abortHandshake(reason: unknown): void {
    if (this.#state !== CONNECTING) return;
    this.#handshakeAborted = true;
    this.#state = CLOSING;
    this.#session?.destroy(reason, true);
    this.#opened.reject(reason);
    this.#closed.reject(reason);
  }

  #write(chunk: unknown): Promise<void> | undefined {
    let data: Uint8Array;
    let isBinary = true;
    if (ArrayBuffer.isView(chunk)) {
      if (isSharedArrayBuffer(chunk.buffer)) throw new TypeError('A shared buffer cannot be sent');
      data = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } else if (isAnyArrayBuffer(chunk)) {
      if (isSharedArrayBuffer(chunk)) throw new TypeError('A shared buffer cannot be sent');
      data = new Uint8Array(chunk);
    } else {
      data = Buffer.from(toUSVString(chunk), 'utf8');
      isBinary = false;
    }
    if (this.#state !== OPEN) return undefined; // the closing handshake started: not sent
    if (!this.#session?.send(data, isBinary)) return undefined;
    // "Wait until there is sufficient buffer space": the write settles once the message is
    // in the socket and the socket is below its high-water mark.
    return new Promise<void>((resolve) => this.#session?.whenWritable(resolve));
  }

  // The one place the client keeps per-connection closures: a WebSocketStream makes a
  // ReadableStream and a WritableStream whose underlying source and sink are callbacks per
  // stream anyway (WHATWG Streams); the WebSocket and the session use the shared-table idiom.
  #listener(): SessionListener {
    return {
      onOpen: (protocol: string, extensions: string): void => {
        if (this.#handshakeAborted || this.#state !== CONNECTING) return;
        this.#state = OPEN;
        this.#wasEverConnected = true;
        this.#engineOwned = extensions === '';
        const readable = new ReadableStream<WebSocketStreamMessage>(
          {
            start: (controller) => {
              this.#readable = controller;
            },
            pull: () => {
              this.#session?.resumeReading();
            },
            cancel: (reason) => {
              this.#readableDone = true;
              this.#closeUsing(reason);
            },
          },
          new CountQueuingStrategy({ highWaterMark: READABLE_HIGH_WATER_MARK }),
        );
        const writable = new WritableStream<WebSocketStreamChunk>({
          start: (controller) => {
            this.#writable = controller;
          },
          write: (chunk) => this.#write(chunk),
          close: () => {
            const done = deferred<void>();
            this.#writableClosePromise = done;
            this.#closeWebSocket(null, '');
            return done.promise;
          },
          abort: (reason) => {
            this.#closeUsing(reason);
          },
        });
        this.#opened.resolve({ readable, writable, extensions, protocol });
      },
      onMessage: (data: Uint8Array, isBinary: boolean): void => {
        const controller = this.#readable;
        if (controller === null || this.#readableDone) return;
        let chunk: WebSocketStreamMessage;
        if (!isBinary) {
          chunk = (
            Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.length)
          ).toString('utf8');
        } else {
          // A message the engine assembled into its own buffer is handed over without a copy.
          chunk = new Uint8Array(toArrayBuffer(data, this.#engineOwned));
        }
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 1) <= 0 && !this.#ignoreBackpressure) {
          this.#session?.pauseReading();
        }
      },
      onClosing: (): void => {
        if (this.#state === OPEN) this.#state = CLOSING;
      },
      onWritten: (): void => {},
      onClose: (wasClean: boolean, code: number, reason: string): void => {
        this.#state = CLOSED;
        if (this.#handshakeAborted) return;
        if (!this.#wasEverConnected) {
          // As Chromium reports it: `opened` without a code, `closed` with the 1006 of an
          // abnormal closure.
          this.#opened.reject(
            createConnectionError('WebSocket closed before handshake complete.', null, ''),
          );
          this.#closed.reject(
            createConnectionError('WebSocket was not cleanly closed.', code, reason),
          );
          return;
        }
        const readable = this.#readable;
        const writable = this.#writable;
        if (wasClean) {
          this.#writableClosePromise?.resolve();
          if (readable !== null && !this.#readableDone) {
            this.#readableDone = true;
            readable.close();
          }
          writable?.error(domException('InvalidStateError', 'The WebSocket connection is closed'));
          this.#closed.resolve({ closeCode: code, reason });
          return;
        }
        const error = createConnectionError('WebSocket was not cleanly closed.', code, reason);
        this.#writableClosePromise?.reject(error);
        if (readable !== null && !this.#readableDone) {
          this.#readableDone = true;
          readable.error(error);
        }
        writable?.error(error);
        this.#closed.reject(error);
      },
    };
  }
}

Object.defineProperty(WebSocketStream.prototype, Symbol.toStringTag, {
  value: 'WebSocketStream',
  configurable: true,
});
