/**
 * The transport of a server that owns its port: a `node:net` (or `node:tls`) server whose
 * sockets are read by Strata itself until the request head is complete, without node:http.
 *
 * Why not node:http: a WebSocket server needs one request head per socket and nothing else
 * of HTTP, yet node:http gives every socket a parser, a dozen listeners and per-socket
 * method overrides that stay on the socket after the upgrade (~300 B of heap per idle
 * connection, measured), and runs llhttp plus an `IncomingMessage` setup per handshake.
 * Here the head is found with `Buffer#indexOf` and parsed by `@strata-ws/handshake` (the
 * same strict rules as its incremental parser, which takes over when a head arrives in
 * pieces); the hooks still receive a real `http.IncomingMessage`.
 *
 * Safety: every socket is registered with a deadline when it connects; one interval sweep
 * destroys those not upgraded in time (a silent or byte-at-a-time client, answered 408), so
 * no socket is ever without something that will close it. Heads are bounded by
 * `maxHeaderSize` (431); malformed heads get 400, requests that are not upgrades 426.
 */
import { type IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import {
  HandshakeError,
  type HttpRequestHead,
  parseRequestHead,
  RequestHeadParser,
  serializeRejection,
} from '@strata-ws/handshake';
import { ignoreSocketError } from './socket-events.js';

/** Options of an {@link Http1Listener}. */
export interface Http1ListenerOptions {
  /** TLS options: listen with `node:tls` (ALPN `http/1.1` unless given). */
  readonly tls: TlsOptions | undefined;
  /** Largest request head in bytes (431 beyond). */
  readonly maxHeaderSize: number;
  /** Time from TCP connect (TLS: from the secure connection) to a complete request head. */
  readonly handshakeTimeout: number;
}

/** Receives each complete upgrade request head, as node:http's `upgrade` event would. */
export type Http1UpgradeHandler = (request: IncomingMessage, socket: Socket, head: Buffer) => void;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);

/** Node's rule for repeated fields in `req.headers` (`IncomingMessage#_addHeaderLine`). */
const FIRST_WINS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * `req.headers` as node:http builds it: lower-case names; a repeated field joined with
 * ", " (`cookie` with "; "), `set-cookie` always an array, and for the fields that may
 * appear once (`host`, `content-type`, ...) the first value kept.
 */
export function nodeHeaders(
  rawHeaders: ReadonlyArray<readonly [string, string]>,
): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i++) {
    const [name, value] = rawHeaders[i]!;
    const key = name.toLowerCase();
    const prev = out[key];
    if (key === 'set-cookie') {
      if (prev === undefined) out[key] = [value];
      else (prev as string[]).push(value);
    } else if (prev === undefined) {
      out[key] = value;
    } else if (!FIRST_WINS.has(key)) {
      out[key] = `${prev}${key === 'cookie' ? '; ' : ', '}${value}`;
    }
  }
  return out;
}

/**
 * The header record `@strata-ws/handshake` parsed from the head (lower-case names, a repeated
 * field joined with ", "), kept on a request this listener made: validation reads it, so
 * `req.headers` is built (by node:http's own rules) only if someone reads it.
 */
const parsedHeaders = Symbol('strata.parsedHeaders');

/** The header record of a request made by {@link incomingMessage}, else undefined. */
export function parsedHeadersOf(request: IncomingMessage): Record<string, string> | undefined {
  return (request as { [parsedHeaders]?: Record<string, string> })[parsedHeaders];
}

/** node:http's own way to give a request its raw headers (its parser calls it). */
type AddHeaderLines = (this: IncomingMessage, lines: string[], n: number) => void;
const addHeaderLines = (IncomingMessage.prototype as { _addHeaderLines?: AddHeaderLines })
  ._addHeaderLines;

/** A node:http `IncomingMessage` for a parsed upgrade request head (no body: never read). */
export function incomingMessage(socket: Socket, head: HttpRequestHead): IncomingMessage {
  const request = new IncomingMessage(socket);
  const version = head.httpVersion;
  request.httpVersion = version;
  request.httpVersionMajor = version.charCodeAt(0) - 0x30;
  request.httpVersionMinor = version.charCodeAt(2) - 0x30;
  request.method = head.method;
  request.url = head.url;
  const raw = head.rawHeaders;
  const flat: string[] = new Array(raw.length * 2);
  for (let i = 0; i < raw.length; i++) {
    flat[2 * i] = raw[i]![0];
    flat[2 * i + 1] = raw[i]![1];
  }
  if (typeof addHeaderLines === 'function') {
    // As node:http's parser does: `rawHeaders` now, `headers` from them on first read.
    addHeaderLines.call(request, flat, flat.length);
  } else {
    request.rawHeaders = flat;
    request.headers = nodeHeaders(raw);
  }
  (request as { [parsedHeaders]?: Record<string, string> })[parsedHeaders] = head.headers;
  request.complete = true;
  (request as unknown as { upgrade: boolean }).upgrade = true;
  return request;
}

/**
 * Accepts connections on its own `node:net`/`node:tls` server and hands every complete
 * upgrade request head to `onUpgrade` (after which the socket is the handler's). See the
 * module comment for what it answers itself.
 */
