/**
 * `WebSocketServer`: its options, where connections come from (its own port, an
 * http/https server, an http2 server, or `handleUpgrade` from any framework), what its
 * connections share (limits, counters, the clock), the server-wide timers (heartbeat, idle
 * sweep), topics, and its lifetime (`close`, `shutdown`). The upgrade flow from request to
 * adopted connection is in `upgrade-flow.ts` (its rules in `upgrade.ts`), HTTP/2 attachment
 * in `http2-attach.ts`, a connection's life in `websocket.ts` / `connection-io.ts`.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type {
  Http2SecureServer,
  Http2Server,
  IncomingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { CloseCode } from '@strata-ws/codec';
import { installNodeHost } from '@strata-ws/node-host';
import { busCountersOf, diagnostics, ServerCounters, type TransportKind } from './diagnostics.js';
import { Http1Listener } from './http1-listener.js';
import { attachHttp2 } from './http2-attach.js';
import type { ConnectionHost } from './internal.js';
import { type ResolvedOptions, resolveOptions, type WebSocketServerOptions } from './options.js';
import { closeGracefully, type ShutdownOptions, type ShutdownResult } from './shutdown.js';
import { Sweeps } from './sweeps.js';
import {
  InProcessAdapter,
  type MessageData,
  type PublishOptions,
  TopicRegistry,
  type TopicSubscriber,
} from './topics.js';
import { pathOf, refuseRaw } from './upgrade.js';
import { UpgradeFlow } from './upgrade-flow.js';
import type { ServerWebSocket } from './websocket.js';

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
   * The response is about to be written: `headers` holds its lines (on HTTP/1.1 the status
   * line `HTTP/1.1 101 Switching Protocols` then every header line, as in `ws`; on HTTP/2
   * the `name: value` lines). Listeners may append `"Name: value"` lines (e.g.
   * `Set-Cookie: a=b`), which are sent; the given lines may not be changed. A listener that
   * throws (or appends a line that is not a header) aborts the upgrade: the socket is
   * destroyed without a response and the exception propagates, as in `ws` — out of
   * `handleUpgrade` when the hooks answered synchronously, as an uncaught exception
   * otherwise.
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

  readonly #server: NetServer | null;
  readonly #ownsServer: boolean;
  readonly #clients = new Set<ServerWebSocket<Data>>();
  readonly #flow: UpgradeFlow<Data>;
  readonly #topics: TopicRegistry<ServerWebSocket<unknown>>;
  /** Counters a user can read: connections, handshakes refused, messages, bytes. */
  readonly counters: ServerCounters = new ServerCounters();
  #http2: Http2Server | Http2SecureServer | null = null;
  #detachHttp2: (() => void) | null = null;
  /** The transport of a server that owns its port (null when attached or `noServer`). */
  #listener: Http1Listener | null = null;
  /** `'connection'` emitter handed to `handleUpgrade` (one function, not one per upgrade). */
  readonly #emitConnection: UpgradeCallback<Data> = (ws, request) =>
    this.emit('connection', ws, request);
  readonly #sweeps: Sweeps;
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
    const limits = resolveOptions(options as WebSocketServerOptions<unknown>);
    this.options = limits;
    const server = this;
    const sweeps = new Sweeps(limits, this.#clients);
    this.#sweeps = sweeps;
    const counters = this.counters;
    const { adapter, ...topicOptions } = options.topics ?? {};
    const topics = new TopicRegistry<ServerWebSocket<unknown>>(
      topicOptions,
      adapter ?? new InProcessAdapter(),
    );
    this.#topics = topics;
    // The adapter's bus counters (cluster, Redis), when it keeps some.
    this.counters.bus = busCountersOf(topics.adapter);
    const host: ConnectionHost = {
      topics,
      counters,
      limits,
      get now() {
        return sweeps.now;
      },
      connectionClosed(ws, code, reason) {
        server.#clients.delete(ws as ServerWebSocket<Data>);
        topics.unsubscribeAll(ws as ServerWebSocket<unknown>);
        counters.connectionsOpen--;
        diagnostics.close(ws, code, reason, code !== CloseCode.AbnormalClosure);
      },
      connectionFailed(ws, error) {
        diagnostics.error(ws, error);
      },
    };
    this.#flow = new UpgradeFlow(this, options, limits, host, this.#clients);

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
            refuseRaw(socket, 400, 'Unknown path');
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
            if (httpServer.listenerCount('upgrade') === 1) refuseRaw(socket, 400, 'Unknown path');
            return;
          }
          this.handleUpgrade(req, socket, head, this.#emitConnection);
        };
        httpServer.on('upgrade', this.#onUpgrade);
      }
      if (callback) this.once('listening', callback);
    }
    const h2 = options.http2;
    if (h2 !== undefined) {
      this.#http2 = h2;
      this.#detachHttp2 = attachHttp2(h2, {
        path: limits.path,
        servesHttp1: httpServer === null,
        handleStream: (stream, headers) =>
          this.handleHttp2Stream(stream, headers, this.#emitConnection),
        shouldHandle: (req) => this.shouldHandle(req),
        handleUpgrade: (req, socket, head) =>
          this.handleUpgrade(req, socket, head, this.#emitConnection),
        listening: () => this.emit('listening'),
        error: (error) => this.emit('error', error),
      });
      if (httpServer === null && callback) this.once('listening', callback);
    }
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

  /**
   * The server's topic registry: lets an object other than a connection (e.g. a resumable
   * session) subscribe itself with `subscribe(subscriber, topic)` — it receives every
   * local delivery through its `sendPrepared` — without wrapping the adapter.
   */
  get topicRegistry(): TopicRegistry<TopicSubscriber> {
    return this.#topics as unknown as TopicRegistry<TopicSubscriber>;
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
   * event's arguments. `socket` may be any `Duplex` (a `net.Socket`, a TLS socket, or a
   * stream of your own). The callback receives the open connection; it is not called when
   * the handshake was refused (the response is written and the socket destroyed), nor when
   * the client closed or half-closed its side while an asynchronous hook ran (the socket is
   * destroyed). The handshake timeout covers validation, `verifyClient` and `authenticate`.
   * @throws Error when called a second time with the same socket (e.g. two servers attached
   *   to one http server without `path`s that tell them apart), as `ws` does
   */
  handleUpgrade(
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    callback: UpgradeCallback<Data>,
  ): void {
    this.#flow.upgrade(request, socket, head, callback);
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
    this.#flow.http2Stream(stream, headers, callback);
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
    this.#sweeps.stop();
    this.#listener?.close();
    this.#flow.stop();
    const server = this.#server;
    if (server !== null) {
      if (this.#onUpgrade !== null) server.off('upgrade', this.#onUpgrade);
      server.off('listening', this.#onListening!);
      server.off('error', this.#onError!);
    }
    this.#detachHttp2?.();
    this.#detachHttp2 = null;
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
}

const EMPTY_SET: ReadonlySet<never> = new Set<never>();
