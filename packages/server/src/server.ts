import { EventEmitter } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  IncomingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  HandshakeError,
  negotiateUpgrade,
  responseHeadersH2,
  type ServerHandshake,
  serializeRejection,
  serializeSwitchingProtocols,
  type ValidatedUpgradeRequest,
  validateExtendedConnect,
  validateUpgradeRequest,
} from '@strata-ws/handshake';
import type { ConnectionOptions } from '@strata-ws/protocol';
import { createDeflateSupport, type DeflateSupport } from './deflate.js';
import { diagnostics, ServerCounters, type TransportKind } from './diagnostics.js';
import { installNodeHost } from './host.js';
import { Http1Listener } from './http1-listener.js';
import {
  http2Request,
  isSecureStream,
  isWebSocketConnect,
  refuseStream,
  streamAsSocket,
} from './http2.js';
import type { ConnectionHost, ConnectionProfile } from './internal.js';
import {
  type ResolvedOptions,
  resolveOptions,
  type UpgradeDecision,
  type UpgradeInfo,
  type WebSocketServerOptions,
} from './options.js';
import type { MessageData } from './prepared-frame.js';
import { closeGracefully, type ShutdownOptions, type ShutdownResult } from './shutdown.js';
import { InProcessAdapter, type PublishOptions, TopicRegistry } from './topics.js';
import { connectionInternals, ignoreSocketError, ServerWebSocket } from './websocket.js';

/** Events of a {@link WebSocketServer} (listener argument lists). */
export interface WebSocketServerEvents<Data> {
  /** A connection is open (after the 101 was written). */
  connection: [socket: ServerWebSocket<Data>, request: IncomingMessage];
  /** The server this created is listening. */
  listening: [];
  /** An error of the http server this created or attached to (e.g. EADDRINUSE). */
  error: [error: Error];
  /** {@link WebSocketServer.close} finished. */
  close: [];
  /**
   * The 101 response headers are about to be written: listeners may push `"Name: value"`
   * lines onto `headers` (as in `ws`).
   */
  headers: [headers: string[], request: IncomingMessage];
  /**
   * A handshake was refused (bad request, origin, authentication, timeout, hook failure):
   * the response was already written and the socket is closing. Informational only.
   */
  wsClientError: [error: Error, socket: Socket, request: IncomingMessage];
}

/** Callback of {@link WebSocketServer.handleUpgrade}. */
export type UpgradeCallback<Data> = (
  socket: ServerWebSocket<Data>,
  request: IncomingMessage,
) => void;

interface PendingHandshake {
  readonly socket: Socket;
  readonly timer: NodeJS.Timeout;
  done: boolean;
}

/** A refused handshake from the authentication hook, carried to the response writer. */
class Refusal extends Error {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders | undefined;
  readonly body: string | undefined;
  constructor(status: number, headers: OutgoingHttpHeaders | undefined, body: string | undefined) {
    super(body ?? `Refused with ${status}`);
    this.name = 'UpgradeRefused';
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

function headerInit(headers: OutgoingHttpHeaders | undefined): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  if (headers === undefined) return list;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) list.push([name, String(v)]);
    else list.push([name, String(value)]);
  }
  return list;
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * A WebSocket server for Node.js: listens on its own port, attaches to an http/https
 * server, or (with `noServer`) takes upgrades from any framework through
 * {@link WebSocketServer.handleUpgrade}. Protocol logic comes from `@strata-ws/protocol`,
 * `@strata-ws/handshake` and `@strata-ws/permessage-deflate`; this class owns sockets,
 * timers and limits.
 */
export class WebSocketServer<Data = unknown> extends EventEmitter<WebSocketServerEvents<Data>> {
  /** The options with defaults applied. */
  readonly options: ResolvedOptions;

