/**
 * `ws`'s `WebSocket` class: the Node `EventEmitter` socket used on both sides (a client made
 * with `new WebSocket(url)`, or a server connection handed out by `WebSocketServer`). It owns
 * only the glue between a `node:stream` Duplex and `@strata-ws/protocol`'s `Connection`
 * (reads in, one `writev` per read or tick out, close timer, `ws`'s events and errors); every
 * protocol rule stays in the engine.
 */
import { EventEmitter } from 'node:events';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex, DuplexOptions } from 'node:stream';
import { installNodeHost } from '@strata-ws/node-host';
import { abortClient, type ClientOptions, failClient, initAsClient } from './client.js';
import { BINARY_TYPES, EMPTY_BUFFER } from './constants.js';
import {
  type AddEventListenerOptions,
  addEventListener,
  type CloseEvent as CloseEventClass,
  type ErrorEvent as ErrorEventClass,
  type Event as EventClass,
  type EventListenerLike,
  getAttribute,
  type MessageEvent as MessageEventClass,
  removeEventListener,
  setAttribute,
} from './event-target.js';
import type { Receiver as ReceiverClass, Sender as SenderClass } from './frames.js';
import type {
  ServerOptions as ServerOptionsType,
  VerifyClientCallbackAsync as VerifyAsync,
  VerifyClientCallbackSync as VerifySync,
  WebSocketServer as WebSocketServerClass,
} from './server.js';
import { Transport } from './transport.js';
import {
  type BinaryType,
  countInstance,
  notOpen,
  type RawData,
  type SendOptions,
  type SocketSetup,
  toBytes,
} from './util.js';

export type { BinaryType, Data, RawData, SendOptions, SocketSetup } from './util.js';

/** The events of a `WebSocket` and their arguments, as `ws` emits them. */
export interface WebSocketEvents {
  close: [code: number, reason: Buffer];
  error: [error: Error];
  upgrade: [request: IncomingMessage];
  message: [data: RawData, isBinary: boolean];
  open: [];
  ping: [data: Buffer];
  pong: [data: Buffer];
  redirect: [url: string, request: ClientRequest];
  'unexpected-response': [request: ClientRequest, response: IncomingMessage];
}

/** A listener of one `WebSocket` event. */
export type WebSocketListener<K extends keyof WebSocketEvents> = (
  this: WebSocket,
  ...args: WebSocketEvents[K]
) => void;

/** The engine's per-send options. */
type EngineSendOptions = { fin: boolean; compress?: boolean; done?: () => void };
/** Shared options of the common sends (no callback, one frame): no object per message. */
const SEND_PLAIN: EngineSendOptions = Object.freeze({ fin: true, compress: false });
const SEND_DEFAULT: EngineSendOptions = Object.freeze({ fin: true });

/** A listener of any event (what EventEmitter accepts). */
type AnyListener = (...args: never[]) => void;

/**
 * The `ws` WebSocket. `new WebSocket(address, protocols?, options?)` connects as a client;
 * `WebSocketServer` creates server-side instances with `address` null.
 */
export class WebSocket extends EventEmitter {
  /** The connection is not yet open. */
  static readonly CONNECTING: 0 = 0;
  /** The connection is open. */
  static readonly OPEN: 1 = 1;
  /** The closing handshake is in progress. */
  static readonly CLOSING: 2 = 2;
  /** The connection is closed. */
  static readonly CLOSED: 3 = 3;

  /** The underlying stream once open (a `net.Socket`, `tls.TLSSocket` or any Duplex). */
  _socket: Duplex | null = null;
  /** The pending handshake request of a client. */
  _req: ClientRequest | null = null;
  /** Internal state (`readyState`). */
  _readyState: 0 | 1 | 2 | 3 = 0;
  /** True for server-side sockets. */
  _isServer = true;
  /** Negotiated extensions by name. */
  _extensions: Record<string, unknown> = {};
  /** Selected subprotocol. */
  _protocol = '';
  /** Close code for the `close` event (1006 until a close frame arrives). */
  _closeCode = 1006;
  /** Close reason for the `close` event. */
  _closeMessage: Buffer = EMPTY_BUFFER;
  /** Bytes of sends refused because the socket was not open (ws's `bufferedAmount` before a socket). */
  _bufferedAmount = 0;
  /** Whether an `error` event was emitted (at most one per connection). */
  _errorEmitted = false;
  /** The client URL. */
  _url: string | undefined = undefined;
  /** Whether pongs answer pings automatically. */
  _autoPong = true;
  /** Redirects followed so far (client). */
  _redirects = 0;

