import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { ProtocolError } from '@strata-ws/codec';
import {
  Connection,
  type ConnectionHandler,
  type ConnectionOptions,
  type SendOptions as EngineSendOptions,
} from '@strata-ws/protocol';
import type { TransportKind } from './diagnostics.js';
import type { ConnectionInternals, ConnectionProfile } from './internal.js';
import type { ConnectionPublishOptions } from './topics.js';

/** `readyState` values, as in the browser API (a server-side socket is never CONNECTING). */
export type ReadyState = 0 | 1 | 2 | 3;

/** Data accepted by {@link ServerWebSocket.send}. */
export type SendData = string | ArrayBuffer | ArrayBufferView;

/** Options of {@link ServerWebSocket.send}. */
export interface SendOptions {
  /** Send as a binary message (default: `true` for bytes, `false` for strings). */
  binary?: boolean;
  /** Compress this message (permessage-deflate); default: the extension's threshold decides. */
  compress?: boolean;
  /** `false` sends a fragment; the message continues with the next `send` (default `true`). */
  fin?: boolean;
}

/** A frame built once for many connections (see `sendPrepared`). */
export interface PreparedFrameLike {
  /** The complete unmasked frame (header and payload). Never mutated. */
  readonly bytes: Uint8Array;
  /** Whether the payload is permessage-deflate compressed with a fresh context (RSV1 set). */
  readonly compressed: boolean;
  /** The uncompressed message payload. */
  readonly data: Uint8Array;
  /** Binary (true) or text (false). */
  readonly isBinary: boolean;
}

const BINARY: SendOptions = Object.freeze({ binary: true });
const TEXT: SendOptions = Object.freeze({ binary: false });

/** Completion callback of `send`, `ping` and `pong`: called once the bytes left for the socket. */
export type SendCallback = (error?: Error) => void;

/** One message yielded by the async iterator of a {@link ServerWebSocket}. */
export interface WebSocketMessage {
  /** The payload (text messages are UTF-8 bytes, already validated). */
  readonly data: Buffer;
  /** Whether the message was binary. */
  readonly isBinary: boolean;
}

/** Events of a {@link ServerWebSocket} (listener argument lists). */
export interface ServerWebSocketEvents {
  /** A message: `data` is a Buffer (UTF-8 bytes for text), `isBinary` tells which kind. */
  message: [data: Buffer, isBinary: boolean];
  ping: [data: Buffer];
  pong: [data: Buffer];
  /** The socket closed; `code` is the peer's close code (1005 empty, 1006 none), or ours on failure. */
  close: [code: number, reason: string];
  /** The peer broke the protocol (emitted only when a listener exists; `close` follows). */
  error: [error: Error];
  /** The outgoing queue emptied after `send` returned false (or reading was paused for it). */
  drain: [];
}

const IN_RECEIVE = 1;
const NEED_FLUSH = 2;
const FLUSH_QUEUED = 4;
const PAUSE_BACKPRESSURE = 8;
const PAUSE_INPUT = 16;
const PAUSE_USER = 32;
const PAUSE_ITERATOR = 64;
const PAUSE_MASK = PAUSE_BACKPRESSURE | PAUSE_INPUT | PAUSE_USER | PAUSE_ITERATOR;
const WANT_DRAIN = 128;
const RECEIVED = 256;
const AWAITING_PONG = 512;
const CLOSED = 1024;
const ENDED = 2048;
const FRAGMENTING = 4096;
const CLOSE_TIMER = 8192;

/** Messages the async iterator may hold before reading from the socket pauses. */
const ITERATOR_QUEUE_LIMIT = 64;

// One flush per tick for every connection that got output outside a read callback.
let dirty: ServerWebSocket<unknown>[] = [];
let spare: ServerWebSocket<unknown>[] = [];
let tickScheduled = false;
let flushDirty: () => void;
// Assigned in the class's static block, which can reach the private members.
let handlerMethods: HandlerMethods;

/**
 * Package-internal operations on connections (heartbeat, idle check, pre-encoded writes),
 * filled in by the class's static block. Not exported from the package entry.
 */
export const connectionInternals: ConnectionInternals = {
  heartbeat: unset,
  idleCheck: unset,
  writeEncoded: () => false,
};

