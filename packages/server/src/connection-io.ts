/**
 * The machinery under a server connection: socket events into the engine
 * (`@strata-ws/protocol`'s `Connection`), the engine's output onto the socket (everything
 * produced while handling one read, or in one tick, leaves in one `write`/`writev`),
 * backpressure (pausing reads, `drain`, the `maxBufferedAmount` policy), the close timer,
 * heartbeat and idle checks, and the per-connection listener idiom (one handler object per
 * connection whose methods call a static table; socket listeners are shared functions).
 * The public API on top of it (and its events) is `ServerWebSocket` (`websocket.ts`); the
 * end of a connection (close code, close timer, iterator) is `ClosingState` (`closing.ts`).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { CloseCode, failureCloseReason, type ProtocolError } from '@strata-ws/codec';
import {
  Connection,
  type ConnectionOptions,
  type SendOptions as EngineSendOptions,
  type PreparedMessage,
} from '@strata-ws/protocol';
import { ClosingState } from './closing.js';
import type { ConnectionInternals, ConnectionProfile } from './internal.js';
import {
  asBuffer,
  Handler,
  invokeCallbacks,
  notOpenError,
  onSocketClose,
  onSocketData,
  onSocketDrain,
  onSocketEnd,
  type SendCallback,
  setHandlerMethods,
} from './listeners.js';
import { MessageIterator, type WebSocketMessage } from './message-iterator.js';
import { ignoreSocketError, type OwnedSocket } from './socket-events.js';
import type { ReadyState, ServerWebSocketEvents } from './websocket.js';

export type { SendCallback } from './listeners.js';

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
const NO_DELAY = 4096;
const CLOSE_TIMER = 8192;
const DRAIN_LISTENER = 16384;

/** Messages the async iterator may hold before reading from the socket pauses. */
const ITERATOR_QUEUE_LIMIT = 64;

// One flush per tick for every connection that got output outside a read callback.
let dirty: ConnectionIO[] = [];
let spare: ConnectionIO[] = [];
let tickScheduled = false;
let flushDirty: () => void;

/**
 * Package-internal operations on connections (heartbeat, idle check), filled in by the
 * class's static block. Not exported from the package entry.
 */
export const connectionInternals: ConnectionInternals = {
  heartbeat: unset,
  idleCheck: unset,
};

function unset(): void {}

/**
 * The base of `ServerWebSocket`: owns the socket, the engine and the write path. Its
 * `io*` members are for the subclass only.
 */
export abstract class ConnectionIO extends EventEmitter<ServerWebSocketEvents> {
  // Per connection, only what differs between connections: the negotiation and the server
  // are in a profile shared by connections accepted alike; send callbacks, the closing
  // handshake and the iterator are in objects made when first needed. An idle connection
  // is this object, the engine and its handler.
  #socket: OwnedSocket;
  #conn: Connection;
  #profile: ConnectionProfile;
  #flags = 0;
  #lastActivity: number;
  /** Send callbacks waiting for the next flush (lazy). */
  #callbacks: SendCallback[] | null = null;
  /** Close code, reason and timer; the message iterator (lazy). */
  #closing: ClosingState | null = null;

  constructor(socket: Socket, profile: ConnectionProfile, connectionOptions: ConnectionOptions) {
    super();
    // EventEmitter's listener map is a null-prototype object in dictionary mode (~185 B per
    // connection with three events); the same map made with a null prototype set on a fresh
    // literal stays in fast mode (~70 B). Only replaced while empty and if the runtime has it.
    const emitter = this as unknown as { _events?: object; _eventsCount?: number };
    if (Object.hasOwn(emitter, '_events') && emitter._eventsCount === 0)
      emitter._events = Object.setPrototypeOf({}, null) as object;
    this.#socket = socket as OwnedSocket;
    this.#profile = profile;
    this.#lastActivity = profile.host.now;
    this.#conn = new Connection(new Handler(this), connectionOptions);
    const s = this.#socket;
    s.strataWebSocket = this;
    // TCP_NODELAY is set by the first flush of frames (#flush), not here: a connection that
    // never sends (idle, or closed right after the handshake) saves the setsockopt call.
    // Only a socket that has an inactivity timeout needs it cleared (setTimeout adds a
    // property to the socket even for 0).
    if ((s as { timeout?: number }).timeout) s.setTimeout(0);
    s.on('data', onSocketData);
    s.on('end', onSocketEnd);
    // 'drain' is listened to from the first write the socket buffers (#flush), not before.
    s.on('close', onSocketClose);
    // 'error' is always followed by 'close', which reports the end; the listener keeps an
    // ECONNRESET from becoming an uncaught exception.
    if (s.listenerCount('error') === 0) s.on('error', ignoreSocketError);
    // Paused while an asynchronous upgrade hook decided: read again now that bytes have a reader.
    if (s.isPaused()) s.resume();
  }

