/**
 * The glue between one open `WebSocket` and its `node:stream` Duplex: the engine's
 * {@link ConnectionHandler} (messages, pings, close, failure turned into `ws`'s events), the
 * socket listeners (reads in; shared functions that find their transport through the socket),
 * the output (everything queued during one read or one tick leaves in one `write`/`writev`),
 * send callbacks and the close timer. One object per connection, no closure per connection or
 * per message; every protocol rule stays in `@strata-ws/protocol`.
 */
import { Socket as NetSocket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ProtocolError } from '@strata-ws/codec';
import { allocateBuffer, nodeMasking } from '@strata-ws/node-host';
import {
  Connection,
  type ConnectionHandler,
  type ConnectionOptions,
  type MessageExtension,
} from '@strata-ws/protocol';
import { CLOSE_TIMEOUT_MS, EMPTY_BUFFER } from './constants.js';
import {
  noop,
  notOpen,
  type RawData,
  type SocketSetup,
  toArrayBuffer,
  toBuffer,
  wsErrorCode,
  wsLimits,
} from './util.js';
import type { WebSocket } from './websocket.js';

/** The socket property naming its transport (also marks a socket already upgraded). */
const kTransport: unique symbol = Symbol('@strata-ws/ws transport');
type Socket = Duplex & { [kTransport]?: Transport | null };

/**
 * Marks `socket` as taken by a WebSocket; false when it already was (a second
 * `handleUpgrade` with the same socket).
 */
export function claimSocket(socket: Duplex): boolean {
  const s = socket as Socket;
  if (s[kTransport] !== undefined) return false;
  s[kTransport] = null;
  return true;
}

/**
 * Frozen engine options shared by the connections that need no per-connection option (no
 * extension, no `generateMask`): the engine derives their settings once. Bounded: a program
 * creating servers with ever new `maxPayload` values gets per-connection options past 32.
 */
const sharedOptions = new Map<string, ConnectionOptions>();

function engineOptions(
  role: 'client' | 'server',
  setup: SocketSetup,
  autoPong: boolean,
): ConnectionOptions {
  const extensions: readonly MessageExtension[] = setup.extensions ?? [];
  const shareable = extensions.length === 0 && setup.randomFill === undefined;
  const key = `${role} ${setup.maxPayload} ${autoPong}`;
  if (shareable) {
    const shared = sharedOptions.get(key);
    if (shared !== undefined) return shared;
  }
  const options: ConnectionOptions = {
    role,
    ...wsLimits(setup.maxPayload, role),
    masking: nodeMasking(),
    allocate: allocateBuffer,
    autoPong,
    // ws answers a close frame with the peer's code and reason
    echoCloseReason: true,
    extensions,
    ...(setup.randomFill === undefined ? {} : { randomFill: setup.randomFill }),
  };
  if (!shareable) return options;
  Object.freeze(options);
  if (sharedOptions.size < 32) sharedOptions.set(key, options);
  return options;
}

function socketOnData(this: Socket, chunk: Buffer): void {
  this[kTransport]?.onData(chunk);
}
function socketOnEnd(this: Socket): void {
  this[kTransport]?.onEnd();
}
function socketOnError(this: Socket): void {
  this.removeListener('error', socketOnError);
  this.on('error', noop);
  const transport = this[kTransport];
  if (transport != null && transport.ws._readyState !== 3) transport.ws._readyState = 2;
  this.destroy();
}
function socketOnClose(this: Socket): void {
  this[kTransport]?.onSocketClose();
}
function flushTick(transport: Transport): void {
  transport.flush();
}

/** One open connection's engine and socket glue (internal to `WebSocket`). */
export class Transport implements ConnectionHandler {
  /** The WebSocket whose events this transport emits. */
  readonly ws: WebSocket;
  /** The engine. */
  readonly conn: Connection;
  /** The stream. */
  readonly socket: Duplex;
  /** Whether the peer's close frame must wait for an asynchronous decode before `close`. */
  closeOnConclude = false;
  #flushScheduled = false;
  #inRead = false;
  #needFlush = false;
  #callbacks: Array<(error?: Error) => void> | null = null;
  #closeTimer: NodeJS.Timeout | null = null;
  #ended = false;

  constructor(ws: WebSocket, socket: Duplex, head: Buffer, setup: SocketSetup) {
    this.ws = ws;
    this.socket = socket;
    const role = ws._isServer ? 'server' : 'client';
    this.conn = new Connection(this, engineOptions(role, setup, ws._autoPong));
    const s = socket as Socket & { setTimeout?: unknown; setNoDelay?: unknown };
    s[kTransport] = this;
    if (typeof s.setTimeout === 'function') (s.setTimeout as (ms: number) => void)(0);
    if (typeof s.setNoDelay === 'function') (s.setNoDelay as () => void)();
    if (head.length > 0) socket.unshift(head);
    socket.on('close', socketOnClose);
    socket.on('data', socketOnData);
    socket.on('end', socketOnEnd);
    socket.on('error', socketOnError);
  }

  // ---- the engine's handler -------------------------------------------------------------

  /** A message: `ws`'s `message` event with the data in the form `binaryType` asks for. */
  onMessage(data: Uint8Array, isBinary: boolean): void {
    const ws = this.ws;
    if (!isBinary) {
      ws.emit('message', toBuffer(data), false);
      return;
    }
    const type = ws._binaryType;
    const out: RawData =
      type === 'nodebuffer'
        ? toBuffer(data)
        : type === 'arraybuffer'
          ? toArrayBuffer(data)
          : [toBuffer(data)];
    ws.emit('message', out, true);
  }

