/**
 * One client connection's I/O: opens the transport, runs the opening handshake, drives a
 * `@strata-ws/protocol` `Connection` with the socket's bytes, flushes its output corked,
 * owns every timer (handshake, close, heartbeat) and reports to the API object above
 * (`WebSocket` or `WebSocketStream`) through a {@link SessionListener}.
 *
 * No protocol rule lives here: framing, masking, the closing handshake and limits are the
 * engine's; the request, the response checks and extension negotiation are the handshake's.
 */

import { randomFillSync } from 'node:crypto';
import type { ClientHttp2Stream } from 'node:http2';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProtocolError } from '@strata-ws/codec';
import {
  type ClientHandshake,
  type ClientHandshakeResult,
  createClientHandshake,
  getHeader,
  HandshakeError,
  type HeaderRecord,
  serializeUpgradeRequest,
  validateHandshakeResponse,
} from '@strata-ws/handshake';
import { allocateBuffer, installNodeHost, nodeMasking } from '@strata-ws/node-host';
import { Connection, type ConnectionHandler, type MessageExtension } from '@strata-ws/protocol';
import { openSocket, readResponseHead } from './connect.js';
import { buildExtensions, clientNegotiators } from './extensions.js';
import { openHttp2Stream } from './http2.js';
import type { NormalizedOptions } from './options.js';
import {
  CLOSE_TIMER,
  flushSession,
  HANDSHAKE_TIMER,
  onHeartbeat,
  onSocketClose,
  onSocketData,
  onSocketDrain,
  onSocketEnd,
  onSocketError,
  onTimeout,
  PONG_TIMER,
  type SessionSocket,
  setSessionMethods,
} from './session-listeners.js';
import type { ClientUrl } from './url.js';

/** What a session reports to the API object. Called from I/O callbacks, never inside an API call. */
export interface SessionListener {
  /** The handshake succeeded: the subprotocol and the `Sec-WebSocket-Extensions` value. */
  onOpen(protocol: string, extensions: string): void;
  /** A complete message (text already validated as UTF-8). */
  onMessage(data: Uint8Array, isBinary: boolean): void;
  /** The server's close frame arrived: the closing handshake has started. */
  onClosing(): void;
  /** `bytes` of application data handed to `send` were written to the network. */
  onWritten(bytes: number): void;
  /**
   * The connection is closed (delivered in a task of its own). `failed`: the connection was
   * failed (the standard's error event precedes close).
   */
  onClose(wasClean: boolean, code: number, reason: string, failed: boolean, cause: unknown): void;
  /** The transport drained its buffer. */
  onDrain?(): void;
  /** A pong arrived (its payload, owned by the listener). */
  onPong?(data: Uint8Array): void;
}

/**
 * The server answered the opening handshake with another status than 101 (200 on HTTP/2):
 * the `error` event's `error` (a Node extra; browsers hide the status), so that callers such as
 * `@strata-ws/reconnect` can tell a refusal (4xx) from a network failure.
 */
export class HandshakeRefusedError extends Error {
  /** The HTTP status the server answered with. */
  readonly status: number;
  constructor(status: number, cause: HandshakeError) {
    super(`The server refused the WebSocket handshake with HTTP status ${status}`, { cause });
    this.name = 'HandshakeRefusedError';
    this.status = status;
  }
}

const CONNECTING = 0;
const OPEN = 1;
const FINISHED = 2;

function randomFill(bytes: Uint8Array): void {
  randomFillSync(bytes);
}

/** Header record of a node:http2 response, as the handshake validator wants it. */
function h2Headers(headers: Record<string, string | string[] | number | undefined>): HeaderRecord {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = typeof value === 'number' ? String(value) : value;
  }
  return out;
}