  readonly #userOptions: WebSocketServerOptions<Data>;
  readonly #server: NetServer | null;
  readonly #ownsServer: boolean;
  readonly #clients = new Set<ServerWebSocket<Data>>();
  readonly #pending = new Set<PendingHandshake>();
  readonly #host: ConnectionHost;
  readonly #profiles = new Map<string, ConnectionProfile>();
  readonly #baseConnectionOptions: ConnectionOptions;
  readonly #deflate: DeflateSupport | null;
  readonly #checkOrigin: ((origin: string | undefined) => boolean) | readonly string[] | undefined;
  readonly #topics: TopicRegistry<ServerWebSocket<unknown>>;
  /** Counters a user can read: connections, handshakes refused, messages, bytes. */
  readonly counters: ServerCounters = new ServerCounters();
  #http2: Http2Server | Http2SecureServer | null = null;
  #onStream: ((stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void) | null = null;
  #onCompatConnect: ((req: Http2ServerRequest, res: Http2ServerResponse) => void) | null = null;
  #onHttp2Upgrade: ((req: IncomingMessage, socket: Socket, head: Buffer) => void) | null = null;
  #onHttp2Listening: (() => void) | null = null;
  #onHttp2Error: ((error: Error) => void) | null = null;
  /** The transport of a server that owns its port (null when attached or `noServer`). */
  #listener: Http1Listener | null = null;
  /** `'connection'` emitter handed to `handleUpgrade` (one function, not one per upgrade). */
  readonly #emitConnection: UpgradeCallback<Data> = (ws, request) =>
    this.emit('connection', ws, request);
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #onUpgrade: ((req: IncomingMessage, socket: Socket, head: Buffer) => void) | null = null;
  #onListening: (() => void) | null = null;
  #onError: ((error: Error) => void) | null = null;