  /** How binary messages are delivered (`binaryType`). */
  _binaryType: BinaryType = 'nodebuffer';
  /** Whether reading is paused (`pause()`). */
  _paused = false;
  /** The engine and socket glue once open. */
  _transport: Transport | null = null;

  #fragmentBinary: boolean | null = null;

  /**
   * @param address - the server URL (`ws:`, `wss:`, `http:`, `https:`), or null for a server-side socket
   * @param protocols - subprotocols to offer, or the options
   * @param options - client options (see the README)
   */
  constructor(
    address: string | URL | null,
    protocols?: string | string[] | ClientOptions,
    options?: ClientOptions,
  ) {
    super();
    installNodeHost();
    countInstance();
    if (address === null) {
      this._isServer = true;
      this._autoPong = (options as { autoPong?: boolean } | undefined)?.autoPong ?? true;
      return;
    }
    this._isServer = false;
    let list: string[];
    let opts = options;
    if (protocols === undefined) list = [];
    else if (Array.isArray(protocols)) list = protocols;
    else if (typeof protocols === 'object' && protocols !== null) {
      opts = protocols;
      list = [];
    } else list = [protocols];
    initAsClient(this, address, list, opts ?? {});
  }

  /** Adds a listener (typed for `ws`'s events). */
  override on<K extends keyof WebSocketEvents>(event: K, listener: WebSocketListener<K>): this;
  override on(event: string | symbol, listener: AnyListener): this;
  override on(event: string | symbol, listener: AnyListener): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  /** Adds a one-time listener (typed for `ws`'s events). */
  override once<K extends keyof WebSocketEvents>(event: K, listener: WebSocketListener<K>): this;
  override once(event: string | symbol, listener: AnyListener): this;
  override once(event: string | symbol, listener: AnyListener): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  /** Removes a listener (typed for `ws`'s events). */
  override off<K extends keyof WebSocketEvents>(event: K, listener: WebSocketListener<K>): this;
  override off(event: string | symbol, listener: AnyListener): this;
  override off(event: string | symbol, listener: AnyListener): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  /** Adds a listener (typed for `ws`'s events). */
  override addListener<K extends keyof WebSocketEvents>(
    event: K,
    listener: WebSocketListener<K>,
  ): this;
  override addListener(event: string | symbol, listener: AnyListener): this;
  override addListener(event: string | symbol, listener: AnyListener): this {
    return super.addListener(event, listener as (...args: unknown[]) => void);
  }

  /** Removes a listener (typed for `ws`'s events). */
  override removeListener<K extends keyof WebSocketEvents>(
    event: K,
    listener: WebSocketListener<K>,
  ): this;
  override removeListener(event: string | symbol, listener: AnyListener): this;
  override removeListener(event: string | symbol, listener: AnyListener): this {
    return super.removeListener(event, listener as (...args: unknown[]) => void);
  }

  /** The connection is not yet open. */
  get CONNECTING(): 0 {
    return 0;
  }
  /** The connection is open. */
  get OPEN(): 1 {
    return 1;
  }
  /** The closing handshake is in progress. */
  get CLOSING(): 2 {
    return 2;
  }
  /** The connection is closed. */
  get CLOSED(): 3 {
    return 3;
  }

  /** How binary messages are delivered: `nodebuffer` (default), `arraybuffer` or `fragments`. */
  get binaryType(): BinaryType {
    return this._binaryType;
  }
  set binaryType(type: BinaryType) {
    if (!BINARY_TYPES.includes(type)) return;
    this._binaryType = type;
  }

