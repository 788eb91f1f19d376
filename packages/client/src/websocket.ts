/**
 * The WHATWG `WebSocket` interface (WebSockets Standard §3-4) on top of a {@link ClientSession}.
 *
 * Event timing: as the standard says, each of "the connection is established", "a message has
 * been received", "the closing handshake has started" and "the connection is closed" queues a
 * task of its own (a `setImmediate` each, run in order from one FIFO), and the attribute
 * changes happen inside that task. So events are never dispatched synchronously inside a
 * method call, and microtasks queued by one listener run before the next event: several
 * frames arriving in one socket read still reach the page as separate tasks, as in browsers.
 */

import { isAnyArrayBuffer, isSharedArrayBuffer } from 'node:util/types';
import {
  CloseEvent,
  checkCloseArguments,
  domException,
  toClampedUnsignedShort,
  toUSVString,
} from './dom.js';
import {
  errorEvent,
  type PendingTask,
  setWebSocketMethods,
  TASK_CLOSING,
  TASK_MESSAGE,
  TASK_OPEN,
  TASK_PONG,
  toArrayBuffer,
  toBuffer,
  WebSocketEvents,
} from './events.js';
import { type NormalizedOptions, normalizeOptions, type WebSocketOptions } from './options.js';
import { ClientSession, type SessionListener } from './session.js';
import { parseClientUrl, parseProtocolList } from './url.js';

/** How binary messages are exposed: `Blob` (the default) or `ArrayBuffer`. */
export type BinaryType = 'blob' | 'arraybuffer';

/** What `send()` accepts. */
export type WebSocketData = string | ArrayBufferLike | ArrayBufferView | Blob;

/** The second constructor argument may carry the protocols and the Node options together. */
export interface WebSocketInit extends WebSocketOptions {
  /** Subprotocols to offer, most preferred first. */
  protocols?: string | readonly string[];
}

type HandlerType = 'open' | 'message' | 'error' | 'close';
type EventHandler = ((this: WebSocket, event: Event) => unknown) | object | null;

/** The events a `WebSocket` fires, by type. */
export interface WebSocketEventMap {
  open: Event;
  message: MessageEvent;
  error: Event;
  close: CloseEvent;
  /** Node extra: a pong frame arrived (`data`: its payload as an `ArrayBuffer`). */
  pong: MessageEvent;
}

/** An `on*` event handler attribute's value. */
export type WebSocketEventHandler<E extends Event> =
  | ((this: WebSocket, event: E) => unknown)
  | null;

interface HandlerSlot {
  value: EventHandler;
  listener: ((event: Event) => void) | null;
}

type AnyListener = Parameters<EventTarget['addEventListener']>[1];
type AddOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2];

/** Typed listeners for the events of {@link WebSocketEventMap} (type-only, merged into the class). */
export interface WebSocket {
  addEventListener<K extends keyof WebSocketEventMap>(
    type: K,
    listener: (this: WebSocket, event: WebSocketEventMap[K]) => unknown,
    options?: AddOptions,
  ): void;
  addEventListener(type: string, listener: AnyListener, options?: AddOptions): void;
  removeEventListener<K extends keyof WebSocketEventMap>(
    type: K,
    listener: (this: WebSocket, event: WebSocketEventMap[K]) => unknown,
    options?: RemoveOptions,
  ): void;
  removeEventListener(type: string, listener: AnyListener, options?: RemoveOptions): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** A send that waits behind a Blob being read, or the close that follows such sends. */
type QueuedItem =
  | { kind: 'data'; data: Uint8Array; isBinary: boolean }
  | { kind: 'blob'; blob: Blob }
  | { kind: 'close'; code: number | null; reason: string | null };

function isPlainOptionsObject(value: unknown): value is WebSocketInit {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  );
}