  /**
   * @param options - see {@link WebSocketServerOptions}; exactly one of `port`, `server`, `noServer`
   * @param callback - with `port`: called once listening
   * @throws TypeError/RangeError for invalid options
   */
  constructor(options: WebSocketServerOptions<Data>, callback?: () => void) {
    super();
    installNodeHost();
    const modes = [
      options.port !== undefined,
      options.server !== undefined || options.http2 !== undefined,
      options.noServer === true,
    ];
    if (modes.filter(Boolean).length !== 1) {
      throw new TypeError(
        'exactly one of the "port", "server" (and/or "http2") and "noServer" options must be set',
      );
    }
    this.#userOptions = options;
    const limits = resolveOptions(options as WebSocketServerOptions<unknown>);
    this.options = limits;
    const server = this;
    // Milliseconds since this server started: small integers (no boxed number per connection).
    const epoch = Date.now();
    let now = 0;
    const counters = this.counters;
    const { adapter, ...topicOptions } = options.topics ?? {};
    const topics = new TopicRegistry<ServerWebSocket<unknown>>(
      topicOptions,
      adapter ?? new InProcessAdapter(),
    );
    this.#topics = topics;
    this.#host = {
      topics,
      counters,
      limits,
      get now() {
        return now;
      },
      connectionClosed(ws, code, reason) {
        server.#clients.delete(ws as ServerWebSocket<Data>);
        topics.unsubscribeAll(ws);
        counters.connectionsOpen--;
        diagnostics.close(ws, code, reason, code !== 1006);
      },
      connectionFailed(ws, error) {
        diagnostics.error(ws, error);
      },
    };
    this.#baseConnectionOptions = Object.freeze({
      role: 'server' as const,
      maxPayloadLength: limits.maxPayload,
      maxMessageSize: limits.maxMessageSize,
      maxFragments: limits.maxFragments,
      autoPong: limits.autoPong,
      maxBufferedInput: limits.maxBufferedInput,
    });
    this.#deflate = options.perMessageDeflate
      ? createDeflateSupport(options.perMessageDeflate === true ? {} : options.perMessageDeflate)
      : null;
    const origins = options.origins;
    if (origins === undefined) this.#checkOrigin = undefined;
    else if (origins instanceof RegExp)
      this.#checkOrigin = (o) => o !== undefined && origins.test(o);
    else if (typeof origins === 'function')
      this.#checkOrigin = undefined; // checked with the request
    else this.#checkOrigin = origins;

    if (limits.heartbeatInterval > 0) {
      this.#heartbeatTimer = setInterval(() => {
        for (const ws of this.#clients)
          connectionInternals.heartbeat(ws as ServerWebSocket<unknown>);
      }, limits.heartbeatInterval);
      this.#heartbeatTimer.unref();
    }
    if (limits.idleTimeout > 0) {
      const tick = Math.max(50, Math.min(limits.idleTimeout / 4, 5_000));
      this.#idleTimer = setInterval(() => {
        now = Date.now() - epoch;
        for (const ws of this.#clients)
          connectionInternals.idleCheck(ws as ServerWebSocket<unknown>, now);
      }, tick);
      this.#idleTimer.unref();
    }

    if (options.port !== undefined) {
      // Own port: sockets are read by Strata up to the request head (no node:http; see
      // http1-listener.ts), under the handshake timeout and the header size limit.
      this.#listener = new Http1Listener(
        {
          tls: options.tls,
          maxHeaderSize: limits.maxHeaderSize,
          handshakeTimeout: limits.handshakeTimeout,
        },
        (req, socket, head) => {
          if (!this.shouldHandle(req)) {
            this.#refuseRaw(socket, 400, 'Unknown path');
            return;
          }
          this.handleUpgrade(req, socket, head, this.#emitConnection);
        },
      );
      this.#server = this.#listener.server;
      this.#ownsServer = true;
      this.#server.listen(options.port, options.host, options.backlog);
    } else {
      this.#server = options.server ?? null;
      this.#ownsServer = false;
    }

    const httpServer = this.#server;
    if (httpServer !== null) {
      this.#onListening = () => this.emit('listening');
      this.#onError = (error) => this.emit('error', error);
      httpServer.on('listening', this.#onListening);
      httpServer.on('error', this.#onError);
      if (this.#listener === null) {
        this.#onUpgrade = (req, socket, head) => {
          if (!this.shouldHandle(req)) {
            // Another upgrade listener may serve this path; when we are the only one,
            // answer 400 rather than leave the socket without an owner.
            if (httpServer.listenerCount('upgrade') === 1)
              this.#refuseRaw(socket, 400, 'Unknown path');
            return;
          }
          this.handleUpgrade(req, socket, head, this.#emitConnection);
        };
        httpServer.on('upgrade', this.#onUpgrade);
      }
      if (callback) this.once('listening', callback);
    }
    if (options.http2 !== undefined)
      this.#attachHttp2(options.http2, httpServer === null ? callback : undefined);
  }

  /**
   * Serves WebSockets over HTTP/2 (RFC 8441) from an http2 server's extended CONNECT
   * streams; other streams are left to the server's other listeners. Without an http/https
   * `server`, the http2 server's HTTP/1.1 upgrades (`allowHTTP1`) are served too.
   */
  #attachHttp2(h2: Http2Server | Http2SecureServer, callback: (() => void) | undefined): void {
    this.#http2 = h2;
    this.#onStream = (stream, headers) => {
      if (!isWebSocketConnect(headers)) return;
      const path = this.options.path;
      const streamPath = headers[':path'];
      if (
        path !== undefined &&
        pathOf(typeof streamPath === 'string' ? streamPath : '/') !== path
      ) {
        if (h2.listenerCount('stream') === 1) refuseStream(stream, 404, 'Unknown path');
        return;
      }
      this.handleHttp2Stream(stream, headers, this.#emitConnection);
    };
    // First in line: with node:http2's compatibility API ('request' listeners) the stream is
    // answered before the compat layer sees it.
    h2.prependListener('stream', this.#onStream);
    // The compat layer answers a CONNECT nobody listens for with 405 and ends the stream;
    // listening for 'connect' keeps it off WebSocket streams (the 'stream' listener serves them).
    this.#onCompatConnect = (req, res) => {
      if (!isWebSocketConnect(req.headers) && h2.listenerCount('connect') === 1) {
        res.statusCode = 405;
        res.end();
      }
    };
    h2.on('connect', this.#onCompatConnect);
    if (this.#server !== null) return;
    this.#onHttp2Listening = () => this.emit('listening');
    this.#onHttp2Error = (error) => this.emit('error', error);
    this.#onHttp2Upgrade = (req, socket, head) => {
      if (!this.shouldHandle(req)) {
        if (h2.listenerCount('upgrade') === 1) this.#refuseRaw(socket, 400, 'Unknown path');
        return;
      }
      this.handleUpgrade(req, socket, head, this.#emitConnection);
    };
    h2.on('listening', this.#onHttp2Listening);
    h2.on('error', this.#onHttp2Error);
    h2.on('upgrade', this.#onHttp2Upgrade);
    if (callback) this.once('listening', callback);
  }

  /** The open connections (empty when `clientTracking` is false). */
  get clients(): ReadonlySet<ServerWebSocket<Data>> {
    return this.options.clientTracking ? this.#clients : EMPTY_SET;
  }

  /**
   * The server this one listens on: the http/https server it was attached to, or, with
   * `port`, the `net.Server` (`tls.Server` with `tls`) it created; null with `noServer`.
   */
  get server(): NetServer | null {
    return this.#server;
  }

  /** The bound address of the server this created (null otherwise or before listening). */
  address(): AddressInfo | string | null {
    return (this.#server ?? this.#http2)?.address() ?? null;
  }

  /** The http2 server this one serves RFC 8441 streams from, if any. */
  get http2Server(): Http2Server | Http2SecureServer | null {
    return this.#http2;
  }

  /**
   * Publishes a message to every subscriber of `topic` (connections that called
   * `ws.subscribe(topic)`), through the pub/sub adapter. The frame is built once for all
   * subscribers (and compressed at most once, for those that negotiated permessage-deflate
   * without server context takeover); each subscriber's queue is subject to the usual
   * backpressure policy. Returns the number of local subscribers it was queued for.
   */
  publish(topic: string, data: MessageData, options?: PublishOptions): number {
    return this.#topics.publish(topic, data, options);
  }

  /** How many connections of this server are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#topics.subscriberCount(topic);
  }

  /**
   * The transport a connection runs over: `'http/1.1'` or `'h2'` (RFC 8441). The same as
   * `ws.transport`, kept for code written against earlier versions.
   */
  transportOf(ws: ServerWebSocket<Data>): TransportKind | undefined {
    return ws.transport;
  }

  /** The topics with at least one subscriber on this server. */
  get topics(): readonly string[] {
    return this.#topics.topics;
  }

  /**
   * Graceful shutdown: stops accepting (as {@link WebSocketServer.close}; new handshakes
   * are refused with 503), sends every client a close frame (`code`, default 1001 Going
   * Away) after what is already queued for it, waits for the closing handshakes up to
   * `timeout` (default 10 s), terminates the rest, closes the pub/sub adapter, and resolves
   * once the server is closed. Unlike `close()` (which, as in `ws`, leaves clients
   * connected), no client stays connected and no message queued before the call is lost.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<ShutdownResult> {
    const closed = new Promise<void>((resolve) => {
      if (this.#closed) resolve();
      else this.close(() => resolve());
    });
    const result = await closeGracefully([...this.#clients], options);
    await this.#topics.close();
    await closed;
    return result;
  }

  /** Whether an upgrade request is for this server (its `path`, when set). */
  shouldHandle(request: IncomingMessage): boolean {
    const path = this.options.path;
    return path === undefined || pathOf(request.url) === path;
  }

  /**
   * Completes (or refuses) a WebSocket upgrade for any framework: pass the `upgrade`
   * event's arguments. The callback receives the open connection; it is not called when the
   * handshake was refused (the response is written and the socket destroyed). The handshake
   * timeout covers validation, `verifyClient` and `authenticate`.
   */
  handleUpgrade(
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    callback: UpgradeCallback<Data>,
  ): void {
    diagnostics.upgrade(request, 'http/1.1');
    // Nothing to report from the socket until it is a connection ('close' tells the end);
    // a listener keeps an ECONNRESET from becoming an uncaught exception.
    if (socket.listenerCount('error') === 0) socket.on('error', ignoreSocketError);
    if (this.#closed) {
      this.#refuse(
        request,
        socket,
        new HandshakeError('request-head', 'Server closing', { status: 503 }),
      );
      return;
    }
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    let validated: ValidatedUpgradeRequest;
    let decision: UpgradeDecision<Data> | PromiseLike<UpgradeDecision<Data>>;
    try {
      validated = validateUpgradeRequest(
        {
          method: request.method ?? '',
          httpVersion: request.httpVersion,
          url: request.url,
          headers: request.headers,
        },
        { checkOrigin: this.#originCheck(request) },
      );
      decision = this.#decide(request, {
        origin: validated.origin,
        secure: (socket as TLSSocket).encrypted === true,
        protocols: validated.protocols,
      });
    } catch (error) {
      this.#refuse(request, socket, error);
      return;
    }
    if (decision === null || typeof decision !== 'object' || !('then' in decision)) {
      // Synchronous hooks (or none): no timer, no closure, straight to the 101.
      this.#completeOrRefuse(request, socket, head, validated, decision, callback);
      return;
    }
    this.#awaitDecision(request, socket, undefined, decision, (result) =>
      this.#completeOrRefuse(request, socket, head, validated, result, callback),
    );
  }

  /**
   * Completes (or refuses) a WebSocket over HTTP/2 (RFC 8441) — for an http2 server you
   * route yourself (with the `http2` option the server does it): pass the `stream` event's
   * arguments of an extended CONNECT (`:protocol: websocket`, see `isWebSocketConnect`). The
   * session must advertise `enableConnectProtocol`. The same hooks, limits and timeout apply
   * as for {@link WebSocketServer.handleUpgrade}; the hooks receive an `Http2UpgradeRequest`.
   */
  handleHttp2Stream(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    callback: UpgradeCallback<Data>,
  ): void {
    const request = http2Request(stream, headers);
    diagnostics.upgrade(request, 'h2');
    const socket = streamAsSocket(stream);
    socket.on('error', ignoreSocketError);
    if (this.#closed) {
      this.#refuse(
        request,
        socket,
        new HandshakeError('request-head', 'Server closing', { status: 503 }),
        stream,
      );
      return;
    }
    if (stream.destroyed || stream.closed) return;
    let validated: ValidatedUpgradeRequest;
    let decision: UpgradeDecision<Data> | PromiseLike<UpgradeDecision<Data>>;
    try {
      validated = validateExtendedConnect(headers, { checkOrigin: this.#originCheck(request) });
      decision = this.#decide(request, {
        origin: validated.origin,
        secure: isSecureStream(stream),
        protocols: validated.protocols,
      });
    } catch (error) {
      this.#refuse(request, socket, error, stream);
      return;
    }
    if (decision === null || typeof decision !== 'object' || !('then' in decision)) {
      this.#completeOrRefuseH2(request, stream, validated, decision, callback);
      return;
    }
    this.#awaitDecision(request, socket, stream, decision, (result) =>
      this.#completeOrRefuseH2(request, stream, validated, result, callback),
    );
  }

  #completeOrRefuseH2(
    request: IncomingMessage,
    stream: ServerHttp2Stream,
    validated: ValidatedUpgradeRequest,
    decision: UpgradeDecision<Data>,
    callback: UpgradeCallback<Data>,
  ): void {
    const socket = stream as unknown as Socket;
    let ws: ServerWebSocket<Data>;
    try {
      const accepted = this.#negotiate(request, validated, decision, true);
      stream.respond(accepted.headers!);
      ws = this.#adopt(socket, request, accepted, 'h2');
    } catch (error) {
      this.#refuse(request, socket, error, stream);
      return;
    }
    callback(ws, request);
  }

  /**
   * Stops accepting connections: detaches from the http server (closing it if this server
   * created it), stops the heartbeat and refuses pending handshakes. Open connections are
   * left alone (close them first for a graceful shutdown); a server this created finishes
   * closing once they are gone. The callback (and `close`) follow.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.#closed) {
      if (callback) process.nextTick(callback, new Error('The server is not running'));
      return;
    }
    this.#closed = true;
    if (this.#heartbeatTimer !== null) clearInterval(this.#heartbeatTimer);
    if (this.#idleTimer !== null) clearInterval(this.#idleTimer);
    this.#listener?.close();
    this.#heartbeatTimer = null;
    this.#idleTimer = null;
    for (const pending of this.#pending) {
      this.#finishPending(pending);
      pending.socket.destroy();
    }
    const server = this.#server;
    if (server !== null) {
      if (this.#onUpgrade !== null) server.off('upgrade', this.#onUpgrade);
      server.off('listening', this.#onListening!);
      server.off('error', this.#onError!);
    }
    const h2 = this.#http2;
    if (h2 !== null) {
      h2.off('stream', this.#onStream!);
      h2.off('connect', this.#onCompatConnect!);
      if (this.#onHttp2Upgrade !== null) {
        h2.off('upgrade', this.#onHttp2Upgrade);
        h2.off('listening', this.#onHttp2Listening!);
        h2.off('error', this.#onHttp2Error!);
      }
    }
    const done = (error?: Error) => {
      if (callback) callback(error);
      this.emit('close');
    };
    if (server !== null && this.#ownsServer && server.listening) {
      server.close((error) => done(error));
    } else {
      process.nextTick(done);
    }
  }

  #originCheck(
    request: IncomingMessage,
  ): ((origin: string | undefined) => boolean) | readonly string[] | undefined {
    const origins = this.#userOptions.origins;
    if (typeof origins === 'function') return (origin) => origins(origin, request);
    return this.#checkOrigin;
  }

  /** Runs `verifyClient` then `authenticate`: a decision, or a promise of one when either is asynchronous. */
  #decide(
    request: IncomingMessage,
    info: UpgradeInfo,
  ): UpgradeDecision<Data> | PromiseLike<UpgradeDecision<Data>> {
    const verify = this.#userOptions.verifyClient;
    const authenticate = this.#userOptions.authenticate;
    const hook = authenticate === undefined ? undefined : () => authenticate(request, info);
    if (verify === undefined) return hook === undefined ? true : hook();
    const wsInfo = { origin: info.origin, secure: info.secure, req: request };
    if (verify.length < 2) {
      const ok = (verify as (i: typeof wsInfo) => boolean)(wsInfo);
      if (!ok) throw new Refusal(401, undefined, undefined);
      return hook === undefined ? true : hook();
    }
    return new Promise<UpgradeDecision<Data>>((resolve, reject) => {
      let called = false;
      verify(wsInfo, (result, code, message, headers) => {
        if (called) return;
        called = true;
        if (!result) reject(new Refusal(code ?? 401, headers, message));
        else if (hook === undefined) resolve(true);
        else {
          try {
            resolve(hook());
          } catch (error) {
            reject(error);
          }
        }
      });
    });
  }

  #completeOrRefuse(
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    validated: ValidatedUpgradeRequest,
    decision: UpgradeDecision<Data>,
    callback: UpgradeCallback<Data>,
  ): void {
    let ws: ServerWebSocket<Data>;
    try {
      ws = this.#complete(request, socket, head, validated, decision);
    } catch (error) {
      this.#refuse(request, socket, error);
      return;
    }
    // Outside the try: an exception of the user's connection handler is theirs, not a
    // reason to write an HTTP error onto an upgraded socket.
    callback(ws, request);
  }

  #complete(
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    validated: ValidatedUpgradeRequest,
    decision: UpgradeDecision<Data>,
  ): ServerWebSocket<Data> {
    const accepted = this.#negotiate(request, validated, decision, false);
    socket.write(accepted.response!);
    if (head.length > 0) socket.unshift(head);
    return this.#adopt(socket, request, accepted, 'http/1.1');
  }

  /**
   * Turns the hooks' decision into the negotiated handshake: subprotocol, extensions, the
   * response (101 bytes on HTTP/1.1, the `:status 200` headers on HTTP/2) and the
   * connection's engine options. Throws a Refusal (or TypeError) to refuse.
   */
  #negotiate(
    request: IncomingMessage,
    validated: ValidatedUpgradeRequest,
    decision: UpgradeDecision<Data>,
    h2: boolean,
  ): Accepted<Data> {
    let data: Data | undefined;
    let extraHeaders: OutgoingHttpHeaders | undefined;
    if (decision === false) throw new Refusal(401, undefined, undefined);
    if (decision !== true && decision !== undefined) {
      if ('reject' in decision) {
        const r = decision.reject;
        throw new Refusal(r.status ?? 401, r.headers, r.body);
      }
      if ('accept' in decision) {
        data = decision.accept.data;
        extraHeaders = decision.accept.headers;
      } else {
        throw new TypeError('authenticate must return a boolean, { accept } or { reject }');
      }
    }
    const handleProtocols = this.#userOptions.handleProtocols;
    const preferred = this.#userOptions.protocols;
    const deflate = this.#deflate;
    const handshake: ServerHandshake = negotiateUpgrade(validated, {
      handleProtocols:
        handleProtocols !== undefined
          ? (offered) => handleProtocols(new Set(offered), request) || undefined
          : preferred !== undefined
            ? (offered) => preferred.find((p) => offered.includes(p))
            : undefined,
      extensions: deflate === null ? undefined : [deflate.negotiator],
    });
    const extra = headerInit(extraHeaders);
    if (this.listenerCount('headers') > 0) {
      const lines: string[] = [];
      this.emit('headers', lines, request);
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon <= 0) throw new TypeError(`not a header line: ${JSON.stringify(line)}`);
        extra.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
      }
    }
    const response = h2 ? undefined : serializeSwitchingProtocols(handshake, extra);
    const headers = h2 ? responseHeadersH2(handshake, extra) : undefined;
    let connectionOptions = this.#baseConnectionOptions;
    let extensionsHeader = '';
    let sharedWindowBits = 0;
    if (handshake.extensions.length > 0 && deflate !== null) {
      const negotiated = handshake.extensions[0]!;
      const engine = deflate.createEngine(negotiated.params);
      connectionOptions = { ...connectionOptions, extensions: [engine.extension] };
      sharedWindowBits = engine.sharedWindowBits;
      for (const [name, value] of handshake.headers) {
        if (name.toLowerCase() === 'sec-websocket-extensions') extensionsHeader = value;
      }
    }
    return {
      response,
      headers: headers === undefined ? undefined : headerObject(headers),
      protocol: handshake.protocol ?? '',
      extensionsHeader,
      connectionOptions,
      sharedWindowBits,
      data: data as Data,
    };
  }

  /**
   * The profile of connections negotiated alike: one object shared by them (a few per
   * server), so that a connection does not carry these fields itself. Bounded: a
   * `handleProtocols` that echoes client-chosen names cannot grow the cache.
   */
  #profile(
    transport: TransportKind,
    protocol: string,
    extensions: string,
    sharedDeflateWindowBits: number,
  ): ConnectionProfile {
    const key = `${transport}\n${sharedDeflateWindowBits}\n${protocol}\n${extensions}`;
    let profile = this.#profiles.get(key);
    if (profile === undefined) {
      profile = Object.freeze({
        host: this.#host,
        transport,
        protocol,
        extensions,
        sharedDeflateWindowBits,
      });
      if (this.#profiles.size < MAX_PROFILES) this.#profiles.set(key, profile);
    }
    return profile;
  }

  /** Runs a connection on a transport whose handshake response was sent. */
  #adopt(
    socket: Socket,
    request: IncomingMessage,
    accepted: Accepted<Data>,
    transport: TransportKind,
  ): ServerWebSocket<Data> {
    const ws = new ServerWebSocket<Data>(
      socket,
      this.#profile(
        transport,
        accepted.protocol,
        accepted.extensionsHeader,
        accepted.sharedWindowBits,
      ),
      accepted.connectionOptions,
      accepted.data,
    );
    this.#clients.add(ws);
    const counters = this.counters;
    counters.connectionsOpen++;
    counters.connectionsTotal++;
    if (transport === 'h2') counters.connectionsHttp2++;
    else counters.connectionsHttp1++;
    diagnostics.open(ws, request, transport, accepted.protocol, accepted.extensionsHeader);
    return ws;
  }

  /**
   * Waits for an asynchronous hook's decision under the handshake timeout; a transport (the
   * socket, or the HTTP/2 stream) that closes meanwhile ends the wait. `complete` runs only
   * while the transport is still open; a rejected hook is answered as a refusal.
   */
  #awaitDecision(
    request: IncomingMessage,
    socket: Socket,
    stream: ServerHttp2Stream | undefined,
    decision: PromiseLike<UpgradeDecision<Data>>,
    complete: (result: UpgradeDecision<Data>) => void,
  ): void {
    const transport: Socket | ServerHttp2Stream = stream ?? socket;
    // Bytes the client sends meanwhile (its first frames) wait in the socket, bounded by
    // its buffer, until the connection is adopted (ServerWebSocket resumes it).
    if (stream === undefined) socket.pause();
    const pending: PendingHandshake = {
      socket,
      timer: setTimeout(
        () => this.#handshakeTimedOut(pending, request, stream),
        this.options.handshakeTimeout,
      ),
      done: false,
    };
    this.#pending.add(pending);
    const onClose = () => this.#finishPending(pending);
    transport.once('close', onClose);
    const settle = (): boolean => {
      if (pending.done) return false;
      this.#finishPending(pending);
      transport.off('close', onClose);
      return !transport.destroyed && !(stream?.closed ?? false);
    };
    decision.then(
      (result) => {
        if (settle()) complete(result);
      },
      (error: unknown) => {
        if (settle()) this.#refuse(request, socket, error, stream);
      },
    );
  }

  #finishPending(pending: PendingHandshake): void {
    if (pending.done) return;
    pending.done = true;
    clearTimeout(pending.timer);
    this.#pending.delete(pending);
  }

  #handshakeTimedOut(
    pending: PendingHandshake,
    request: IncomingMessage,
    stream?: ServerHttp2Stream,
  ): void {
    if (pending.done) return;
    this.#finishPending(pending);
    this.#refuse(
      request,
      pending.socket,
      new HandshakeError('request-head', 'Handshake timeout', { status: 408 }),
      stream,
    );
  }

  /** Answers a refused handshake: HTTP/1.1 bytes on the socket, or an HTTP/2 response on the stream. */
  #refuse(
    request: IncomingMessage,
    socket: Socket,
    error: unknown,
    stream?: ServerHttp2Stream,
  ): void {
    let bytes: Uint8Array | undefined;
    let reported: Error;
    let status: number;
    if (error instanceof HandshakeError) {
      status = error.status || 400;
      if (stream === undefined) bytes = serializeRejection(error);
      else refuseStream(stream, error);
      reported = error;
    } else if (error instanceof Refusal) {
      status = error.status;
      if (!Number.isInteger(status) || status < 400 || status > 599) status = 500;
      try {
        if (stream === undefined) {
          bytes = serializeRejection(status, {
            message: error.body,
            headers: headerInit(error.headers),
          });
        } else {
          refuseStream(stream, status, error.body, headerInit(error.headers));
        }
      } catch {
        status = 500;
        if (stream === undefined) bytes = serializeRejection(500);
        else refuseStream(stream, 500);
      }
      reported = error;
    } else {
      status = 500;
      if (stream === undefined) bytes = serializeRejection(500);
      else refuseStream(stream, 500);
      reported = error instanceof Error ? error : new Error(String(error));
    }
    this.counters.handshakesRefused++;
    diagnostics.refused(
      request,
      stream === undefined ? 'http/1.1' : 'h2',
      status,
      reported.message,
    );
    if (bytes !== undefined && socket.writable) socket.end(bytes);
    const timer = setTimeout(() => socket.destroy(), 1_000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    if (this.listenerCount('wsClientError') > 0)
      this.emit('wsClientError', reported, socket, request);
  }

  #refuseRaw(socket: Socket, status: number, message: string): void {
    socket.on('error', ignoreSocketError);
    if (socket.writable) socket.end(serializeRejection(status, { message }));
    const timer = setTimeout(() => socket.destroy(), 1_000);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}

const EMPTY_SET: ReadonlySet<never> = new Set<never>();

/** What a successful negotiation produced (see `#negotiate`). */
interface Accepted<Data> {
  /** The HTTP/1.1 101 response bytes. */
  readonly response: Uint8Array | undefined;
  /** The HTTP/2 response headers (`:status 200` ...). */
  readonly headers: Record<string, string | string[]> | undefined;
  readonly protocol: string;
  readonly extensionsHeader: string;
  readonly connectionOptions: ConnectionOptions;
  readonly sharedWindowBits: number;
  readonly data: Data;
}

/** Connection profiles kept per server (distinct negotiations seen; more are made uncached). */
const MAX_PROFILES = 64;

function headerObject(
  list: ReadonlyArray<readonly [string, string]>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of list) {
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else out[name] = Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}