  /** Bytes queued and not yet handed to the OS. */
  get bufferedAmount(): number {
    const transport = this._transport;
    if (transport === null || this._readyState === 3) return this._bufferedAmount;
    const conn = transport.conn;
    return transport.socket.writableLength + conn.outputLength + conn.pendingLength;
  }

  /** The negotiated extensions, comma separated names (`permessage-deflate`). */
  get extensions(): string {
    return Object.keys(this._extensions).join();
  }

  /** Whether reading is paused (`pause()`). */
  get isPaused(): boolean {
    return this._paused;
  }

  /** The selected subprotocol, '' for none. */
  get protocol(): string {
    return this._protocol;
  }

  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  get readyState(): 0 | 1 | 2 | 3 {
    return this._readyState;
  }

  /** The URL (clients). */
  get url(): string {
    return this._url as string;
  }

  /** Whether both close frames were exchanged (`wasClean` of the shim's close event). */
  get wasClean(): boolean {
    const conn = this._transport?.conn;
    return conn === undefined ? false : conn.closeSent && conn.closeReceived;
  }

  /** The `onopen` handler. */
  get onopen(): ((event: EventClass) => void) | null {
    return getAttribute(this, 'open') as ((event: EventClass) => void) | null;
  }
  set onopen(handler: ((event: EventClass) => void) | null) {
    setAttribute(this, 'open', handler);
  }
  /** The `onmessage` handler. */
  get onmessage(): ((event: MessageEventClass) => void) | null {
    return getAttribute(this, 'message') as ((event: MessageEventClass) => void) | null;
  }
  set onmessage(handler: ((event: MessageEventClass) => void) | null) {
    setAttribute(this, 'message', handler);
  }
  /** The `onclose` handler. */
  get onclose(): ((event: CloseEventClass) => void) | null {
    return getAttribute(this, 'close') as ((event: CloseEventClass) => void) | null;
  }
  set onclose(handler: ((event: CloseEventClass) => void) | null) {
    setAttribute(this, 'close', handler);
  }
  /** The `onerror` handler. */
  get onerror(): ((event: ErrorEventClass) => void) | null {
    return getAttribute(this, 'error') as ((event: ErrorEventClass) => void) | null;
  }
  set onerror(handler: ((event: ErrorEventClass) => void) | null) {
    setAttribute(this, 'error', handler);
  }

  /** Browser-style listener (`open`, `message`, `close`, `error`), as `ws`'s shim. */
  addEventListener<K extends keyof WebSocket.WebSocketEventMap>(
    type: K,
    listener:
      | ((event: WebSocket.WebSocketEventMap[K]) => void)
      | { handleEvent(event: WebSocket.WebSocketEventMap[K]): void },
    options?: AddEventListenerOptions,
  ): void {
    addEventListener(this, type, listener as EventListenerLike, options);
  }

  /** Removes a listener added with `addEventListener`. */
  removeEventListener<K extends keyof WebSocket.WebSocketEventMap>(
    type: K,
    listener:
      | ((event: WebSocket.WebSocketEventMap[K]) => void)
      | { handleEvent(event: WebSocket.WebSocketEventMap[K]): void },
  ): void {
    removeEventListener(this, type, listener as EventListenerLike);
  }

  /**
   * Takes over `socket` after a successful opening handshake (internal: used by the client
   * and by `WebSocketServer`). `head` holds bytes read past the handshake.
   */
  setSocket(socket: Duplex, head: Buffer, setup: SocketSetup): void {
    this._transport = new Transport(this, socket, head, setup);
    this._socket = socket;
    this._readyState = 1;
    this.emit('open');
  }

  /** Emits `close` once, with the peer's code and reason (1006 and empty when none came). */
  emitClose(): void {
    if (this._readyState === 3) return;
    this._readyState = 3;
    this._transport?.failCallbacks();
    this.emit('close', this._closeCode, this._closeMessage);
  }