/**
 * A WebSocket client that behaves like the browser's (WHATWG WebSockets Standard), for Node.js.
 *
 * ```ts
 * const ws = new WebSocket('wss://example.com/chat', ['chat.v2']);
 * ws.binaryType = 'arraybuffer';
 * ws.onopen = () => ws.send('hello');
 * ws.onmessage = (event) => console.log(event.data);
 * ws.onclose = (event) => console.log(event.code, event.reason, event.wasClean);
 * ```
 *
 * Node extras go in a third argument (or in the second, as an object with `protocols`).
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface only adds typed overloads of EventTarget's own methods
export class WebSocket extends EventTarget {
  static {
    setWebSocketMethods({
      queue: (ws, task) => (ws as WebSocket).#queueTask(task),
      written: (ws, bytes) => {
        (ws as WebSocket).#bufferedAmount -= bytes;
      },
    });
  }

  /** The connection has not yet been established. */
  declare static readonly CONNECTING: 0;
  /** The connection is established and communication is possible. */
  declare static readonly OPEN: 1;
  /** The closing handshake is under way, or `close()` was called. */
  declare static readonly CLOSING: 2;
  /** The connection has been closed or could not be opened. */
  declare static readonly CLOSED: 3;
  /** The connection has not yet been established. */
  declare readonly CONNECTING: 0;
  /** The connection is established and communication is possible. */
  declare readonly OPEN: 1;
  /** The closing handshake is under way, or `close()` was called. */
  declare readonly CLOSING: 2;
  /** The connection has been closed or could not be opened. */
  declare readonly CLOSED: 3;

  readonly #url: string;
  readonly #origin: string;
  #readyState: number = CONNECTING;
  #bufferedAmount = 0;
  #extensions = '';
  #protocol = '';
  #binaryType: BinaryType = 'blob';
  readonly #session: ClientSession;
  readonly #options: NormalizedOptions;
  #queue: QueuedItem[] | null = null;
  /** Event tasks not run yet, in order (see the module comment). */
  readonly #tasks: PendingTask[] = [];
  #taskHead = 0;
  readonly #handlers: Record<HandlerType, HandlerSlot> = {
    open: { value: null, listener: null },
    message: { value: null, listener: null },
    error: { value: null, listener: null },
    close: { value: null, listener: null },
  };

  /**
   * @param url - a `ws:`, `wss:`, `http:` or `https:` URL without a fragment
   * @param protocols - a subprotocol or a list of them (tokens, no duplicates); or an object
   *   `{ protocols, ...options }`
   * @param options - Node extras (headers, TLS, timeouts, limits, compression, proxy,
   *   heartbeat, HTTP/2)
   * @throws SyntaxError DOMException for an invalid URL, scheme, fragment or protocol list
   */
  constructor(
    url: string | URL,
    protocols?: string | readonly string[] | WebSocketInit,
    options?: WebSocketOptions,
  ) {
    super();
    // biome-ignore lint/complexity/noArguments: Web IDL counts the arguments actually passed
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to construct 'WebSocket': 1 argument required, but only 0 present.",
      );
    }
    let opts: WebSocketOptions | undefined = options;
    let protocolInput: unknown = protocols;
    if (isPlainOptionsObject(protocols)) {
      opts = { ...protocols, ...options };
      protocolInput = protocols.protocols;
    }
    const urlRecord = parseClientUrl(toUSVString(url));
    const protocolList = parseProtocolList(protocolInput);
    this.#options = normalizeOptions(opts);
    this.#url = urlRecord.href;
    this.#origin = urlRecord.origin;
    this.#session = new ClientSession(urlRecord, protocolList, this.#options, this.#listener());
  }

  /** The URL the connection was established with, serialized. */
  get url(): string {
    return this.#url;
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): number {
    return this.#readyState;
  }

  /**
   * Bytes of application data queued by `send()` and not yet written to the network (framing
   * and compression excluded). Data sent once closing has started stays counted forever.
   */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** The extensions the server selected (the response's `Sec-WebSocket-Extensions`). */
  get extensions(): string {
    return this.#extensions;
  }

  /** The subprotocol the server selected, or `''`. */
  get protocol(): string {
    return this.#protocol;
  }

  /** `'blob'` (default) or `'arraybuffer'`; other values are ignored. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    const v = String(value);
    if (v === 'blob' || v === 'arraybuffer') this.#binaryType = v;
  }

  /** Handler of `open` events. */
  get onopen(): WebSocketEventHandler<Event> {
    return this.#handlers.open.value as WebSocketEventHandler<Event>;
  }
  set onopen(value: WebSocketEventHandler<Event>) {
    this.#setHandler('open', value);
  }
  /** Handler of `message` events. */
  get onmessage(): WebSocketEventHandler<MessageEvent> {
    return this.#handlers.message.value as WebSocketEventHandler<MessageEvent>;
  }
  set onmessage(value: WebSocketEventHandler<MessageEvent>) {
    this.#setHandler('message', value);
  }
  /** Handler of `error` events. */
  get onerror(): WebSocketEventHandler<Event> {
    return this.#handlers.error.value as WebSocketEventHandler<Event>;
  }
  set onerror(value: WebSocketEventHandler<Event>) {
    this.#setHandler('error', value);
  }
  /** Handler of `close` events. */
  get onclose(): WebSocketEventHandler<CloseEvent> {
    return this.#handlers.close.value as WebSocketEventHandler<CloseEvent>;
  }
  set onclose(value: WebSocketEventHandler<CloseEvent>) {
    this.#setHandler('close', value);
  }

  /**
   * Node extra (browsers cannot ping): sends a ping frame; the server's pong fires a `pong`
   * event (`MessageEvent` with the payload as an `ArrayBuffer`). Pings may overtake messages
   * still queued. A no-op once closing.
   * @param data - at most 125 bytes (a string as UTF-8), else RangeError
   * @throws InvalidStateError DOMException while CONNECTING
   */
  ping(data?: string | ArrayBuffer | ArrayBufferView): void {
    if (this.#readyState === CONNECTING) {
      throw domException(
        'InvalidStateError',
        "Failed to execute 'ping' on 'WebSocket': Still in CONNECTING state.",
      );
    }
    let bytes: Uint8Array;
    if (data === undefined) bytes = new Uint8Array(0);
    else if (typeof data === 'string') bytes = Buffer.from(data, 'utf8');
    else if (ArrayBuffer.isView(data)) {
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    } else bytes = new Uint8Array(data).slice();
    if (bytes.byteLength > 125) {
      throw new RangeError(`a ping carries at most 125 bytes, got ${bytes.byteLength}`);
    }
    if (this.#readyState !== OPEN) return;
    this.#session.ping(bytes);
  }

  /**
   * Sends a message: text for a string, binary for an `ArrayBuffer`, a view or a `Blob`.
   * @throws InvalidStateError DOMException while CONNECTING
   */
  send(data: WebSocketData): void {
    // biome-ignore lint/complexity/noArguments: Web IDL counts the arguments actually passed
    if (arguments.length === 0) {
      throw new TypeError(
        "Failed to execute 'send' on 'WebSocket': 1 argument required, but only 0 present.",
      );
    }
    if (this.#readyState === CONNECTING) {
      throw domException(
        'InvalidStateError',
        "Failed to execute 'send' on 'WebSocket': Still in CONNECTING state.",
      );
    }
    let item: QueuedItem;
    let size: number;
    if (typeof data === 'string') {
      const bytes = Buffer.from(data, 'utf8');
      size = bytes.byteLength;
      item = { kind: 'data', data: bytes, isBinary: false };
    } else if (ArrayBuffer.isView(data)) {
      if (isSharedArrayBuffer(data.buffer)) {
        throw new TypeError(
          "Failed to execute 'send' on 'WebSocket': The provided ArrayBufferView value must not be shared.",
        );
      }
      size = data.byteLength;
      item = {
        kind: 'data',
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        isBinary: true,
      };
    } else if (isAnyArrayBuffer(data)) {
      if (isSharedArrayBuffer(data)) {
        throw new TypeError(
          "Failed to execute 'send' on 'WebSocket': The provided ArrayBuffer value must not be shared.",
        );
      }
      size = data.byteLength;
      item = { kind: 'data', data: new Uint8Array(data), isBinary: true };
    } else if (data instanceof Blob) {
      size = data.size;
      item = { kind: 'blob', blob: data };
    } else {
      const bytes = Buffer.from(toUSVString(data), 'utf8');
      size = bytes.byteLength;
      item = { kind: 'data', data: bytes, isBinary: false };
    }
    this.#bufferedAmount += size;
    if (this.#readyState !== OPEN) return; // closing started: counted, never sent
    if (this.#bufferedAmount > this.#options.maxBufferedAmount) {
      // "flag the WebSocket as full and then close the WebSocket connection"
      this.#session.destroy('the send buffer is full (maxBufferedAmount)', true);
      return;
    }
    if (this.#queue !== null) {
      this.#queue.push(item);
      return;
    }
    if (item.kind === 'blob') {
      this.#queue = [item];
      this.#drainQueue().catch((error: unknown) => {
        // Nothing in the queue should throw; if it does, fail the connection rather than
        // leave an unhandled rejection.
        this.#session.destroy(error, true);
      });
      return;
    }
    if (!this.#session.send(item.data, item.isBinary)) {
      // The connection cannot take it (a failure is on its way): the bytes stay counted.
    }
  }

  /**
   * Starts the closing handshake (or fails a connection still being established).
   * @param code - 1000 or 3000-4999, else InvalidAccessError
   * @param reason - at most 123 UTF-8 bytes, else SyntaxError
   */
  close(code?: number, reason?: string): void {
    const c = code === undefined ? null : toClampedUnsignedShort(code);
    const r = reason === undefined ? null : toUSVString(reason);
    checkCloseArguments(c, r);
    const state = this.#readyState;
    if (state === CLOSING || state === CLOSED) return;
    this.#readyState = CLOSING;
    if (state === CONNECTING) {
      this.#session.destroy('WebSocket was closed before the connection was established', true);
      return;
    }
    if (this.#queue !== null) {
      this.#queue.push({ kind: 'close', code: c, reason: r });
      return;
    }
    this.#session.close(c, r);
  }

  async #drainQueue(): Promise<void> {
    const queue = this.#queue;
    if (queue === null) return;
    while (queue.length > 0) {
      const item = queue[0]!;
      if (item.kind === 'blob') {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await item.blob.arrayBuffer());
        } catch {
          // An unreadable Blob cannot be sent: fail the connection as the standard does for
          // data that cannot be sent.
          this.#session.destroy('a Blob could not be read', true);
          this.#queue = null;
          return;
        }
        this.#session.send(bytes, true);
      } else if (item.kind === 'data') {
        this.#session.send(item.data, item.isBinary);
      } else {
        this.#session.close(item.code, item.reason);
      }
      queue.shift();
    }
    this.#queue = null;
  }

  #setHandler(type: HandlerType, value: unknown): void {
    const slot = this.#handlers[type];
    const handler =
      typeof value === 'function' || (typeof value === 'object' && value !== null)
        ? (value as EventHandler)
        : null;
    if (handler === null) {
      if (slot.listener !== null) {
        this.removeEventListener(type, slot.listener);
        slot.listener = null;
      }
      slot.value = null;
      return;
    }
    slot.value = handler;
    if (slot.listener === null) {
      const listener = (event: Event): void => {
        const fn = slot.value;
        // [LegacyTreatNonObjectAsNull]: a non-callable object is kept but does nothing.
        if (typeof fn !== 'function') return;
        const result = (fn as (this: WebSocket, event: Event) => unknown).call(this, event);
        if (result === false) event.preventDefault();
      };
      slot.listener = listener;
      this.addEventListener(type, listener);
    }
  }

  #listener(): SessionListener {
    return new WebSocketEvents(this);
  }

  #queueTask(task: PendingTask): void {
    this.#tasks.push(task);
    setImmediate(runNextTask, this);
  }

  /** Runs the oldest queued event task. Called once per queued task, in order. */
  runNextTask(): void {
    const tasks = this.#tasks;
    const task = tasks[this.#taskHead]!;
    tasks[this.#taskHead] = undefined as unknown as PendingTask;
    if (++this.#taskHead === tasks.length) {
      tasks.length = 0;
      this.#taskHead = 0;
      this.#session.releaseFlush();
    } else {
      // More tasks were queued with this one (several messages in one read, all run in this
      // turn of the event loop): what their listeners send leaves in one write, after the last.
      this.#session.holdFlush();
    }
    switch (task.kind) {
      case TASK_OPEN:
        if (this.#readyState !== CONNECTING) return;
        this.#readyState = OPEN;
        this.#protocol = task.a;
        this.#extensions = task.b;
        this.dispatchEvent(new Event('open'));
        return;
      case TASK_MESSAGE: {
        if (this.#readyState !== OPEN) return;
        const data = task.data!;
        let value: string | ArrayBuffer | Blob;
        if (!task.flag) {
          value = toBuffer(data).toString('utf8');
        } else if (this.#binaryType === 'arraybuffer') {
          // Without extensions the bytes are the engine's own (no copy for a large message).
          value = toArrayBuffer(data, this.#extensions === '');
        } else {
          value = new Blob([data]);
        }
        this.dispatchEvent(new MessageEvent('message', { data: value, origin: this.#origin }));
        return;
      }
      case TASK_CLOSING:
        if (this.#readyState === OPEN) this.#readyState = CLOSING;
        return;
      case TASK_PONG:
        if (this.#readyState !== OPEN && this.#readyState !== CLOSING) return;
        this.dispatchEvent(
          new MessageEvent('pong', { data: toArrayBuffer(task.data!), origin: this.#origin }),
        );
        return;
      default:
        this.#readyState = CLOSED;
        this.#queue = null;
        if (task.flag) this.dispatchEvent(errorEvent(task.cause));
        this.dispatchEvent(
          new CloseEvent('close', {
            wasClean: task.wasClean === true,
            code: task.code ?? 1006,
            reason: task.a,
          }),
        );
    }
  }
}

function runNextTask(ws: WebSocket): void {
  ws.runNextTask();
}

const constants = {
  CONNECTING: { value: CONNECTING, enumerable: true },
  OPEN: { value: OPEN, enumerable: true },
  CLOSING: { value: CLOSING, enumerable: true },
  CLOSED: { value: CLOSED, enumerable: true },
} as const;
Object.defineProperties(WebSocket, constants);
Object.defineProperties(WebSocket.prototype, constants);
Object.defineProperty(WebSocket.prototype, Symbol.toStringTag, {
  value: 'WebSocket',
  configurable: true,
});
for (const name of [
  'url',
  'readyState',
  'bufferedAmount',
  'extensions',
  'protocol',
  'binaryType',
  'onopen',
  'onmessage',
  'onerror',
  'onclose',
  'send',
  'close',
]) {
  const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, name);
  if (descriptor)
    Object.defineProperty(WebSocket.prototype, name, { ...descriptor, enumerable: true });
}