  /** The shared negotiation profile. */
  protected get ioProfile(): ConnectionProfile {
    return this.#profile;
  }

  /** The transport. */
  protected get ioSocket(): Socket {
    return this.#socket;
  }

  /** Whether the socket has closed. */
  protected get ioClosed(): boolean {
    return (this.#flags & CLOSED) !== 0;
  }

  /** Whether reading is paused by the user. */
  protected get ioUserPaused(): boolean {
    return (this.#flags & PAUSE_USER) !== 0;
  }

  /** 1 (OPEN), 2 (CLOSING) or 3 (CLOSED, once the socket has closed). */
  protected ioReadyState(): ReadyState {
    if (this.#flags & CLOSED) return 3;
    return this.#conn.state === 1 ? 1 : 2;
  }

  /** Bytes queued and not yet handed to the kernel (socket buffer + engine output and queue). */
  protected ioBufferedAmount(): number {
    return this.#socket.writableLength + this.#conn.outputLength + this.#conn.pendingLength;
  }

  /**
   * Queues a message (or a fragment, `fin: false`) with the backpressure policy applied.
   * Returns false when it was not queued or the queue is now over `highWaterMark`.
   */
  protected ioSend(
    data: string | Uint8Array,
    binary: boolean,
    fin: boolean,
    compress: boolean | undefined,
    callback: SendCallback | undefined,
  ): boolean {
    const conn = this.#conn;
    if (conn.state !== 1 || this.#flags & CLOSED) {
      if (callback) process.nextTick(callback, notOpenError(this.ioReadyState()));
      return false;
    }
    const host = this.#profile.host;
    const limits = host.limits;
    if (this.ioBufferedAmount() >= limits.maxBufferedAmount) {
      this.#overLimit(callback);
      return false;
    }
    let engineOptions: EngineSendOptions | undefined;
    if (!fin || compress !== undefined) engineOptions = { fin, compress };
    if (callback !== undefined) {
      const cb = callback;
      engineOptions ??= {};
      engineOptions.done = () => this.#queueCallback(cb);
    }
    if (limits.idleTimeout > 0) this.#lastActivity = host.now;
    if (fin) host.counters.messagesSent++;
    if (binary) {
      conn.sendBinary(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, engineOptions);
    } else {
      conn.sendText(data, engineOptions);
    }
    return this.#belowHighWater();
  }

  /**
   * Sends a message built once for many connections through the engine, in order with
   * everything else; subject to the same `maxBufferedAmount` policy as a send. Ignored once
   * the connection is closing.
   */
  protected ioSendPrepared(message: PreparedMessage): void {
    const conn = this.#conn;
    if (conn.state !== 1 || this.#flags & CLOSED) return;
    const host = this.#profile.host;
    if (this.ioBufferedAmount() >= host.limits.maxBufferedAmount) {
      this.#overLimit(undefined);
      return;
    }
    host.counters.messagesSent++;
    conn.sendPrepared(message);
  }

  /** Sends a ping or an unsolicited pong. */
  protected ioControl(
    isPing: boolean,
    payload: string | Uint8Array | undefined,
    callback: SendCallback | undefined,
  ): void {
    const conn = this.#conn;
    if (conn.state !== 1 || this.#flags & CLOSED) {
      if (callback) process.nextTick(callback, notOpenError(this.ioReadyState()));
      return;
    }
    if (isPing) conn.ping(payload);
    else conn.pong(payload);
    if (callback !== undefined) this.#queueCallback(callback);
  }

  /** Starts the closing handshake; the close timer destroys a peer that does not finish it. */
  protected ioClose(code: number | undefined, reason: string | undefined): void {
    if (this.#flags & CLOSED) return;
    const conn = this.#conn;
    if (conn.closeSent) return;
    conn.close(code, reason);
    this.#armCloseTimer();
    if (!(this.#flags & IN_RECEIVE)) this.#flush();
  }

  /** Destroys the socket. */
  protected ioTerminate(): void {
    if (this.#flags & CLOSED) return;
    this.#socket.destroy();
  }

  /** Pauses or resumes reading for the user. */
  protected ioSetUserPause(paused: boolean): void {
    if (paused) this.#flags |= PAUSE_USER;
    else this.#flags &= ~PAUSE_USER;
    this.#updatePause();
  }

  /** Starts the message iterator (one at a time). */
  protected ioIterator(): AsyncIterableIterator<WebSocketMessage> {
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

  #belowHighWater(): boolean {
    if (this.ioBufferedAmount() < this.#profile.host.limits.highWaterMark) return true;
    this.#flags |= WANT_DRAIN;
    return false;
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
      this.ioClose(CloseCode.GoingAway, 'Idle timeout');
    }
  }

  #overLimit(callback: SendCallback | undefined): void {
    const error = new Error(
      `send queue over maxBufferedAmount (${this.#profile.host.limits.maxBufferedAmount} bytes)`,
    );
    if (callback) process.nextTick(callback, error);
    if (this.#profile.host.limits.backpressurePolicy === 'close')
      this.ioClose(CloseCode.PolicyViolation, 'Send queue full');
  }

  #queueCallback(callback: SendCallback): void {
    if (this.#callbacks === null) this.#callbacks = [callback];
    else this.#callbacks.push(callback);
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
    dirty.push(this);
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
    const out = conn.outputLength > 0 ? conn.takeOutput() : null;
    // Taken whole: a new list is made if more arrives while this one is written.
    const callbacks = this.#callbacks;
    this.#callbacks = null;
    if (socket.destroyed) {
      if (callbacks !== null) process.nextTick(invokeCallbacks, callbacks, notOpenError(3));
      return;
    }
    const n = out === null ? 0 : out.length;
    if (n > 0) {
      if (!(this.#flags & NO_DELAY)) {
        // Nagle off before the first frames leave (the 101 went out alone, so nothing waited
        // for it). Any Duplex may carry a connection (handleUpgrade): only TCP has Nagle.
        this.#flags |= NO_DELAY;
        if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
      }
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
      if (!(this.#flags & DRAIN_LISTENER) && socket.writableNeedDrain) {
        // The socket buffers: from now on its 'drain' resumes reading and reports `drain`.
        this.#flags |= DRAIN_LISTENER;
        socket.on('drain', onSocketDrain);
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
    this.#closingState().armTimer(this, this.#profile.host.limits.closeTimeout);
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
    let code: number = CloseCode.AbnormalClosure;
    let reason = '';
    if (closing !== null) {
      closing.finish();
      code = closing.code;
      reason = closing.reason;
    }
    const callbacks = this.#callbacks;
    this.#callbacks = null;
    if (callbacks !== null) invokeCallbacks(callbacks, notOpenError(3));
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
    this.#closingState().setOutcome(code, reason);
    this.#armCloseTimer();
  }

  #engineFail(error: ProtocolError): void {
    // The reason the close frame carried (the codec's rule: none for 1011).
    this.#closingState().setOutcome(
      error.closeCode,
      failureCloseReason(error.closeCode, error.message),
    );
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
    connectionInternals.heartbeat = (ws) => (ws as ConnectionIO).#heartbeat();
    connectionInternals.idleCheck = (ws, now) => (ws as ConnectionIO).#idleCheck(now);
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
    setHandlerMethods({
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
    });
  }
}
