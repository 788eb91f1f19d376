/**
 * `ServerWebSocket`: the public API of one accepted connection — its events and
 * `readyState` values, sending, control frames, closing, pausing, the message iterator,
 * topics and the negotiated properties. Argument
 * handling and documentation live here; the socket, the engine and the write path are its
 * base class's (`connection-io.ts`).
 */
import type { Socket } from 'node:net';
import type { ConnectionOptions, PreparedMessage } from '@strata-ws/protocol';
import { ConnectionIO, type SendCallback } from './connection-io.js';
import type { TransportKind } from './diagnostics.js';
import type { ConnectionProfile } from './internal.js';
import type { WebSocketMessage } from './message-iterator.js';
import type { ConnectionPublishOptions } from './topics.js';

export type { SendCallback } from './connection-io.js';
export { connectionInternals } from './connection-io.js';
export type { WebSocketMessage } from './message-iterator.js';

/** `readyState` values, as in the browser API (a server-side socket is never CONNECTING). */
export type ReadyState = 0 | 1 | 2 | 3;

/** Events of a `ServerWebSocket` (listener argument lists). */
export interface ServerWebSocketEvents {
  /** A message: `data` is a Buffer (UTF-8 bytes for text), `isBinary` tells which kind. */
  message: [data: Buffer, isBinary: boolean];
  /** A ping arrived (with `autoPong` the pong is already queued). */
  ping: [data: Buffer];
  /** A pong arrived. */
  pong: [data: Buffer];
  /** The socket closed; `code` is the peer's close code (1005 empty, 1006 none), or ours on failure. */
  close: [code: number, reason: string];
  /** The peer broke the protocol (emitted only when a listener exists; `close` follows). */
  error: [error: Error];
  /** The outgoing queue emptied after `send` returned false (or reading was paused for it). */
  drain: [];
}

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

function toBytes(data: SendData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('data must be a string, an ArrayBuffer or an ArrayBufferView');
}

/**
 * One accepted WebSocket connection on the server: an EventEmitter with `ws`-style methods
 * and events. Protocol logic lives in `@strata-ws/protocol`'s `Connection`; all frames
 * produced in one tick leave in one `writev`.
 */
export class ServerWebSocket<Data = unknown> extends ConnectionIO {
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

  /** @internal Created by `WebSocketServer`; not constructed by users. */
  constructor(
    socket: Socket,
    profile: ConnectionProfile,
    connectionOptions: ConnectionOptions,
    data: Data,
  ) {
    super(socket, profile, connectionOptions);
    this.data = data;
  }

  /** The negotiated subprotocol, or `''`. */
  get protocol(): string {
    return this.ioProfile.protocol;
  }

  /** The negotiated extensions as sent in the 101 response (`Sec-WebSocket-Extensions`), or `''`. */
  get extensions(): string {
    return this.ioProfile.extensions;
  }

  /**
   * The window bits (9-15) of a shared compressed frame this connection accepts: set when it
   * negotiated permessage-deflate with `server_no_context_takeover` (a frame compressed
   * with a fresh context is valid for it whatever it received before); 0 otherwise.
   */
  get sharedDeflateWindowBits(): number {
    return this.ioProfile.sharedDeflateWindowBits;
  }

  /** The transport: `'http/1.1'` or `'h2'` (RFC 8441). */
  get transport(): TransportKind {
    return this.ioProfile.transport;
  }

  /** 1 (OPEN), 2 (CLOSING) or 3 (CLOSED, once the socket has closed). */
  get readyState(): ReadyState {
    return this.ioReadyState();
  }

  /** Bytes queued and not yet handed to the kernel (socket buffer + engine output). */
  get bufferedAmount(): number {
    return this.ioBufferedAmount();
  }

  /** The peer's IP address (undefined once the socket is gone, or for a stream without one). */
  get remoteAddress(): string | undefined {
    return this.ioSocket.remoteAddress;
  }

  /** The peer's port. */
  get remotePort(): number | undefined {
    return this.ioSocket.remotePort;
  }

  /** The underlying socket (for socket options; writing to it corrupts the stream). */
  get socket(): Socket {
    return this.ioSocket;
  }