  #sendAfterClose(data: unknown, cb: ((error?: Error) => void) | undefined): void {
    if (data !== undefined && data !== null) this._bufferedAmount += toBytes(data).length;
    if (cb !== undefined) process.nextTick(cb, notOpen(this._readyState));
  }

  /**
   * Sends a message. Throws while CONNECTING; after closing, `cb` gets an error.
   * @param data - string (text by default) or bytes (binary by default)
   * @param options - binary, compress, fin, mask
   * @param cb - called once written (or with an error)
   */
  send(data: unknown, cb?: (error?: Error) => void): void;
  send(data: unknown, options: SendOptions, cb?: (error?: Error) => void): void;
  send(
    data: unknown,
    options?: SendOptions | ((error?: Error) => void),
    cb?: (error?: Error) => void,
  ): void {
    if (typeof options === 'function') {
      cb = options;
      options = {};
    }
    if (typeof data === 'number') data = data.toString();
    if (this._readyState === 0) throw notOpen(0);
    if (this._readyState !== 1) {
      this.#sendAfterClose(data, cb);
      return;
    }
    const transport = this._transport as Transport;
    const conn = transport.conn;
    const opts = options ?? {};
    const fin = opts.fin !== false;
    let binary = opts.binary ?? typeof data !== 'string';
    if (this.#fragmentBinary !== null) binary = this.#fragmentBinary;
    this.#fragmentBinary = fin ? null : binary;
    const plain = opts.compress === false || this._extensions['permessage-deflate'] === undefined;
    let sendOptions: EngineSendOptions;
    if (cb === undefined && fin) sendOptions = plain ? SEND_PLAIN : SEND_DEFAULT;
    else {
      sendOptions = { fin };
      if (plain) sendOptions.compress = false;
      if (cb !== undefined) {
        const callback = cb;
        sendOptions.done = () => transport.addCallback(callback);
      }
    }
    if (binary) conn.sendBinary(toBytes(data), sendOptions);
    else conn.sendText(typeof data === 'string' ? data : toBytes(data), sendOptions);
  }

  #control(
    kind: 'ping' | 'pong',
    data: unknown,
    mask: unknown,
    cb: ((error?: Error) => void) | undefined,
  ): void {
    if (this._readyState === 0) throw notOpen(0);
    let payload = data;
    let callback = cb;
    if (typeof payload === 'function') {
      callback = payload as (error?: Error) => void;
      payload = undefined;
    } else if (typeof mask === 'function') {
      callback = mask as (error?: Error) => void;
    }
    if (typeof payload === 'number') payload = payload.toString();
    if (this._readyState !== 1) {
      this.#sendAfterClose(payload, callback);
      return;
    }
    const bytes = toBytes(payload);
    const transport = this._transport as Transport;
    const conn = transport.conn;
    try {
      if (kind === 'ping') conn.ping(bytes);
      else conn.pong(bytes);
    } catch {
      throw new RangeError('The data size must not be greater than 125 bytes');
    }
    if (callback !== undefined) transport.addCallback(callback);
  }

  /** Sends a ping (`data` at most 125 bytes). */
  ping(
    data?: unknown,
    mask?: boolean | ((error?: Error) => void),
    cb?: (error?: Error) => void,
  ): void {
    this.#control('ping', data, mask, cb);
  }

  /** Sends a pong (`data` at most 125 bytes). */
  pong(
    data?: unknown,
    mask?: boolean | ((error?: Error) => void),
    cb?: (error?: Error) => void,
  ): void {
    this.#control('pong', data, mask, cb);
  }

  /**
   * Starts the closing handshake. While CONNECTING it aborts the handshake (an `error`, then
   * `close` 1006).
   * @throws TypeError for a code that may not be sent; RangeError for a reason over 123 bytes
   */
  close(code?: number, data?: string | Buffer): void {
    if (this._readyState === 3) return;
    if (this._readyState === 0) {
      this.#abortConnecting();
      return;
    }
    const transport = this._transport as Transport;
    const conn = transport.conn;
    if (this._readyState === 2) {
      if (conn.closeSent && (conn.closeReceived || transport.ended)) transport.socket.end();
      return;
    }
    if (code !== undefined && typeof code !== 'number') {
      throw new TypeError('First argument must be a valid error code number');
    }
    const reason = data === undefined ? undefined : String(data);
    try {
      if (code === undefined) conn.close();
      else conn.close(code, reason);
    } catch (error) {
      if (/code/.test((error as Error).message)) {
        throw new TypeError('First argument must be a valid error code number');
      }
      throw new RangeError('The message must not be greater than 123 bytes');
    }
    this._readyState = 2;
    transport.armCloseTimer();
  }

  #abortConnecting(): void {
    const message = 'WebSocket was closed before the connection was established';
    if (this._req !== null) abortClient(this, this._req, message);
    else {
      this._readyState = 2;
      process.nextTick(failClient, this, new Error(message));
    }
  }

  /** Destroys the socket at once (while CONNECTING: aborts the handshake). */
  terminate(): void {
    if (this._readyState === 3) return;
    if (this._readyState === 0) {
      this.#abortConnecting();
      return;
    }
    if (this._socket !== null) {
      this._readyState = 2;
      this._socket.destroy();
    }
  }

  /** Stops reading from the socket. */
  pause(): void {
    if (this._readyState === 0 || this._readyState === 3) return;
    this._paused = true;
    this._socket?.pause();
  }

  /** Resumes reading. */
  resume(): void {
    if (this._readyState === 0 || this._readyState === 3) return;
    this._paused = false;
    if (this._transport?.conn.wantsInput !== false) this._socket?.resume();
  }
}