/** The I/O side of one client WebSocket connection. */
export class ClientSession implements ConnectionHandler {
  static {
    setSessionMethods({
      data: (session, chunk) => session.#onData(chunk),
      end: (session) => session.#onEnd(),
      drain: (session) => session.#onDrain(),
      error: (session, error) => {
        if (session.#cause === null) session.#cause = error;
      },
      closed: (session, socket) => {
        if (session.#phase !== OPEN || socket === session.#socket) session.#finalize();
      },
      flush: (session) => session.#flush(),
      timeout: (session, which) => {
        if (which === HANDSHAKE_TIMER) {
          session.destroy(new Error('The opening handshake timed out'), true);
        } else if (which === CLOSE_TIMER) {
          session.destroy(new Error('The closing handshake timed out'), false);
        } else {
          session.destroy(new Error('The server did not answer a heartbeat ping'), true);
        }
      },
      heartbeat: (session) => session.#heartbeat(),
    });
  }

  readonly #url: ClientUrl;
  readonly #options: NormalizedOptions;
  readonly #listener: SessionListener;
  readonly #protocols: readonly string[];
  readonly #handshake: ClientHandshake;
  #phase = CONNECTING;
  #socket: Duplex | null = null;
  readonly #tracked: Duplex[] = [];
  #connection: Connection | null = null;
  #aborted = false;
  #failed = false;
  #finalized = false;
  #cause: unknown = null;
  #closeFrameReceived = false;
  #closeCode = 1006;
  #closeReason = '';
  #ending = false;
  #flushScheduled = false;
  #sentBytes = 0;
  #accountedBytes = 0;
  #readPaused = false;
  #received = false;
  #handshakeTimer: NodeJS.Timeout | null = null;
  #closeTimer: NodeJS.Timeout | null = null;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #pongTimer: NodeJS.Timeout | null = null;
  #releaseHttp2: (() => void) | null = null;

  /**
   * Starts connecting at once. Input errors (headers the handshake reserves, bad values)
   * throw synchronously; every connection failure is reported through `onClose`.
   */
  constructor(
    url: ClientUrl,
    protocols: readonly string[],
    options: NormalizedOptions,
    listener: SessionListener,
  ) {
    installNodeHost();
    this.#url = url;
    this.#protocols = protocols;
    this.#options = options;
    this.#listener = listener;
    this.#handshake = this.#createHandshake(1);
    this.#handshakeTimer = setTimeout(onTimeout, options.handshakeTimeout, this, HANDSHAKE_TIMER);
    this.#handshakeTimer.unref();
    this.#start().catch((error: unknown) => {
      this.destroy(error, true);
    });
  }

  /**
   * Calls `callback` once everything sent so far has been handed to the transport and the
   * transport is below its high-water mark (at once after the next flush if it is; on
   * `drain` otherwise; when the connection ends at the latest).
   */
  whenWritable(callback: () => void): void {
    if (this.#finalized) {
      callback();
      return;
    }
    this.#writableWaiters.push(callback);
    this.#scheduleFlush();
  }

  #writableWaiters: (() => void)[] = [];