export class Http1Listener {
  /** The server listening (a `tls.Server` with the `tls` option). */
  readonly server: NetServer;
  readonly #options: Http1ListenerOptions;
  readonly #onUpgrade: Http1UpgradeHandler;
  /**
   * Sockets whose head is not complete (or whose refusal is being written), with their
   * deadline. One timeout for all, so insertion order is deadline order.
   */
  readonly #connecting = new Map<Socket, number>();
  /** Heads that arrived in more than one read (rare: clients send the head in one write). */
  readonly #partial = new Map<Socket, RequestHeadParser>();
  readonly #onData: (this: Socket, chunk: Buffer) => void;
  readonly #onClose: (this: Socket) => void;
  #sweep: NodeJS.Timeout | null;

  constructor(options: Http1ListenerOptions, onUpgrade: Http1UpgradeHandler) {
    this.#options = options;
    this.#onUpgrade = onUpgrade;
    const listener = this;
    // Shared by every socket (`this` is the socket): no closure per connection.
    this.#onData = function (this: Socket, chunk: Buffer) {
      listener.#read(this, chunk);
    };
    this.#onClose = function (this: Socket) {
      listener.#connecting.delete(this);
      listener.#partial.delete(this);
    };
    const onConnection = (socket: Socket) => this.#accept(socket);
    if (options.tls !== undefined) {
      this.server = createTlsServer(
        {
          ALPNProtocols: ['http/1.1'],
          ...options.tls,
          handshakeTimeout: options.handshakeTimeout,
        },
        onConnection,
      );
    } else {
      // No TCP_NODELAY at accept: the connection sets it when it first sends frames
      // (connection-io.ts), so a socket refused or closed after the handshake skips the call.
      this.server = createNetServer(onConnection);
    }
    const timeout = options.handshakeTimeout;
    this.#sweep = setInterval(() => this.#expire(), Math.max(50, Math.min(1_000, timeout / 4)));
    this.#sweep.unref();
  }

  /** Stops the sweep and destroys the sockets that have not upgraded; the server keeps its own `close`. */
  close(): void {
    if (this.#sweep !== null) clearInterval(this.#sweep);
    this.#sweep = null;
    for (const socket of this.#connecting.keys()) socket.destroy();
    this.#connecting.clear();
    this.#partial.clear();
  }

  #accept(socket: Socket): void {
    if (this.#sweep === null) {
      socket.destroy();
      return;
    }
    this.#connecting.set(socket, Date.now() + this.#options.handshakeTimeout);
    // Kept after the upgrade: the connection's 'error' listener (errors end in 'close').
    socket.on('error', ignoreSocketError);
    socket.on('close', this.#onClose);
    socket.on('data', this.#onData);
  }

  #read(socket: Socket, chunk: Buffer): void {
    const max = this.#options.maxHeaderSize;
    let head: HttpRequestHead;
    let rest: Buffer;
    try {
      const parser = this.#partial.get(socket);
      const end = parser === undefined ? chunk.indexOf(HEAD_END) : -1;
      if (end >= 0) {
        // The whole head in one read: native search and decode, then the shared rules.
        head = parseRequestHead(chunk.toString('latin1', 0, end + 4), { maxHeaderBytes: max });
        rest = chunk.subarray(end + 4);
      } else {
        const incremental = parser ?? new RequestHeadParser({ maxHeaderBytes: max });
        const result = incremental.push(chunk);
        if (result === null) {
          if (parser === undefined) this.#partial.set(socket, incremental);
          return;
        }
        this.#partial.delete(socket);
        head = result.head;
        rest =
          result.rest.byteLength === 0
            ? EMPTY
            : Buffer.from(result.rest.buffer, result.rest.byteOffset, result.rest.byteLength);
      }
    } catch (error) {
      this.#refuse(socket, error instanceof HandshakeError ? error : 400);
      return;
    }
    if (head.headers.upgrade === undefined) {
      // Plain HTTP on a WebSocket-only port (as `ws` answers it).
      this.#refuse(socket, 426, head.method === 'HEAD' ? '' : 'Upgrade Required');
      return;
    }
    this.#connecting.delete(socket);
    socket.removeListener('data', this.#onData);
    socket.removeListener('close', this.#onClose);
    this.#onUpgrade(incomingMessage(socket, head), socket, rest);
  }

  /**
   * Answers and closes. The socket stays registered until it closes, so the sweep destroys
   * a peer that never reads the answer or never closes its side.
   */
  #refuse(socket: Socket, rejection: HandshakeError | number, message?: string): void {
    socket.removeListener('data', this.#onData);
    this.#partial.delete(socket);
    if (socket.writable)
      socket.end(serializeRejection(rejection, message === undefined ? undefined : { message }));
  }

  #expire(): void {
    const now = Date.now();
    for (const [socket, deadline] of this.#connecting) {
      if (deadline > now) break;
      this.#connecting.delete(socket);
      this.#partial.delete(socket);
      // A request that did not arrive in time (RFC 9110 §15.5.9), then the socket goes.
      if (socket.writable && socket.bytesRead > 0) socket.end(serializeRejection(408));
      socket.destroy();
    }
  }
}