declare const WebSocketAlias: typeof WebSocket;
type WebSocketInstance = WebSocket;

/** `ws`'s statics and type names on the default export (`WebSocket.Server`, `WebSocket.RawData`, ...). */
export declare namespace WebSocket {
  /** The `WebSocketServer` class. */
  const Server: typeof WebSocketServerClass;
  /** A `WebSocketServer`. */
  type Server = WebSocketServerClass;
  /** The `WebSocketServer` class. */
  const WebSocketServer: typeof WebSocketServerClass;
  /** A `WebSocketServer`. */
  type WebSocketServer = WebSocketServerClass;
  /** The `WebSocket` class itself. */
  const WebSocket: typeof WebSocketAlias;
  /** A `WebSocket`. */
  type WebSocket = WebSocketInstance;
  /** The frame parser. */
  const Receiver: typeof ReceiverClass;
  /** The frame writer. */
  const Sender: typeof SenderClass;
  /** A Duplex stream over a WebSocket. */
  function createWebSocketStream(websocket: WebSocketInstance, options?: DuplexOptions): Duplex;
  /** What `message` events carry. */
  type RawData = Buffer | ArrayBuffer | Buffer[];
  /** What the shim's `MessageEvent.data` holds. */
  type Data = string | Buffer | ArrayBuffer | Buffer[];
  /** Certificate material. */
  type CertMeta = string | string[] | Buffer | Buffer[];
  /** Client options. */
  type ClientOptions = import('./client.js').ClientOptions;
  /** Server options. */
  type ServerOptions = ServerOptionsType;
  /** permessage-deflate options. */
  type PerMessageDeflateOptions = import('./client.js').PerMessageDeflateOptions;
  /** Sync `verifyClient`. */
  type VerifyClientCallbackSync = VerifySync;
  /** Async `verifyClient`. */
  type VerifyClientCallbackAsync = VerifyAsync;
  /** `finishRequest`. */
  type FinishRequestCallback = (request: ClientRequest, websocket: WebSocketInstance) => void;
  /** The shim's events. */
  type Event = EventClass;
  /** The shim's error event. */
  type ErrorEvent = ErrorEventClass;
  /** The shim's close event. */
  type CloseEvent = CloseEventClass;
  /** The shim's message event. */
  type MessageEvent = MessageEventClass;
  /** `addEventListener` options. */
  type EventListenerOptions = AddEventListenerOptions;
  /** The shim's event map. */
  interface WebSocketEventMap {
    open: EventClass;
    error: ErrorEventClass;
    close: CloseEventClass;
    message: MessageEventClass;
  }
  /** `address()`'s result. */
  type AddressInfo = import('node:net').AddressInfo;
}
