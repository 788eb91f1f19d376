/**
 * `ReconnectingWebSocket`: the WHATWG `WebSocket` interface over a series of real WebSockets.
 * Owns the attempt loop (backoff with full jitter, connection timeout, `maxRetries`,
 * `shouldReconnect`), the bounded send queue, network-change retries, and the client side of
 * resumable sessions (see `wire.ts`). Portable: no `node:*`; the WebSocket class is injected.
 */
import {
  DropEvent,
  GiveUpEvent,
  type GiveUpReason,
  ReconnectCloseEvent,
  ReconnectingEvent,
  SessionEvent,
} from './events.js';
import { WebSocketEventTarget } from './handlers.js';
import {
  type BinaryType,
  type ProtocolsProvider,
  type ReconnectOptions,
  type ResolvedReconnectOptions,
  reconnectionDelay,
  resolveReconnectOptions,
  type SendData,
  type UrlProvider,
  type WebSocketLike,
} from './options.js';
import {
  globalWebSocket,
  messageSize,
  pageDocument,
  resolveProvider,
  statusOf,
  toBlob,
  validateCloseArguments,
} from './util.js';
import {
  formatResumeRequest,
  parseBinaryEnvelope,
  parseNotice,
  parseTextEnvelope,
  RESUME_NEW,
  RESUME_PARAM,
} from './wire.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

interface Queued {
  readonly data: SendData;
  readonly size: number;
}

/**
 * A WebSocket that reconnects. Same interface as the WHATWG `WebSocket` (events, `on*`,
 * `readyState`, `binaryType`, `bufferedAmount`, `send`, `close`, `protocol`, `extensions`,
 * `url`), plus `reconnect()`, `retryCount` and the events `reconnecting`, `drop`, `giveup`,
 * `resumed`, `resync`.
 *
 * ```ts
 * const ws = new ReconnectingWebSocket(() => `wss://example.com/live?token=${getToken()}`);
 * ws.addEventListener('reconnecting', (e) => show(`reconnecting in ${e.delay} ms`));
 * ws.onmessage = (e) => render(e.data);
 * ws.send('hello'); // queued until open, flushed in order
 * ```
 */
export class ReconnectingWebSocket extends WebSocketEventTarget {
  /** The socket is connecting or waiting to reconnect. */
  static readonly CONNECTING: 0 = 0;
  /** Open. */
  static readonly OPEN: 1 = 1;
  /** `close()` was called; waiting for the current socket to close. */
  static readonly CLOSING: 2 = 2;
  /** Closed and not reconnecting (after `close()`, or when it gave up). */
  static readonly CLOSED: 3 = 3;
  /** The socket is connecting or waiting to reconnect. */
  readonly CONNECTING: 0 = 0;
  /** Open. */
  readonly OPEN: 1 = 1;
  /** `close()` was called; waiting for the current socket to close. */
  readonly CLOSING: 2 = 2;
  /** Closed and not reconnecting. */
  readonly CLOSED: 3 = 3;

  readonly #options: ResolvedReconnectOptions;
  readonly #urlProvider: UrlProvider;
  readonly #protocolsProvider: ProtocolsProvider;
  #ws: WebSocketLike | null = null;
  #wsOpened = false;
  #lastStatus: number | undefined = undefined;
  #url = '';
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'blob';
  #retryCount = 0;
  /** Bumped whenever an attempt is abandoned, so late provider results are ignored. */
  #generation = 0;
  /** close() was called (CLOSING until the socket closes, then CLOSED). */
  #closeRequested = false;
  /** Not reconnecting: closed by the app or gave up. */
  #stopped = false;
  #retryTimer: unknown = null;
  #connectTimer: unknown = null;
  #uptimeTimer: unknown = null;
  readonly #queue: Queued[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #networkListening = false;
  // resumable sessions
  #session: { id: string; seq: number } | null = null;
  /** The current connection asked for resumption and its session notice has not arrived. */
  #awaitingNotice = false;
  /** The current connection is a resumable one (messages are wrapped). */
  #wrapped = false;