  /** Whether reading is paused by {@link ServerWebSocket.pause}. */
  get isPaused(): boolean {
    return this.ioUserPaused;
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
    const binary = opts?.binary ?? typeof data !== 'string';
    return this.ioSend(
      typeof data === 'string' ? data : toBytes(data),
      binary,
      opts?.fin !== false,
      opts?.compress,
      callback,
    );
  }

  /** Promise form of {@link ServerWebSocket.send}: resolves once the bytes left for the socket. */
  sendAsync(data: SendData, options?: SendOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.send(data, options, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Sends a ping (payload at most 125 bytes, else RangeError). */
  ping(data?: SendData, callback?: SendCallback): void {
    this.ioControl(
      true,
      data === undefined || typeof data === 'string' ? data : toBytes(data),
      callback,
    );
  }

  /** Sends an unsolicited pong (payload at most 125 bytes, else RangeError). */
  pong(data?: SendData, callback?: SendCallback): void {
    this.ioControl(
      false,
      data === undefined || typeof data === 'string' ? data : toBytes(data),
      callback,
    );
  }

  /**
   * Starts the closing handshake (RangeError for a code that may not be sent or a reason
   * over 123 bytes). The socket is destroyed if the peer has not completed the handshake
   * within `closeTimeout`.
   */
  close(code?: number, reason?: string): void {
    this.ioClose(code, reason);
  }

  /** Destroys the socket at once (no closing handshake). */
  terminate(): void {
    this.ioTerminate();
  }

  /** Stops reading from the peer (no `message` events until {@link ServerWebSocket.resume}). */
  pause(): void {
    this.ioSetUserPause(true);
  }

  /** Resumes reading after {@link ServerWebSocket.pause}. */
  resume(): void {
    this.ioSetUserPause(false);
  }

  /**
   * Iterates the messages (an alternative to `message` listeners, which keep working).
   * Reading from the socket pauses while unconsumed messages pile up; the iteration ends
   * when the connection closes. One iterator at a time.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<WebSocketMessage> {
    return this.ioIterator();
  }

  /**
   * Sends a message prepared once for many connections (topics/broadcast; build it with
   * `PreparedMessage` from `@strata-ws/protocol`). The engine writes its shared bytes as
   * they are when it can (the uncompressed frame, or the frame compressed once for every
   * connection with the same deflate parameters), in order with everything else sent here,
   * coalesced with this tick's other writes and counted by the backpressure accounting;
   * otherwise it frames the message itself. Ignored once the connection is closing.
   */
  sendPrepared(message: PreparedMessage): void {
    this.ioSendPrepared(message);
  }

  /**
   * Subscribes this connection to `topic` (see `WebSocketServer.publish`). Returns
   * false if it already was, or if the connection is closed (a closed connection holds no
   * subscriptions: they all end when it closes).
   */
  subscribe(topic: string): boolean {
    if (this.ioClosed) return false;
    return this.ioProfile.host.topics.subscribe(this as ServerWebSocket<unknown>, topic);
  }

  /** Unsubscribes this connection from `topic`; returns false if it was not subscribed. */
  unsubscribe(topic: string): boolean {
    return this.ioProfile.host.topics.unsubscribe(this as ServerWebSocket<unknown>, topic);
  }

  /** Whether this connection is subscribed to `topic`. */
  isSubscribed(topic: string): boolean {
    return this.ioProfile.host.topics.isSubscribed(this as ServerWebSocket<unknown>, topic);
  }

  /** The topics this connection is subscribed to, in subscription order. */
  get topics(): readonly string[] {
    return this.ioProfile.host.topics.topicsOf(this as ServerWebSocket<unknown>);
  }

  /**
   * Publishes a message to every subscriber of `topic` on this server (and, through the
   * server's pub/sub adapter, beyond it); `excludeSelf: true` skips this connection. The
   * message is framed once for all subscribers. Returns the number of local subscribers
   * it was queued for.
   */
  publish(topic: string, data: SendData, options?: ConnectionPublishOptions): number {
    return this.ioProfile.host.topics.publish(
      topic,
      data,
      options,
      options?.excludeSelf === true ? (this as ServerWebSocket<unknown>) : undefined,
    );
  }
}