  #releaseWritable(force: boolean): void {
    const waiters = this.#writableWaiters;
    if (waiters.length === 0) return;
    if (!force) {
      const socket = this.#socket;
      const c = this.#connection;
      if (socket === null || c === null || socket.writableNeedDrain || c.pendingLength > 0) return;
    }
    this.#writableWaiters = [];
    for (const callback of waiters) callback();
  }

  /**
   * Sends a message. Returns false (and sends nothing) once the closing handshake started or
   * the connection failed.
   */
  send(data: Uint8Array, isBinary: boolean): boolean {
    const c = this.#connection;
    if (c === null || this.#phase !== OPEN || c.closeSent || this.#failed) return false;
    this.#sentBytes += data.byteLength;
    if (isBinary) {
      // An asynchronous extension reads the payload later: keep the caller's bytes stable.
      c.sendBinary(this.#hasExtensions ? data.slice() : data);
    } else {
      c.sendText(data);
    }
    return true;
  }

  #hasExtensions = false;
  #awaitingClose = false;

  /** Starts the closing handshake (code null: a close frame without a body). */
  close(code: number | null, reason: string | null): void {
    const c = this.#connection;
    if (c === null || this.#phase !== OPEN) return;
    let closeCode = code ?? undefined;
    if (closeCode === undefined && reason !== null && reason !== '') closeCode = 1000;
    c.close(closeCode, closeCode === undefined ? undefined : (reason ?? ''));
    this.#armCloseTimer();
  }

  /**
   * Fails the connection from this end without a closing handshake: destroys the transport.
   * `failed` marks it as failed (error before close).
   */
  destroy(cause: unknown, failed: boolean): void {
    if (this.#finalized) return;
    if (failed) this.#failed = true;
    if (this.#cause === null) this.#cause = cause;
    this.#aborted = true;
    if (this.#tracked.length === 0 || this.#awaitingClose) {
      this.#awaitingClose = true; // stop waiting for a close frame: finalize now
      this.#finalize();
      return;
    }
    for (const s of this.#tracked) s.destroy();
  }

  /** Sends a ping (at most 125 bytes); false when the connection is not open or closing. */
  ping(data: Uint8Array): boolean {
    const c = this.#connection;
    if (c === null || this.#phase !== OPEN || c.closeSent) return false;
    c.ping(data);
    return true;
  }

  /** Stops reading from the transport (a stream reader is slow). */
  pauseReading(): void {
    this.#readPaused = true;
    this.#socket?.pause();
  }

  /** Resumes reading unless the engine still holds too much input. */
  resumeReading(): void {
    this.#readPaused = false;
    const c = this.#connection;
    if (this.#phase === OPEN && (c === null || c.wantsInput)) this.#socket?.resume();
  }

  // ---- ConnectionHandler --------------------------------------------------------------

  /** @internal */
  onMessage(data: Uint8Array, isBinary: boolean): void {
    this.#listener.onMessage(data, isBinary);
  }

  /** @internal */
  onPing(): void {}

  /** @internal */
  onPong(data: Uint8Array): void {
    this.#listener.onPong?.(data.slice());
  }

  /** @internal */
  onClose(code: number, reason: string): void {
    this.#closeFrameReceived = true;
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#armCloseTimer();
    this.#listener.onClosing();
    if (this.#awaitingClose) this.#finalize();
  }

  /** @internal */
  onFail(error: ProtocolError): void {
    this.#failed = true;
    if (this.#cause === null) this.#cause = error;
    this.#accountedBytes = this.#sentBytes;
    this.#armCloseTimer();
    this.#scheduleFlush();
  }

  /** @internal */
  onOutput(): void {
    this.#scheduleFlush();
  }

  /** @internal */
  onResumeInput(): void {
    if (!this.#readPaused) this.#socket?.resume();
  }

  // ---- connecting -----------------------------------------------------------------------

  #createHandshake(httpVersion: 1 | 2): ClientHandshake {
    const o = this.#options;
    return createClientHandshake({
      url: this.#url,
      protocols: this.#protocols,
      extensions: clientNegotiators(o),
      ...(o.origin === null ? {} : { origin: o.origin }),
      headers: o.headers,
      randomFill,
      httpVersion,
    });
  }

  /**
   * Takes charge of a socket made while connecting (TCP, TLS, a proxy tunnel, an HTTP/2
   * stream): its errors become the cause, its close may end the session.
   * @internal
   */
  track(socket: Duplex): void {
    this.#tracked.push(socket);
    (socket as SessionSocket).strataSession = this;
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if (this.#aborted) socket.destroy();
  }

  async #start(): Promise<void> {
    if (this.#options.http2 !== false) {
      const opened = await openHttp2Stream(
        this.#url,
        this.#options,
        () => this.#createHandshake(2),
        this,
        () => this.#aborted,
      );
      if (this.#aborted) {
        opened?.release();
        return;
      }
      if (opened !== null) {
        this.#releaseHttp2 = opened.release;
        this.#establish(
          opened.stream,
          opened.handshake,
          opened.status,
          h2Headers(opened.headers),
          new Uint8Array(0),
        );
        return;
      }
      // The server does not offer RFC 8441: fall back to an HTTP/1.1 upgrade.
    }
    const socket = await openSocket(this.#url, this.#options, this);
    if (this.#aborted) return;
    socket.write(serializeUpgradeRequest(this.#handshake));
    const { head, rest } = await readResponseHead(socket, this.#options.maxResponseHeadSize);
    if (this.#aborted) return;
    this.#establish(socket, this.#handshake, head.status, head.headers, rest);
  }

  #establish(
    socket: Duplex,
    handshake: ClientHandshake,
    status: number,
    headers: HeaderRecord,
    rest: Uint8Array,
  ): void {
    let result: ClientHandshakeResult;
    try {
      result = validateHandshakeResponse(handshake, { status, headers });
    } catch (error) {
      if (error instanceof HandshakeError && error.code === 'response-status') {
        throw new HandshakeRefusedError(status, error);
      }
      throw error;
    }
    if (
      result.extensions.length === 0 &&
      getHeader(headers, 'sec-websocket-extensions') !== undefined
    ) {
      // RFC 6455 §9.1: the header is a 1#extension list, so a present but empty value is
      // malformed (browsers fail the connection). Checked here until the handshake does.
      throw new Error('Empty Sec-WebSocket-Extensions header');
    }
    if (this.#protocols.length > 0 && result.protocol === '') {
      // WHATWG "establish a WebSocket connection": protocols were requested, none was selected.
      throw new Error('The server selected none of the requested subprotocols');
    }
    const extensions: MessageExtension[] = buildExtensions(result.extensions, this.#options);
    this.#hasExtensions = extensions.length > 0;
    const connection = new Connection(this, {
      role: 'client',
      ...this.#options.limits,
      extensions,
      randomFill,
      masking: nodeMasking(),
      // Buffers every byte of which the engine writes: no zero-fill of masked sends and of
      // payloads gathered across reads, and chunks sockets write without wrapping them.
      allocate: allocateBuffer,
    });
    this.#connection = connection;
    this.#socket = socket;
    this.#phase = OPEN;
    if (this.#handshakeTimer !== null) {
      clearTimeout(this.#handshakeTimer);
      this.#handshakeTimer = null;
    }
    (socket as SessionSocket).strataSession = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('drain', onSocketDrain);
    this.#startHeartbeat();
    this.#listener.onOpen(result.protocol, result.extensionsHeader);
    if (rest.length > 0) this.#onData(rest);
    if (!this.#readPaused && connection.wantsInput) socket.resume();
  }

  // ---- open -------------------------------------------------------------------------------

  #onData(chunk: Uint8Array): void {
    this.#received = true;
    if (this.#pongTimer !== null) {
      clearTimeout(this.#pongTimer);
      this.#pongTimer = null;
    }
    const c = this.#connection!;
    c.receive(chunk);
    if (!c.wantsInput) this.#socket?.pause();
    if (c.transportShouldClose) this.#scheduleFlush();
  }

  #onEnd(): void {
    const c = this.#connection;
    if (c === null) return;
    c.receiveEof();
    this.#scheduleFlush();
  }

  #onDrain(): void {
    this.#releaseWritable(false);
    this.#listener.onDrain?.();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    if (!this.#flushHeld) process.nextTick(flushSession, this);
  }

  #flushHeld = false;

  /**
   * Holds the output until {@link ClientSession.releaseFlush}: the API object holds it while
   * it runs event tasks that were queued together (the messages of one socket read), so the
   * replies their listeners send leave in one corked write instead of one write each. The
   * API object releases it in the last of those tasks (the same event-loop turn).
   */
  holdFlush(): void {
    this.#flushHeld = true;
  }

  /** Ends {@link ClientSession.holdFlush}: output queued meanwhile is flushed on the next tick. */
  releaseFlush(): void {
    if (!this.#flushHeld) return;
    this.#flushHeld = false;
    if (this.#flushScheduled) process.nextTick(flushSession, this);
  }

  #flush(): void {
    this.#flushScheduled = false;
    const socket = this.#socket;
    const c = this.#connection;
    if (socket === null || c === null || socket.destroyed) return;
    const chunks = c.takeOutput();
    const n = chunks.length;
    if (n > 0 && !this.#ending) {
      const bytes = this.#sentBytes - this.#accountedBytes - c.pendingLength;
      this.#accountedBytes += bytes;
      // All are written once the last is; TCP/TLS copied them, so large frames' buffers may be
      // reused (not after another Duplex: an HTTP/2 stream may still hold written chunks).
      const reuse = socket instanceof Socket;
      const callback = (error?: Error | null): void => {
        if (!error && reuse) c.releaseOutput(chunks);
        if (!error && bytes > 0) this.#listener.onWritten(bytes);
      };
      if (n === 1) socket.write(chunks[0]!, callback);
      else {
        socket.cork();
        for (let i = 0; i < n - 1; i++) socket.write(chunks[i]!);
        socket.write(chunks[n - 1]!, callback);
        socket.uncork();
      }
    }
    this.#releaseWritable(false);
    if (c.transportShouldClose && !this.#ending) {
      this.#ending = true;
      // Close frames exchanged, or the connection failed: half-close and wait for the
      // server's TCP close (RFC 6455 §7.1.1), bounded by the close timer.
      socket.end();
      this.#armCloseTimer();
    }
  }

  #armCloseTimer(): void {
    if (this.#finalized) return;
    if (this.#closeTimer !== null) {
      if (!this.#awaitingClose) return;
      clearTimeout(this.#closeTimer);
    }
    this.#closeTimer = setTimeout(onTimeout, this.#options.closeTimeout, this, CLOSE_TIMER);
    this.#closeTimer.unref();
  }

  #startHeartbeat(): void {
    const heartbeat = this.#options.heartbeat;
    if (heartbeat === null) return;
    this.#heartbeatTimer = setInterval(onHeartbeat, heartbeat.interval, this);
    this.#heartbeatTimer.unref();
  }

  /** One heartbeat tick: a ping when nothing arrived since the last tick, then a pong timer. */
  #heartbeat(): void {
    if (this.#received) {
      this.#received = false;
      return;
    }
    const c = this.#connection;
    const heartbeat = this.#options.heartbeat;
    if (this.#pongTimer !== null || c === null || c.closeSent || heartbeat === null) return;
    c.ping();
    this.#pongTimer = setTimeout(onTimeout, heartbeat.timeout, this, PONG_TIMER);
    this.#pongTimer.unref();
  }

  // ---- closed -------------------------------------------------------------------------------

  #finalize(): void {
    if (this.#finalized) return;
    const connection = this.#connection;
    if (connection !== null && !this.#closeFrameReceived && !this.#awaitingClose) {
      connection.receiveEof();
      if (connection.state !== 3 && !this.#failed) {
        // The server's close frame was parsed but waits behind an asynchronous decode:
        // its messages and onClose still follow (bounded by the close timer).
        this.#awaitingClose = true;
        this.#armCloseTimer();
        return;
      }
    }
    this.#finalized = true;
    this.#phase = FINISHED;
    for (const timer of [this.#handshakeTimer, this.#closeTimer, this.#pongTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    if (this.#heartbeatTimer !== null) clearInterval(this.#heartbeatTimer);
    for (const s of this.#tracked) if (!s.destroyed) s.destroy();
    const c = this.#connection;
    c?.receiveEof();
    const received = this.#closeFrameReceived;
    // The standard's error event follows a *failed* connection: one that never opened, or
    // that this end failed (a protocol error by the server, a timeout, abort, a full buffer).
    // A transport that merely ends after open (FIN or reset, no close frame) closes with
    // 1006 and no error, as Chromium does.
    const failed = this.#failed || c === null;
    const code = received ? this.#closeCode : 1006;
    const reason = received ? this.#closeReason : '';
    const wasClean = received && !this.#failed && c?.closeSent === true;
    const cause = this.#cause;
    this.#releaseHttp2?.();
    this.#releaseHttp2 = null;
    this.#releaseWritable(true);
    setImmediate(() => {
      this.#listener.onClose(wasClean, code, reason, failed, cause);
    });
  }
}

export type { ClientHttp2Stream };