function unset(): void {}

function invokeCallbacks(callbacks: SendCallback[], error: Error | null | undefined): void {
  for (let i = 0; i < callbacks.length; i++) {
    const cb = callbacks[i]!;
    if (error) cb(error);
    else cb();
  }
}

function notOpenError(state: number): Error {
  const name = state === 2 ? 'CLOSING' : 'CLOSED';
  return new Error(`WebSocket is not open: readyState ${state} (${name})`);
}

function toBytes(data: SendData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('data must be a string, an ArrayBuffer or an ArrayBufferView');
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

interface OwnedSocket extends Socket {
  strataWebSocket?: ServerWebSocket<unknown>;
}

/**
 * One accepted WebSocket connection on the server: an EventEmitter with `ws`-style methods
 * and events. Protocol logic lives in `@strata-ws/protocol`'s `Connection`; this class owns
 * the socket, the timers and the write path (all frames produced in one tick leave in one
 * `writev`).
 */
export class ServerWebSocket<Data = unknown> extends EventEmitter<ServerWebSocketEvents> {
  /** `readyState` value: never used on the server, kept for API parity. */
  static readonly CONNECTING: 0 = 0;
  /** `readyState` value: open. */
  static readonly OPEN: 1 = 1;
  /** `readyState` value: closing handshake in progress. */
  static readonly CLOSING: 2 = 2;
  /** `readyState` value: closed. */
  static readonly CLOSED: 3 = 3;

  /** Per-connection data set by the `authenticate` hook. */
  data: Data;

  // Per connection, only what differs between connections: the negotiation and the server
  // are in a profile shared by connections accepted alike, and the state of sends with
  // callbacks, pre-encoded frames, the closing handshake and the iterator in objects made
  // when first needed. An idle connection is this object, the engine and its handler.
  #socket: OwnedSocket;
  #conn: Connection;
  #profile: ConnectionProfile;
  #flags = 0;
  #lastActivity: number;
  /** Frames and callbacks waiting for the next flush (lazy). */
  #queue: SideQueue | null = null;
  /** Close code, reason and timer; the message iterator (lazy). */
  #closing: ClosingState | null = null;

  /** @internal Created by `WebSocketServer`; not constructed by users. */
  constructor(
    socket: Socket,
    profile: ConnectionProfile,
    connectionOptions: ConnectionOptions,
    data: Data,
  ) {
    super();
    // EventEmitter's listener map is a null-prototype object in dictionary mode (~185 B per
    // connection with three events); the same map made with a null prototype set on a fresh
    // literal stays in fast mode (~70 B). Only replaced while empty and if the runtime has it.
    const emitter = this as unknown as { _events?: object; _eventsCount?: number };
    if (Object.hasOwn(emitter, '_events') && emitter._eventsCount === 0)
      emitter._events = Object.setPrototypeOf({}, null) as object;
    this.#socket = socket as OwnedSocket;
    this.#profile = profile;
    this.data = data;
    this.#lastActivity = profile.host.now;
    this.#conn = new Connection(new Handler(this), connectionOptions);
    const s = this.#socket;
    s.strataWebSocket = this as ServerWebSocket<unknown>;
    s.setNoDelay(true);
    // Only a socket that has an inactivity timeout needs it cleared (setTimeout adds a
    // property to the socket even for 0).
    if ((s as { timeout?: number }).timeout) s.setTimeout(0);
    s.on('data', onSocketData);
    s.on('end', onSocketEnd);
    s.on('drain', onSocketDrain);
    s.on('close', onSocketClose);
    // 'error' is always followed by 'close', which reports the end; the listener keeps an
    // ECONNRESET from becoming an uncaught exception.
    if (s.listenerCount('error') === 0) s.on('error', ignoreSocketError);
    // Paused while an asynchronous upgrade hook decided: read again now that bytes have a reader.
    if (s.isPaused()) s.resume();
  }

  /** The negotiated subprotocol, or `''`. */
  get protocol(): string {
    return this.#profile.protocol;
  }

  /** The negotiated extensions as sent in the 101 response (`Sec-WebSocket-Extensions`), or `''`. */
  get extensions(): string {
    return this.#profile.extensions;
  }

  /**
   * The window bits (9-15) of a shared compressed frame this connection accepts: set when it
   * negotiated permessage-deflate with `server_no_context_takeover` (a frame compressed
   * with a fresh context is valid for it whatever it received before); 0 otherwise.
   */
  get sharedDeflateWindowBits(): number {
    return this.#profile.sharedDeflateWindowBits;
  }

  /** The transport: `'http/1.1'` or `'h2'` (RFC 8441). */
  get transport(): TransportKind {
    return this.#profile.transport;
  }

  /** 1 (OPEN), 2 (CLOSING) or 3 (CLOSED, once the socket has closed). */
  get readyState(): ReadyState {
    if (this.#flags & CLOSED) return 3;
    return this.#conn.state === 1 ? 1 : 2;
  }

  /** Bytes queued and not yet handed to the kernel (socket buffer + engine output). */
  get bufferedAmount(): number {
    return (
      this.#socket.writableLength +
      this.#conn.outputLength +
      this.#conn.pendingLength +
      (this.#queue?.length ?? 0)
    );
  }

  /** The peer's IP address (undefined once the socket is gone). */
  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  /** The peer's port. */
  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }

  /** The underlying socket (for socket options; writing to it corrupts the stream). */
  get socket(): Socket {
    return this.#socket;
  }

  /** Whether reading is paused by {@link ServerWebSocket.pause}. */
  get isPaused(): boolean {
    return (this.#flags & PAUSE_USER) !== 0;
  }

  /**
   * Sends a message. Strings go as text unless `binary` is set; bytes go as binary unless
   * `binary: false`. Returns false when the queue is over the high-water mark (wait for
   * `drain`) or the message was not queued. The callback runs once the bytes left for the
   * socket, or with an error if they never will.
   */
  send(data: SendData, callback?: SendCallback): boolean;
  send(data: SendData, options?: SendOptions, callback?: SendCallback): boolean;
  send(data: SendData, options?: SendOptions | SendCallback, callback?: SendCallback): boolean {
    let opts: SendOptions | undefined;
    if (typeof options === 'function') callback = options;
    else opts = options;
    const conn = this.#conn;
    if (conn.state !== 1 || this.#flags & CLOSED) {
      if (callback) process.nextTick(callback, notOpenError(this.readyState));
      return false;
    }
    const host = this.#profile.host;
    const limits = host.limits;
    if (this.bufferedAmount >= limits.maxBufferedAmount) {
      this.#overLimit(callback);
      return false;
    }
    const binary = opts?.binary ?? typeof data !== 'string';
    let engineOptions: EngineSendOptions | undefined;
    if (opts !== undefined && (opts.fin === false || opts.compress !== undefined)) {
      engineOptions = { fin: opts.fin !== false, compress: opts.compress };
      if (opts.fin === false) this.#flags |= FRAGMENTING;
      else this.#flags &= ~FRAGMENTING;
    } else if (this.#flags & FRAGMENTING) {
      this.#flags &= ~FRAGMENTING;
    }
    if (callback !== undefined) {
      const cb = callback;
      engineOptions ??= {};
      engineOptions.done = () => this.#queueCallback(cb);
    }
    if (limits.idleTimeout > 0) this.#lastActivity = host.now;
    if (opts?.fin !== false) host.counters.messagesSent++;
    if (binary) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : toBytes(data);
      conn.sendBinary(bytes, engineOptions);
    } else {
      conn.sendText(typeof data === 'string' ? data : toBytes(data), engineOptions);
    }
    if (this.bufferedAmount < limits.highWaterMark) return true;
    this.#flags |= WANT_DRAIN;
    return false;
  }

  /** Promise form of {@link ServerWebSocket.send}: resolves once the bytes left for the socket. */
  sendAsync(data: SendData, options?: SendOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.send(data, options, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Sends a ping (payload at most 125 bytes, else RangeError). */
  ping(data?: SendData, callback?: SendCallback): void {
    this.#control(true, data, callback);
  }

  /** Sends an unsolicited pong (payload at most 125 bytes, else RangeError). */
  pong(data?: SendData, callback?: SendCallback): void {
    this.#control(false, data, callback);
  }

  /**
   * Starts the closing handshake (RangeError for a code that may not be sent or a reason
   * over 123 bytes). The socket is destroyed if the peer has not completed the handshake
   * within `closeTimeout`.
   */
  close(code?: number, reason?: string): void {
    if (this.#flags & CLOSED) return;
    const conn = this.#conn;
    if (conn.closeSent) return;
    conn.close(code, reason);
    this.#armCloseTimer();
    if (!(this.#flags & IN_RECEIVE)) this.#flush();
  }

  /** Destroys the socket at once (no closing handshake). */
  terminate(): void {
    if (this.#flags & CLOSED) return;
    this.#socket.destroy();
  }

  /** Stops reading from the peer (no `message` events until {@link ServerWebSocket.resume}). */
  pause(): void {
    this.#flags |= PAUSE_USER;
    this.#updatePause();
  }

  /** Resumes reading after {@link ServerWebSocket.pause}. */
  resume(): void {
    this.#flags &= ~PAUSE_USER;
    this.#updatePause();
  }

  /**
   * Iterates the messages (an alternative to `message` listeners, which keep working).
   * Reading from the socket pauses while unconsumed messages pile up; the iteration ends
   * when the connection closes. One iterator at a time.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<WebSocketMessage> {
    const closing = this.#closingState();
    if (closing.iterator !== null) throw new Error('a message iterator is already active');
    const it = new MessageIterator(
      () => {
        this.#flags &= ~PAUSE_ITERATOR;
        this.#updatePause();
      },
      () => {
        closing.iterator = null;
        this.#flags &= ~PAUSE_ITERATOR;
        this.#updatePause();
      },
    );
    if (this.#flags & CLOSED) it.end();
    else closing.iterator = it;
    return it;
  }

  /**
   * Queues a frame built once for many connections (topics/broadcast): its bytes are
   * written as they are, in order with everything else sent here, coalesced with this
   * tick's other writes and counted by the backpressure accounting. When the bytes cannot be
   * used as they are (a fragmented message or a compression still in progress, or a
   * compressed frame this connection cannot take) the message is framed from `frame.data`.
   * Ignored once the connection is closing.
   */
  sendPrepared(frame: PreparedFrameLike): void {
    const conn = this.#conn;
    if (conn.state !== 1 || this.#flags & CLOSED) return;
    if (
      !(this.#flags & FRAGMENTING) &&
      conn.pendingLength === 0 &&
      (!frame.compressed || this.#profile.sharedDeflateWindowBits >= 9)
    ) {
      if (this.#writeEncoded(frame.bytes)) this.#profile.host.counters.messagesSent++;
    } else {
      this.send(frame.data, frame.isBinary ? BINARY : TEXT);
    }
  }

  /**
   * Subscribes this connection to `topic` (see {@link WebSocketServer.publish}). Returns
   * false if it already was, or if the connection is closed (a closed connection holds no
   * subscriptions: they all end when it closes).
   */
  subscribe(topic: string): boolean {
    if (this.#flags & CLOSED) return false;
    return this.#profile.host.topics.subscribe(this as ServerWebSocket<unknown>, topic);
  }

  /** Unsubscribes this connection from `topic`; returns false if it was not subscribed. */
  unsubscribe(topic: string): boolean {
    return this.#profile.host.topics.unsubscribe(this as ServerWebSocket<unknown>, topic);
  }

  /** Whether this connection is subscribed to `topic`. */
  isSubscribed(topic: string): boolean {
    return this.#profile.host.topics.isSubscribed(this as ServerWebSocket<unknown>, topic);
  }

  /** The topics this connection is subscribed to, in subscription order. */
  get topics(): readonly string[] {
    return this.#profile.host.topics.topicsOf(this as ServerWebSocket<unknown>);
  }

  /**
   * Publishes a message to every subscriber of `topic` on this server (and, through the
   * server's pub/sub adapter, beyond it); `excludeSelf: true` skips this connection. The
   * message is framed once for all subscribers. Returns the number of local subscribers
   * it was queued for.
   */
  publish(topic: string, data: SendData, options?: ConnectionPublishOptions): number {
    return this.#profile.host.topics.publish(
      topic,
      data,
      options,
      options?.excludeSelf === true ? (this as ServerWebSocket<unknown>) : undefined,
    );
  }

  #writeEncoded(frame: Uint8Array): boolean {
    const conn = this.#conn;
    if (conn.state !== 1 || this.#flags & (CLOSED | FRAGMENTING)) return false;
    if (this.bufferedAmount >= this.#profile.host.limits.maxBufferedAmount) {
      this.#overLimit(undefined);
      return false;
    }
    // Keep order: whatever the engine queued before this frame goes first.
    const queue = this.#sideQueue();
    if (conn.outputLength > 0) {
      const out = conn.takeOutput();
      for (let i = 0; i < out.length; i++) queue.push(out[i]!);
    }
    queue.push(frame);
    this.#scheduleFlush();
    return true;
  }

  /** One heartbeat step: ping a silent connection, terminate one that stayed silent. */
  #heartbeat(): void {
    const flags = this.#flags;
    if (flags & CLOSED) return;
    if (flags & RECEIVED) {
      this.#flags = flags & ~(RECEIVED | AWAITING_PONG);
    } else if (flags & AWAITING_PONG) {
      this.#socket.destroy();
    } else if (this.#conn.state === 1) {
      this.#flags = flags | AWAITING_PONG;
      this.#conn.ping();
      this.#scheduleFlush();
    }
  }

  /** Closes the connection (1001) when no message went either way for `idleTimeout`. */
  #idleCheck(now: number): void {
    const idle = this.#profile.host.limits.idleTimeout;
    if (idle > 0 && now - this.#lastActivity >= idle && this.#conn.state === 1) {
      this.close(1001, 'Idle timeout');
    }
  }

  #control(isPing: boolean, data: SendData | undefined, callback: SendCallback | undefined): void {
    const conn = this.#conn;
    if (conn.state !== 1 || this.#flags & CLOSED) {
      if (callback) process.nextTick(callback, notOpenError(this.readyState));
      return;
    }
    const payload = data === undefined || typeof data === 'string' ? data : toBytes(data);
    if (isPing) conn.ping(payload);
    else conn.pong(payload);
    if (callback !== undefined) this.#queueCallback(callback);
  }

  #overLimit(callback: SendCallback | undefined): void {
    const error = new Error(
      `send queue over maxBufferedAmount (${this.#profile.host.limits.maxBufferedAmount} bytes)`,
    );
    if (callback) process.nextTick(callback, error);
    if (this.#profile.host.limits.backpressurePolicy === 'close')
      this.close(1008, 'Send queue full');
  }

  #queueCallback(callback: SendCallback): void {
    const queue = this.#sideQueue();
    if (queue.callbacks === null) queue.callbacks = [callback];
    else queue.callbacks.push(callback);
  }

  #sideQueue(): SideQueue {
    let queue = this.#queue;
    if (queue === null) {
      queue = new SideQueue();
      this.#queue = queue;
    }
    return queue;
  }

  #closingState(): ClosingState {
    let closing = this.#closing;
    if (closing === null) {
      closing = new ClosingState();
      this.#closing = closing;
    }
    return closing;
  }

  #scheduleFlush(): void {
    const flags = this.#flags;
    if (flags & IN_RECEIVE) {
      this.#flags = flags | NEED_FLUSH;
      return;
    }
    if (flags & FLUSH_QUEUED) return;
    this.#flags = flags | FLUSH_QUEUED;
    dirty.push(this as ServerWebSocket<unknown>);
    if (!tickScheduled) {
      tickScheduled = true;
      process.nextTick(flushDirty);
    }
  }

  /** Writes everything queued in one go: one `write`, or a corked batch that leaves as one `writev`. */
  #flush(): void {
    this.#flags &= ~(NEED_FLUSH | FLUSH_QUEUED);
    const socket = this.#socket;
    const conn = this.#conn;
    let out = conn.outputLength > 0 ? conn.takeOutput() : null;
    let callbacks: SendCallback[] | null = null;
    const queue = this.#queue;
    if (queue !== null) {
      // Taken whole: a new SideQueue is made if more arrives while this one is written.
      this.#queue = null;
      callbacks = queue.callbacks;
      const chunks = queue.chunks;
      if (chunks.length > 0) {
        if (out !== null) for (let i = 0; i < out.length; i++) chunks.push(out[i]!);
        out = chunks;
      }
    }
    if (socket.destroyed) {
      if (callbacks !== null) process.nextTick(invokeCallbacks, callbacks, notOpenError(3));
      return;
    }
    const n = out === null ? 0 : out.length;
    if (n > 0) {
      const chunks = out!;
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += chunks[i]!.byteLength;
      this.#profile.host.counters.bytesSent += bytes;
      const done =
        callbacks === null
          ? undefined
          : (error?: Error | null) => invokeCallbacks(callbacks, error);
      if (n === 1) {
        socket.write(chunks[0]!, done);
      } else {
        socket.cork();
        for (let i = 0; i < n - 1; i++) socket.write(chunks[i]!);
        socket.write(chunks[n - 1]!, done);
        socket.uncork();
      }
    } else if (callbacks !== null) {
      process.nextTick(invokeCallbacks, callbacks, null);
    }
    if (!(this.#flags & ENDED) && conn.transportShouldClose) {
      // RFC 6455 §7.1.1: the server closes the TCP connection first once close frames are
      // exchanged (or the connection failed); the timer destroys a peer that never FINs.
      this.#flags |= ENDED;
      socket.end();
      // A peer that already sent its FIN is gone once our last bytes are written (Node
      // destroys the socket); only one that still has to close, or to read what is queued
      // for it, needs the timer.
      if (!socket.readableEnded || socket.writableLength > 0) this.#armCloseTimer();
    }
    if (
      !(this.#flags & PAUSE_BACKPRESSURE) &&
      socket.writableNeedDrain &&
      socket.writableLength >= this.#profile.host.limits.highWaterMark
    ) {
      this.#flags |= PAUSE_BACKPRESSURE | WANT_DRAIN;
      this.#updatePause();
    } else if (this.#flags & WANT_DRAIN && !socket.writableNeedDrain) {
      // Everything went straight to the kernel: the socket will not emit 'drain' itself.
      this.#flags &= ~WANT_DRAIN;
      this.emit('drain');
    }
  }

  #armCloseTimer(): void {
    if (this.#flags & (CLOSE_TIMER | CLOSED)) return;
    this.#flags |= CLOSE_TIMER;
    const timer = setTimeout(onCloseTimeout, this.#profile.host.limits.closeTimeout, this);
    timer.unref();
    this.#closingState().timer = timer;
  }

  #updatePause(): void {
    const socket = this.#socket;
    if (this.#flags & CLOSED) return;
    if (this.#flags & PAUSE_MASK) {
      if (!socket.isPaused()) socket.pause();
    } else if (socket.isPaused()) {
      socket.resume();
    }
  }

  #onData(chunk: Buffer): void {
    const conn = this.#conn;
    this.#profile.host.counters.bytesReceived += chunk.length;
    this.#flags |= IN_RECEIVE | RECEIVED;
    try {
      conn.receive(chunk);
    } catch (error) {
      // A listener threw: the engine failed the connection (1011); send that, then rethrow.
      this.#flags &= ~IN_RECEIVE;
      this.#flush();
      throw error;
    }
    this.#flags &= ~IN_RECEIVE;
    // The peer's reply to our close frame produces no output, yet the server must now close
    // TCP first (RFC 6455 §7.1.1): #flush ends the socket once the engine says so.
    if (
      this.#flags & NEED_FLUSH ||
      conn.outputLength > 0 ||
      (conn.transportShouldClose && !(this.#flags & ENDED))
    ) {
      this.#flush();
    }
    if (!conn.wantsInput && !(this.#flags & PAUSE_INPUT)) {
      this.#flags |= PAUSE_INPUT;
      this.#updatePause();
    }
  }

  #onEnd(): void {
    this.#flags |= IN_RECEIVE;
    try {
      this.#conn.receiveEof();
    } finally {
      this.#flags &= ~IN_RECEIVE;
    }
    this.#flush();
    if (!(this.#flags & ENDED)) {
      this.#flags |= ENDED;
      const socket = this.#socket;
      socket.end();
      // Both sides have sent FIN: Node destroys the socket once our last bytes are written.
      // Only a peer that stopped reading with bytes still queued for it needs the timer.
      if (socket.writableLength > 0) this.#armCloseTimer();
    }
  }

  #onDrain(): void {
    // The peer consumed data: it is alive even if it has not sent anything lately.
    this.#flags |= RECEIVED;
    const flags = this.#flags;
    if (flags & PAUSE_BACKPRESSURE) {
      this.#flags = flags & ~PAUSE_BACKPRESSURE;
      this.#updatePause();
    }
    if (flags & WANT_DRAIN) {
      this.#flags &= ~WANT_DRAIN;
      this.emit('drain');
    }
  }

  #onClose(): void {
    if (this.#flags & CLOSED) return;
    this.#flags |= CLOSED;
    const closing = this.#closing;
    let code = 1006;
    let reason = '';
    if (closing !== null) {
      if (closing.timer !== null) {
        clearTimeout(closing.timer);
        closing.timer = null;
      }
      code = closing.code;
      reason = closing.reason;
      const iterator = closing.iterator;
      closing.iterator = null;
      iterator?.end();
    }
    const queue = this.#queue;
    this.#queue = null;
    if (queue?.callbacks) invokeCallbacks(queue.callbacks, notOpenError(3));
    this.#profile.host.connectionClosed(this, code, reason);
    this.emit('close', code, reason);
  }

  // ----- engine events (called by Handler) -----

  #engineMessage(data: Uint8Array, isBinary: boolean): void {
    const host = this.#profile.host;
    host.counters.messagesReceived++;
    if (host.limits.idleTimeout > 0) this.#lastActivity = host.now;
    const buffer = asBuffer(data);
    const iterator = this.#closing?.iterator;
    if (iterator != null && iterator.push(buffer, isBinary) >= ITERATOR_QUEUE_LIMIT) {
      this.#flags |= PAUSE_ITERATOR;
      this.#updatePause();
    }
    this.emit('message', buffer, isBinary);
  }

  #enginePing(data: Uint8Array): void {
    if (this.listenerCount('ping') > 0) this.emit('ping', asBuffer(data));
  }

  #enginePong(data: Uint8Array): void {
    this.#flags &= ~AWAITING_PONG;
    if (this.listenerCount('pong') > 0) this.emit('pong', asBuffer(data));
  }

  #engineClose(code: number, reason: string): void {
    const closing = this.#closingState();
    closing.code = code;
    closing.reason = reason;
    this.#armCloseTimer();
  }

  #engineFail(error: ProtocolError): void {
    const closing = this.#closingState();
    closing.code = error.closeCode;
    closing.reason = error.closeCode === 1011 ? '' : error.message;
    this.#armCloseTimer();
    this.#profile.host.connectionFailed(this, error);
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #engineResumeInput(): void {
    if (this.#flags & PAUSE_INPUT) {
      this.#flags &= ~PAUSE_INPUT;
      this.#updatePause();
    }
  }

  static {
    connectionInternals.heartbeat = (ws) => ws.#heartbeat();
    connectionInternals.idleCheck = (ws, now) => ws.#idleCheck(now);
    connectionInternals.writeEncoded = (ws, frame) => ws.#writeEncoded(frame);
    flushDirty = () => {
      tickScheduled = false;
      const list = dirty;
      dirty = spare;
      spare = list;
      for (let i = 0; i < list.length; i++) {
        const ws = list[i]!;
        if (ws.#flags & FLUSH_QUEUED) ws.#flush();
      }
      list.length = 0;
    };
    handlerMethods = {
      message: (ws, data, isBinary) => ws.#engineMessage(data, isBinary),
      ping: (ws, data) => ws.#enginePing(data),
      pong: (ws, data) => ws.#enginePong(data),
      close: (ws, code, reason) => ws.#engineClose(code, reason),
      fail: (ws, error) => ws.#engineFail(error),
      output: (ws) => ws.#scheduleFlush(),
      resumeInput: (ws) => ws.#engineResumeInput(),
      data: (ws, chunk) => ws.#onData(chunk),
      end: (ws) => ws.#onEnd(),
      drain: (ws) => ws.#onDrain(),
      closed: (ws) => ws.#onClose(),
      closeTimeoutFired: (ws) => {
        if (ws.#closing !== null) ws.#closing.timer = null;
        ws.#socket.destroy();
      },
    };
  }
}

interface HandlerMethods {
  message(ws: ServerWebSocket<unknown>, data: Uint8Array, isBinary: boolean): void;
  ping(ws: ServerWebSocket<unknown>, data: Uint8Array): void;
  pong(ws: ServerWebSocket<unknown>, data: Uint8Array): void;
  close(ws: ServerWebSocket<unknown>, code: number, reason: string): void;
  fail(ws: ServerWebSocket<unknown>, error: ProtocolError): void;
  output(ws: ServerWebSocket<unknown>): void;
  resumeInput(ws: ServerWebSocket<unknown>): void;
  data(ws: ServerWebSocket<unknown>, chunk: Buffer): void;
  end(ws: ServerWebSocket<unknown>): void;
  drain(ws: ServerWebSocket<unknown>): void;
  closed(ws: ServerWebSocket<unknown>): void;
  closeTimeoutFired(ws: ServerWebSocket<unknown>): void;
}

/** Frames queued ahead of or beside the engine's output, and send callbacks, until the next flush. */
class SideQueue {
  chunks: Uint8Array[] = [];
  /** Bytes in `chunks`. */
  length = 0;
  callbacks: SendCallback[] | null = null;
  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.byteLength;
  }
}

/** The end of a connection: the close code and reason to report, the close timer; the iterator. */
class ClosingState {
  /** The peer's close code, or ours on failure; 1006 while none is known. */
  code = 1006;
  reason = '';
  timer: NodeJS.Timeout | null = null;
  iterator: MessageIterator | null = null;
}

/** The engine's handler: one small object per connection, forwarding to the socket class. */
class Handler implements ConnectionHandler {
  readonly ws: ServerWebSocket<unknown>;
  constructor(ws: ServerWebSocket<unknown>) {
    this.ws = ws;
  }
  onMessage(data: Uint8Array, isBinary: boolean): void {
    handlerMethods.message(this.ws, data, isBinary);
  }
  onPing(data: Uint8Array): void {
    handlerMethods.ping(this.ws, data);
  }
  onPong(data: Uint8Array): void {
    handlerMethods.pong(this.ws, data);
  }
  onClose(code: number, reason: string): void {
    handlerMethods.close(this.ws, code, reason);
  }
  onFail(error: ProtocolError): void {
    handlerMethods.fail(this.ws, error);
  }
  onOutput(): void {
    handlerMethods.output(this.ws);
  }
  onResumeInput(): void {
    handlerMethods.resumeInput(this.ws);
  }
}

// Socket listeners are shared functions (no closure per connection); `this` is the socket.
function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  handlerMethods.data(this.strataWebSocket!, chunk);
}
function onSocketEnd(this: OwnedSocket): void {
  handlerMethods.end(this.strataWebSocket!);
}
function onSocketDrain(this: OwnedSocket): void {
  handlerMethods.drain(this.strataWebSocket!);
}
function onSocketClose(this: OwnedSocket): void {
  handlerMethods.closed(this.strataWebSocket!);
}
/**
 * The socket 'error' listener of pending handshakes and connections: errors are reported
 * through 'close' (code 1006 unless a close frame arrived first).
 */
export function ignoreSocketError(): void {}
function onCloseTimeout(ws: ServerWebSocket<unknown>): void {
  handlerMethods.closeTimeoutFired(ws);
}

/** A pull queue of messages for `for await (const { data, isBinary } of ws)`. */
class MessageIterator implements AsyncIterableIterator<WebSocketMessage> {
  #queue: WebSocketMessage[] = [];
  #waiting: ((result: IteratorResult<WebSocketMessage>) => void) | null = null;
  #ended = false;
  #onDrained: () => void;
  #onReturn: () => void;

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

  end(): void {
    this.#ended = true;
    const waiting = this.#waiting;
    if (waiting !== null) {
      this.#waiting = null;
      waiting({ value: undefined, done: true });
    }
  }

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