  /** A ping (the pong is already queued with `autoPong`). */
  onPing(data: Uint8Array): void {
    this.ws.emit('ping', toBuffer(data));
  }

  /** A pong. */
  onPong(data: Uint8Array): void {
    this.ws.emit('pong', toBuffer(data));
  }

  /** The peer's close frame: its code and reason are what `close` will carry. */
  onClose(code: number, reason: string): void {
    const ws = this.ws;
    ws._closeCode = code;
    ws._closeMessage = reason === '' ? EMPTY_BUFFER : Buffer.from(reason);
    if (ws._readyState === 1) ws._readyState = 2;
    this.armCloseTimer();
    if (this.closeOnConclude) ws.emitClose();
  }

  /** A protocol error: `ws`'s `error` event (once, with `ws`'s `code`); the close frame is queued. */
  onFail(error: ProtocolError): void {
    const ws = this.ws;
    if (ws._readyState === 1) ws._readyState = 2;
    this.armCloseTimer();
    const err = error as ProtocolError & { code?: string };
    if (err.code === undefined) err.code = wsErrorCode(error.closeCode, error.message);
    if (!ws._errorEmitted) {
      ws._errorEmitted = true;
      ws.emit('error', err);
    }
  }

  /** Output was queued: flushed after the current read, or on the next tick. */
  onOutput(): void {
    if (this.#inRead) {
      this.#needFlush = true;
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      process.nextTick(flushTick, this);
    }
  }

  /** The engine takes input again (an asynchronous decode finished). */
  onResumeInput(): void {
    if (!this.ws._paused) this.socket.resume();
  }

  // ---- the socket -----------------------------------------------------------------------

  /** Bytes read: into the engine, then one write of whatever it queued. */
  onData(chunk: Buffer): void {
    const conn = this.conn;
    this.#inRead = true;
    try {
      conn.receive(chunk);
    } finally {
      this.#inRead = false;
      // also when nothing new was queued: a close reply may complete a handshake we started
      if (this.#needFlush || conn.transportShouldClose) {
        this.#needFlush = false;
        this.flush();
      }
    }
    if (!conn.wantsInput) this.socket.pause();
  }

  /** The peer ended its side. */
  onEnd(): void {
    const ws = this.ws;
    ws._readyState = ws._readyState === 3 ? 3 : 2;
    this.#ended = true;
    this.conn.receiveEof();
    this.socket.end();
  }

  /** The socket closed: `close` now, or once a pending decode delivered the peer's close frame. */
  onSocketClose(): void {
    const ws = this.ws;
    if (ws._readyState !== 3) ws._readyState = 2;
    const socket = this.socket;
    socket.removeListener('data', socketOnData);
    socket.removeListener('end', socketOnEnd);
    if (this.#closeTimer !== null) {
      clearTimeout(this.#closeTimer);
      this.#closeTimer = null;
    }
    const conn = this.conn;
    if (!this.#ended) {
      this.#ended = true;
      conn.receiveEof();
    }
    if (!conn.closeReceived && conn.state !== 3) {
      // the peer's close frame waits behind an asynchronous decode: close after it
      this.closeOnConclude = true;
      return;
    }
    ws.emitClose();
  }

  /** Whether the peer ended its side (or the socket closed). */
  get ended(): boolean {
    return this.#ended;
  }

  // ---- output, callbacks, timer ---------------------------------------------------------

  /** Writes everything the engine queued (one `writev`). */
  flush(): void {
    this.#flushScheduled = false;
    const conn = this.conn;
    const socket = this.socket;
    const chunks = conn.takeOutput();
    const cbs = this.#callbacks;
    this.#callbacks = null;
    if (socket.writable && chunks.length > 0) {
      const last = chunks.length - 1;
      if (last > 0) socket.cork();
      for (let i = 0; i < last; i++) socket.write(chunks[i] as Uint8Array);
      // Once the last chunk is written, all are: a TCP or TLS socket has copied them, so a
      // client's engine may reuse a large masked frame's buffer (a server's are never pooled;
      // another Duplex, as `createConnection` may give, may still hold written chunks).
      const reuse = !this.ws._isServer && socket instanceof NetSocket;
      if (cbs === null && !reuse) socket.write(chunks[last] as Uint8Array);
      else {
        socket.write(chunks[last] as Uint8Array, (error) => {
          if (!error && reuse) conn.releaseOutput(chunks);
          if (cbs !== null) for (const cb of cbs) cb(error ?? undefined);
        });
      }
      if (last > 0) socket.uncork();
    } else if (cbs !== null) {
      const err = notOpen(this.ws._readyState);
      for (const cb of cbs) process.nextTick(cb, err);
    }
    if (conn.transportShouldClose && socket.writable) socket.end();
  }

  /** A send callback, called once the bytes of its message are written. */
  addCallback(cb: (error?: Error) => void): void {
    if (this.#callbacks === null) this.#callbacks = [cb];
    else this.#callbacks.push(cb);
  }

  /** Fails the pending send callbacks (the connection closed before they were written). */
  failCallbacks(): void {
    const cbs = this.#callbacks;
    if (cbs === null) return;
    this.#callbacks = null;
    const err = notOpen(this.ws._readyState);
    for (const cb of cbs) process.nextTick(cb, err);
  }

  /** `ws`'s close timer: a closing socket is destroyed after 30 s. */
  armCloseTimer(): void {
    if (this.#closeTimer !== null) return;
    const socket = this.socket;
    this.#closeTimer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
  }
}