  /**
   * @param url The URL, or a provider called before every attempt (sync or async).
   * @param protocols Subprotocols, or a provider called before every attempt.
   * @param options See {@link ReconnectOptions}; validated here (RangeError/TypeError).
   */
  constructor(url: UrlProvider, protocols?: ProtocolsProvider, options?: ReconnectOptions) {
    super();
    this.#options = resolveReconnectOptions(options);
    if (
      url === undefined ||
      url === null ||
      (typeof url !== 'string' && typeof url !== 'function' && !(url instanceof URL))
    ) {
      throw new TypeError('url must be a string, a URL or a function returning one');
    }
    if (this.#options.WebSocket === undefined && typeof globalWebSocket() !== 'function') {
      throw new TypeError(
        'WebSocket: this runtime has no global WebSocket; pass a WebSocket class as the WebSocket option',
      );
    }
    this.#urlProvider = url;
    this.#protocolsProvider = protocols;
    if (typeof url !== 'function') this.#url = String(url);
    if (this.#options.startClosed) {
      this.#stopped = true;
    } else {
      this.#listenNetwork(true);
      this.#start();
    }
  }

  /** The URL of the current (or last) attempt. */
  get url(): string {
    return this.#url;
  }

  /** CONNECTING while connecting or waiting to retry, OPEN, CLOSING after `close()`, CLOSED when stopped. */
  get readyState(): number {
    if (this.#closeRequested) return this.#ws === null ? CLOSED : CLOSING;
    if (this.#stopped) return CLOSED;
    return this.#ws !== null && this.#ws.readyState === OPEN ? OPEN : CONNECTING;
  }

  /** The subprotocol the server selected on the current (or last) connection. */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions the server accepted on the current (or last) connection. */
  get extensions(): string {
    return this.#extensions;
  }

  /** `'blob'` (default) or `'arraybuffer'`. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (value !== 'blob' && value !== 'arraybuffer') return; // as the standard: ignored
    this.#binaryType = value;
    if (this.#ws !== null && !this.#wrapped && !this.#awaitingNotice) this.#ws.binaryType = value;
  }

  /** Bytes queued on the current socket plus bytes waiting in the reconnect queue. */
  get bufferedAmount(): number {
    return (this.#ws?.bufferedAmount ?? 0) + this.#queuedBytes;
  }

  /** Failed attempts since the last connection that stayed open `minUptime`. */
  get retryCount(): number {
    return this.#retryCount;
  }

  /** Messages waiting for the next open. */
  get queuedMessages(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** The resumable session id, once the server gave one (`resume: true`). */
  get sessionId(): string | undefined {
    return this.#session?.id;
  }

  /** The number of the last topic message received on the resumable session (0 before any). */
  get lastSeq(): number {
    return this.#session?.seq ?? 0;
  }

  /**
   * Sends at once when open; otherwise queues (in order, within `maxEnqueuedMessages` and
   * `maxEnqueuedBytes`) for the next open. A message past the bound fires `drop`.
   */
  send(data: SendData): void {
    const ws = this.#ws;
    if (ws !== null && ws.readyState === OPEN && this.queuedMessages === 0) {
      ws.send(data);
      return;
    }
    const size = messageSize(data);
    const o = this.#options;
    if (
      this.queuedMessages + 1 > o.maxEnqueuedMessages ||
      this.#queuedBytes + size > o.maxEnqueuedBytes
    ) {
      this.dispatchEvent(new DropEvent(data, size, 'queue-full'));
      return;
    }
    this.#queue.push({ data, size });
    this.#queuedBytes += size;
  }

  /**
   * Closes the current socket and stops reconnecting (the WHATWG `close`, same checks on
   * `code` and `reason`). Queued messages are kept for a later `reconnect()`.
   */
  close(code?: number, reason?: string): void {
    validateCloseArguments(code, reason);
    this.#closeRequested = true;
    this.#stopped = true;
    this.#abandonPending();
    this.#listenNetwork(false);
    const ws = this.#ws;
    if (ws !== null) {
      try {
        ws.close(code, reason);
      } catch {
        // an implementation that throws on close (e.g. while connecting): treat it as closed
        this.#socketClosed(ws, 1006, '', false);
      }
    }
  }

  /**
   * Closes the current socket (if any) and connects again at once, with the retry count reset.
   * Also starts a socket that gave up, was closed, or was created with `startClosed`.
   */
  reconnect(code?: number, reason?: string): void {
    validateCloseArguments(code, reason);
    this.#closeRequested = false;
    this.#stopped = false;
    this.#retryCount = 0;
    this.#abandonPending();
    this.#listenNetwork(true);
    const ws = this.#ws;
    if (ws !== null) {
      this.#detach(ws);
      try {
        ws.close(code ?? 1000, reason);
      } catch {
        // already failing; nothing to wait for
      }
      this.#dispatchClose(code ?? 1000, reason ?? '', false);
    }
    this.#start();
  }

  #abandonPending(): void {
    this.#generation++;
    const clock = this.#options.clock;
    for (const timer of [this.#retryTimer, this.#connectTimer, this.#uptimeTimer]) {
      if (timer !== null) clock.clearTimeout(timer);
    }
    this.#retryTimer = null;
    this.#connectTimer = null;
    this.#uptimeTimer = null;
  }

  /** One attempt: resolve the providers, construct the socket, arm the connection timeout. */
  #start(): void {
    const generation = ++this.#generation;
    const o = this.#options;
    this.#wsOpened = false;
    this.#lastStatus = undefined;
    this.#connectTimer = o.clock.setTimeout(() => {
      this.#connectTimer = null;
      if (generation === this.#generation) this.#attemptTimedOut();
    }, o.connectionTimeout);
    Promise.all([resolveProvider(this.#urlProvider), resolveProvider(this.#protocolsProvider)])
      .then(([url, protocols]) => {
        if (generation === this.#generation) this.#construct(String(url), protocols);
      })
      .catch((error: unknown) => {
        if (generation !== this.#generation) return;
        this.#failWithoutSocket(error);
      });
  }

  #construct(url: string, protocols: string | readonly string[] | undefined): void {
    const o = this.#options;
    this.#url = url;
    const target = o.resume ? this.#withResume(url) : url;
    const WebSocketClass = o.WebSocket ?? globalWebSocket()!;
    let ws: WebSocketLike;
    try {
      ws =
        protocols === undefined
          ? new WebSocketClass(target)
          : new WebSocketClass(target, protocols as string | string[]);
    } catch (error) {
      // A bad URL or subprotocol (SyntaxError): retrying the same input cannot help.
      if (error instanceof DOMException && error.name === 'SyntaxError') {
        this.#abandonPending();
        this.dispatchEvent(new Event('error'));
        this.#giveUp('invalid-url');
        return;
      }
      this.#failWithoutSocket(error);
      return;
    }
    this.#ws = ws;
    this.#awaitingNotice = o.resume;
    this.#wrapped = false;
    ws.binaryType = o.resume ? 'arraybuffer' : this.#binaryType;
    ws.addEventListener('open', this.#onOpen);
    ws.addEventListener('message', this.#onMessage);
    ws.addEventListener('error', this.#onError);
    ws.addEventListener('close', this.#onClose);
  }

  #withResume(url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return url; // the WebSocket constructor reports the bad URL
    }
    const s = this.#session;
    parsed.searchParams.set(
      RESUME_PARAM,
      s === null ? RESUME_NEW : formatResumeRequest(s.id, s.seq),
    );
    return parsed.href;
  }

  #detach(ws: WebSocketLike): void {
    ws.removeEventListener('open', this.#onOpen);
    ws.removeEventListener('message', this.#onMessage);
    ws.removeEventListener('error', this.#onError);
    ws.removeEventListener('close', this.#onClose);
    if (this.#ws === ws) this.#ws = null;
  }

  readonly #onOpen = (event: Event): void => {
    const ws = event.target as WebSocketLike;
    if (ws !== this.#ws) return;
    const o = this.#options;
    if (this.#connectTimer !== null) o.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    this.#wsOpened = true;
    this.#protocol = ws.protocol;
    this.#extensions = ws.extensions;
    this.#uptimeTimer = o.clock.setTimeout(() => {
      this.#uptimeTimer = null;
      this.#retryCount = 0;
    }, o.minUptime);
    this.#flush(ws);
    this.dispatchEvent(new Event('open'));
  };

  #flush(ws: WebSocketLike): void {
    while (this.#queueHead < this.#queue.length && ws.readyState === OPEN) {
      const item = this.#queue[this.#queueHead]!;
      this.#queue[this.#queueHead++] = undefined as unknown as Queued;
      this.#queuedBytes -= item.size;
      ws.send(item.data);
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue.length = 0;
      this.#queueHead = 0;
    }
  }

  readonly #onMessage = (event: Event): void => {
    const ws = event.target as WebSocketLike;
    if (ws !== this.#ws) return;
    const data = (event as MessageEvent).data as unknown;
    const origin = (event as MessageEvent).origin;
    if (this.#awaitingNotice) {
      this.#awaitingNotice = false;
      if (this.#acceptNotice(data)) return;
      // The server does not speak the resume protocol: a plain connection.
      ws.binaryType = this.#binaryType;
      this.#dispatchMessage(this.#binaryType === 'blob' ? toBlob(data) : data, origin);
      return;
    }
    if (!this.#wrapped) {
      this.#dispatchMessage(data, origin);
      return;
    }
    this.#unwrap(data, origin);
  };

  #acceptNotice(data: unknown): boolean {
    if (typeof data !== 'string') return false;
    const header = parseTextEnvelope(data);
    if (header === null || header.kind !== 's') return false;
    const notice = parseNotice(data.slice(header.offset));
    if (notice === null) return false;
    this.#wrapped = true;
    const previous = this.#session;
    this.#session = { id: notice.id, seq: notice.seq };
    if (notice.resumed) {
      this.dispatchEvent(new SessionEvent('resumed', notice.id, notice.seq));
    } else if (notice.resync || previous !== null) {
      this.dispatchEvent(new SessionEvent('resync', notice.id, notice.seq, 'expired'));
    } else {
      this.dispatchEvent(new SessionEvent('session', notice.id, notice.seq));
    }
    return true;
  }

  #unwrap(data: unknown, origin: string): void {
    let payload: unknown;
    let header: ReturnType<typeof parseTextEnvelope>;
    if (typeof data === 'string') {
      header = parseTextEnvelope(data);
      payload = header === null ? data : data.slice(header.offset);
    } else if (data instanceof ArrayBuffer) {
      header = parseBinaryEnvelope(new Uint8Array(data));
      const body = header === null ? data : data.slice(header.offset);
      payload = this.#binaryType === 'blob' ? new Blob([body]) : body;
    } else {
      header = null;
      payload = data;
    }
    if (header !== null && header.kind === 'm') {
      const session = this.#session!;
      if (header.seq <= session.seq) return; // already delivered: exactly once
      if (header.seq !== session.seq + 1) {
        this.dispatchEvent(new SessionEvent('resync', session.id, session.seq, 'gap'));
      }
      session.seq = header.seq;
    } else if (header !== null && header.kind === 's') {
      return; // a notice mid-connection is not part of the protocol: ignore it
    }
    this.#dispatchMessage(payload, origin);
  }

  #dispatchMessage(data: unknown, origin: string): void {
    this.dispatchEvent(new MessageEvent('message', { data, origin }));
  }

  readonly #onError = (event: Event): void => {
    if (event.target !== this.#ws) return;
    this.#lastStatus = statusOf(event) ?? this.#lastStatus;
    this.dispatchEvent(new Event('error'));
  };

  readonly #onClose = (event: Event): void => {
    const ws = event.target as WebSocketLike;
    if (ws !== this.#ws) return;
    const e = event as unknown as { code: number; reason: string; wasClean: boolean };
    this.#socketClosed(ws, e.code, e.reason, e.wasClean);
  };

  #attemptTimedOut(): void {
    const ws = this.#ws;
    this.#generation++;
    if (ws !== null) {
      this.#detach(ws);
      try {
        ws.close();
      } catch {
        // some implementations throw while connecting; the socket is dropped either way
      }
    }
    this.dispatchEvent(new Event('error'));
    this.#afterClose(1006, 'connection timeout', false, false);
  }

  #failWithoutSocket(_error: unknown): void {
    this.#generation++;
    const clock = this.#options.clock;
    if (this.#connectTimer !== null) clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    this.dispatchEvent(new Event('error'));
    this.#afterClose(1006, '', false, false);
  }

  #socketClosed(ws: WebSocketLike, code: number, reason: string, wasClean: boolean): void {
    const opened = this.#wsOpened;
    this.#detach(ws);
    const clock = this.#options.clock;
    for (const timer of [this.#connectTimer, this.#uptimeTimer]) {
      if (timer !== null) clock.clearTimeout(timer);
    }
    this.#connectTimer = null;
    this.#uptimeTimer = null;
    this.#afterClose(code, reason, wasClean, opened);
  }

  #dispatchClose(code: number, reason: string, wasClean: boolean): ReconnectCloseEvent {
    const event = new ReconnectCloseEvent('close', { code, reason, wasClean });
    this.dispatchEvent(event);
    return event;
  }

  /** After a socket (or an attempt without one) ended: report it, then retry or stop. */
  #afterClose(code: number, reason: string, wasClean: boolean, opened: boolean): void {
    this.#awaitingNotice = false;
    this.#wrapped = false;
    const before = this.#generation;
    const event = this.#dispatchClose(code, reason, wasClean);
    // a close listener called reconnect() (a new attempt runs) or close(): nothing more to do
    if (before !== this.#generation && !this.#stopped) return;
    if (this.#closeRequested || this.#stopped) {
      this.#stopped = true;
      return;
    }
    const o = this.#options;
    const info = { attempt: this.#retryCount + 1, opened, status: this.#lastStatus };
    let retry: boolean;
    try {
      retry = o.shouldReconnect(event, info);
    } catch (error) {
      retry = false;
      queueMicrotask(() => {
        throw error;
      });
    }
    if (this.#stopped) return; // a close listener called close()
    if (!retry) {
      this.#giveUp('shouldReconnect');
      return;
    }
    this.#retryCount++;
    if (this.#retryCount > o.maxRetries) {
      this.#retryCount--;
      this.#giveUp('maxRetries');
      return;
    }
    const delay = reconnectionDelay(o, this.#retryCount);
    const generation = ++this.#generation;
    this.#retryTimer = o.clock.setTimeout(() => {
      this.#retryTimer = null;
      if (generation === this.#generation) this.#start();
    }, delay);
    this.dispatchEvent(new ReconnectingEvent(this.#retryCount, delay));
  }

  #giveUp(reason: GiveUpReason): void {
    this.#stopped = true;
    this.#abandonPending();
    this.#listenNetwork(false);
    this.dispatchEvent(new GiveUpEvent(reason, this.#retryCount));
  }

  /** Retry at once if an attempt is only waiting for its backoff delay. */
  #retryNow = (): void => {
    if (this.#retryTimer === null || this.#stopped) return;
    if (pageDocument()?.visibilityState === 'hidden') return;
    this.#options.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#start();
  };

  #listenNetwork(on: boolean): void {
    if (!this.#options.retryOnNetworkChange || on === this.#networkListening) return;
    const g = globalThis as {
      addEventListener?: EventTarget['addEventListener'];
      removeEventListener?: EventTarget['removeEventListener'];
    };
    const doc = pageDocument();
    if (typeof g.addEventListener !== 'function') return;
    this.#networkListening = on;
    if (on) {
      g.addEventListener('online', this.#retryNow);
      doc?.addEventListener('visibilitychange', this.#retryNow);
    } else {
      g.removeEventListener?.('online', this.#retryNow);
      doc?.removeEventListener('visibilitychange', this.#retryNow);
    }
  }
}
