/**
 * `ws`'s `WebSocketServer`: own port (a `node:http` server answering 426 to plain requests),
 * an existing server's `upgrade` event, or `noServer` with `handleUpgrade`. Requests are checked
 * and negotiated by `@strata-ws/handshake` (its rule codes mapped to `ws`'s status codes and
 * messages), permessage-deflate by `@strata-ws/permessage-deflate`; connections are this
 * package's `WebSocket` (or the `WebSocket` class option).
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  HandshakeError,
  negotiateUpgrade,
  type ServerExtensionNegotiator,
  type ServerHandshake,
  serializeRejection,
  type ValidatedUpgradeRequest,
  validateUpgradeRequest,
} from '@strata-ws/handshake';
import { installNodeHost } from '@strata-ws/node-host';
import {
  createPerMessageDeflate,
  PerMessageDeflateServer,
} from '@strata-ws/permessage-deflate/node';
import type { MessageExtension } from '@strata-ws/protocol';
import { Http1Listener } from '@strata-ws/server/http1';
import { deflateEngineOptions, type PerMessageDeflateOptions } from './client.js';
import { WS_DEFAULT_MAX_PAYLOAD } from './constants.js';
import { claimSocket } from './transport.js';
import { wsLimits } from './util.js';
import { WebSocket } from './websocket.js';

/** What `verifyClient` receives. */
export interface VerifyClientInfo {
  /** The `Origin` header (`Sec-WebSocket-Origin` for version 8). */
  origin: string;
  /** Whether the connection is TLS. */
  secure: boolean;
  /** The upgrade request. */
  req: http.IncomingMessage;
}

/** `verifyClient`: sync (return a boolean) or async (call `callback`). */
export type VerifyClientCallbackSync = (info: VerifyClientInfo) => boolean;
/** The async form of `verifyClient`. */
export type VerifyClientCallbackAsync = (
  info: VerifyClientInfo,
  callback: (
    res: boolean,
    code?: number,
    message?: string,
    headers?: http.OutgoingHttpHeaders,
  ) => void,
) => void;

/** The `WebSocketServer` options, as `ws` documents them. */
export interface ServerOptions {
  /** Host to listen on (with `port`). */
  host?: string | undefined;
  /** Port to listen on: creates an HTTP server. */
  port?: number | undefined;
  /** `listen` backlog. */
  backlog?: number | undefined;
  /** An existing HTTP/S server to attach to. */
  server?: http.Server | import('node:https').Server | undefined;
  /** No server: call `handleUpgrade` yourself. */
  noServer?: boolean | undefined;
  /** Only accept upgrades on this path. */
  path?: string | undefined;
  /** Accept or refuse a client before the 101. */
  verifyClient?: VerifyClientCallbackSync | VerifyClientCallbackAsync | undefined;
  /** Picks the subprotocol from the offered Set. */
  handleProtocols?: (protocols: Set<string>, request: http.IncomingMessage) => string | false;
  /** Keep `clients`. Default true. */
  clientTracking?: boolean | undefined;
  /** permessage-deflate (default false). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions | undefined;
  /** Largest received message; 0 = no limit. Default 100 MiB (ws's). */
  maxPayload?: number | undefined;
  /** Accepted for compatibility; text is always validated. */
  skipUTF8Validation?: boolean | undefined;
  /** Answer pings automatically. Default true. */
  autoPong?: boolean | undefined;
  /** Accepted; events are emitted synchronously. */
  allowSynchronousEvents?: boolean | undefined;
  /** The class of server-side sockets (a subclass of `WebSocket`). */
  WebSocket?: typeof WebSocket | undefined;
}

/** The filled-in options (`wss.options`). */
export type ResolvedServerOptions = ServerOptions & {
  maxPayload: number;
  clientTracking: boolean;
  perMessageDeflate: boolean | PerMessageDeflateOptions;
  WebSocket: typeof WebSocket;
};

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/** `ws`'s answer (status, body) for each handshake rule, where `ws` has one. */
const WS_REFUSALS: Readonly<Record<string, readonly [number, string]>> = {
  'request-method': [405, 'Invalid HTTP method'],
  'request-upgrade': [400, 'Invalid Upgrade header'],
  'request-key': [400, 'Missing or invalid Sec-WebSocket-Key header'],
  'request-version': [400, 'Missing or invalid Sec-WebSocket-Version header'],
  'request-protocol': [400, 'Invalid Sec-WebSocket-Protocol header'],
  'request-extensions': [400, 'Invalid or unacceptable Sec-WebSocket-Extensions header'],
};

function socketOnError(this: Duplex): void {
  this.destroy();
}

/**
 * Writes an HTTP refusal (`Connection: close`, a text body) and closes the socket.
 * @internal
 */
function abortHandshake(
  socket: Duplex,
  code: number,
  message?: string,
  headers?: http.OutgoingHttpHeaders,
): void {
  if (socket.writable) {
    const list: Array<[string, string]> = [];
    if (headers !== undefined) {
      for (const [name, value] of Object.entries(headers)) {
        if (value === undefined) continue;
        if (Array.isArray(value)) for (const v of value) list.push([name, String(v)]);
        else list.push([name, String(value)]);
      }
    }
    const body = message ?? http.STATUS_CODES[code] ?? '';
    socket.once('finish', () => socket.destroy());
    socket.end(serializeRejection(code, { message: body, headers: list }));
  } else {
    socket.destroy();
  }
}

function deflateServer(option: boolean | PerMessageDeflateOptions): PerMessageDeflateServer | null {
  if (option === false) return null;
  const o = option === true ? {} : option;
  return new PerMessageDeflateServer({
    serverNoContextTakeover: o.serverNoContextTakeover ?? false,
    clientNoContextTakeover: o.clientNoContextTakeover ?? false,
    ...(typeof o.serverMaxWindowBits === 'number'
      ? { serverMaxWindowBits: o.serverMaxWindowBits }
      : {}),
    ...(typeof o.clientMaxWindowBits === 'number'
      ? { clientMaxWindowBits: o.clientMaxWindowBits }
      : {}),
  });
}

/** The events of a `WebSocketServer` and their arguments. */
export interface WebSocketServerEvents {
  connection: [socket: WebSocket, request: http.IncomingMessage];
  error: [error: Error];
  headers: [headers: string[], request: http.IncomingMessage];
  close: [];
  listening: [];
  wsClientError: [error: Error, socket: Duplex, request: http.IncomingMessage];
}

/** A listener of one `WebSocketServer` event. */
export type WebSocketServerListener<K extends keyof WebSocketServerEvents> = (
  this: WebSocketServer,
  ...args: WebSocketServerEvents[K]
) => void;

type AnyListener = (...args: never[]) => void;
type Loose = (...args: unknown[]) => void;

/** `ws`'s WebSocket server. */
export class WebSocketServer extends EventEmitter {
  /** The options with `ws`'s defaults filled in. */
  readonly options: ResolvedServerOptions;
  /** The connected clients (undefined with `clientTracking: false`). */
  clients!: Set<WebSocket>;
  #server: NetServer | null = null;
  /** The own-port listener (`port` mode). */
  #listener: Http1Listener | null = null;
  #removeListeners: (() => void) | null = null;
  #state = RUNNING;
  #shouldEmitClose = false;
  #pmd: PerMessageDeflateServer | null;
  /** The negotiation options without `handleProtocols` (one object for every handshake). */
  #negotiation: { extensions: ServerExtensionNegotiator[] };

  /**
   * @param options - see `ServerOptions`; exactly one of `port`, `server`, `noServer`
   * @param callback - `listening` listener (own port)
   * @throws TypeError when not exactly one of `port`, `server`, `noServer` is given
   */
  constructor(options: ServerOptions, callback?: () => void) {
    super();
    installNodeHost();
    const opts: ResolvedServerOptions = {
      allowSynchronousEvents: true,
      autoPong: true,
      maxPayload: WS_DEFAULT_MAX_PAYLOAD,
      skipUTF8Validation: false,
      perMessageDeflate: false,
      handleProtocols: undefined,
      clientTracking: true,
      verifyClient: undefined,
      noServer: false,
      backlog: undefined,
      server: undefined,
      host: undefined,
      path: undefined,
      port: undefined,
      ...options,
      WebSocket: options.WebSocket ?? WebSocket,
    } as ResolvedServerOptions;
    if (
      (opts.port == null && opts.server == null && !opts.noServer) ||
      (opts.port != null && (opts.server != null || opts.noServer)) ||
      (opts.server != null && opts.noServer)
    ) {
      throw new TypeError(
        'One and only one of the "port", "server", or "noServer" options must be specified',
      );
    }
    wsLimits(opts.maxPayload, 'server');
    this.options = opts;
    this.#pmd = deflateServer(opts.perMessageDeflate);
    this.#negotiation = { extensions: this.#pmd === null ? [] : [this.#pmd] };
    const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
      this.handleUpgrade(req, socket, head, (ws) => {
        this.emit('connection', ws, req);
      });
    };
    let server: NetServer | null = null;
    if (opts.port != null) {
      // Own port: Strata's listener reads each request head itself (no node:http parser or
      // per-socket http state; plain requests get 426, as from ws), with node:http's limits:
      // its default header size, and its 60 s for the head (where ws has none of its own).
      const listener = new Http1Listener(
        { tls: undefined, maxHeaderSize: http.maxHeaderSize, handshakeTimeout: 60_000 },
        onUpgrade,
      );
      this.#listener = listener;
      server = listener.server;
      server.listen(opts.port, opts.host, opts.backlog ?? undefined, callback);
    } else if (opts.server != null) {
      server = opts.server as NetServer;
    }
    if (server !== null) {
      this.#server = server;
      const onListening = (): void => {
        this.emit('listening');
      };
      const onError = (error: Error): void => {
        this.emit('error', error);
      };
      server.on('listening', onListening);
      server.on('error', onError);
      if (this.#listener === null) server.on('upgrade', onUpgrade);
      this.#removeListeners = () => {
        server.removeListener('listening', onListening);
        server.removeListener('error', onError);
        server.removeListener('upgrade', onUpgrade);
      };
    }
    if (opts.clientTracking) this.clients = new Set();
    else this.clients = undefined as unknown as Set<WebSocket>;
  }

  /** Adds a listener (typed for `ws`'s server events). */
  override on<K extends keyof WebSocketServerEvents>(
    event: K,
    listener: WebSocketServerListener<K>,
  ): this;
  override on(event: string | symbol, listener: AnyListener): this;
  override on(event: string | symbol, listener: AnyListener): this {
    return super.on(event, listener as Loose);
  }

  /** Adds a one-time listener (typed for `ws`'s server events). */
  override once<K extends keyof WebSocketServerEvents>(
    event: K,
    listener: WebSocketServerListener<K>,
  ): this;
  override once(event: string | symbol, listener: AnyListener): this;
  override once(event: string | symbol, listener: AnyListener): this {
    return super.once(event, listener as Loose);
  }

  /** Removes a listener (typed for `ws`'s server events). */
  override off<K extends keyof WebSocketServerEvents>(
    event: K,
    listener: WebSocketServerListener<K>,
  ): this;
  override off(event: string | symbol, listener: AnyListener): this;
  override off(event: string | symbol, listener: AnyListener): this {
    return super.off(event, listener as Loose);
  }

  /**
   * The bound address of the server (own port or attached server).
   * @throws Error in `noServer` mode
   */
  address(): AddressInfo | string | null {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode');
    if (this.#server === null) return null;
    return this.#server.address();
  }

  /**
   * Stops accepting connections (existing ones stay open); own port: closes the HTTP server.
   * `close` is emitted once everything is closed; `cb` gets an error if it was not running.
   */
  close(cb?: (error?: Error) => void): void {
    if (this.#state === CLOSED) {
      if (cb !== undefined) {
        this.once('close', () => cb(new Error('The server is not running')));
      }
      process.nextTick(emitClose, this);
      return;
    }
    if (cb !== undefined) this.once('close', cb);
    if (this.#state === CLOSING) return;
    this.#state = CLOSING;
    if (this.options.noServer || this.options.server != null) {
      this.#detach();
      if (this.clients !== undefined && this.clients.size > 0) this.#shouldEmitClose = true;
      else process.nextTick(emitClose, this);
    } else {
      const server = this.#server as NetServer;
      this.#detach();
      this.#listener?.close();
      server.close(() => emitClose(this));
    }
  }

  #detach(): void {
    this.#removeListeners?.();
    this.#removeListeners = null;
    this.#server = null;
  }

  /** Marks the server closed (internal step before its `close` event). */
  _markClosed(): void {
    this.#state = CLOSED;
  }

  /** Whether this server accepts `req` (the `path` option). */
  shouldHandle(req: http.IncomingMessage): boolean {
    const path = this.options.path;
    if (path !== undefined && path !== null) {
      const url = req.url ?? '';
      const index = url.indexOf('?');
      const pathname = index === -1 ? url : url.slice(0, index);
      if (pathname !== path) return false;
    }
    return true;
  }

  #refuse(req: http.IncomingMessage, socket: Duplex, code: number, message: string): void {
    if (this.listenerCount('wsClientError') > 0) {
      const err = new Error(message);
      Error.captureStackTrace(err, this.#refuse);
      this.emit('wsClientError', err, socket, req);
    } else {
      abortHandshake(socket, code, message);
    }
  }

  /**
   * Completes (or refuses) the upgrade of `req`; calls `cb(ws, req)` once open.
   * @throws Error when called twice for one socket
   */
  handleUpgrade(
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (client: WebSocket, request: http.IncomingMessage) => void,
  ): void {
    socket.on('error', socketOnError);
    let request: ValidatedUpgradeRequest;
    try {
      request = validateUpgradeRequest(req);
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
      const known = WS_REFUSALS[error.code];
      this.#refuse(req, socket, known?.[0] ?? error.status, known?.[1] ?? error.message);
      return;
    }
    if (!this.shouldHandle(req)) {
      abortHandshake(socket, 400);
      return;
    }
    const verify = this.options.verifyClient;
    if (verify !== undefined && verify !== null) {
      const info: VerifyClientInfo = {
        origin: request.origin as string,
        secure: Boolean(
          (req.socket as { authorized?: boolean; encrypted?: boolean } | null)?.authorized ||
            (req.socket as { encrypted?: boolean } | null)?.encrypted,
        ),
        req,
      };
      if (verify.length === 2) {
        (verify as VerifyClientCallbackAsync)(info, (verified, code, message, headers) => {
          if (!verified) {
            abortHandshake(socket, code ?? 401, message, headers);
            return;
          }
          this.completeUpgrade(request, req, socket, head, cb);
        });
        return;
      }
      if (!(verify as VerifyClientCallbackSync)(info)) {
        abortHandshake(socket, 401);
        return;
      }
    }
    this.completeUpgrade(request, req, socket, head, cb);
  }

  /** Writes the 101 and hands the socket to a new WebSocket (internal step of `handleUpgrade`). */
  completeUpgrade(
    request: ValidatedUpgradeRequest,
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (client: WebSocket, request: http.IncomingMessage) => void,
  ): void {
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    if (!claimSocket(socket)) {
      throw new Error(
        'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
      );
    }
    if (this.#state > RUNNING) {
      abortHandshake(socket, 503);
      return;
    }
    const handleProtocols = this.options.handleProtocols;
    const pmd = this.#pmd;
    let handshake: ServerHandshake;
    try {
      handshake = negotiateUpgrade(
        request,
        handleProtocols === undefined || handleProtocols === null
          ? this.#negotiation
          : {
              handleProtocols: (offered) => handleProtocols(new Set(offered), req),
              extensions: this.#negotiation.extensions,
            },
      );
    } catch (error) {
      abortHandshake(socket, 500);
      throw error;
    }
    const opts = this.options;
    const ws = new opts.WebSocket(null, undefined, opts as never);
    const engines: MessageExtension[] = [];
    for (const entry of handshake.extensions) {
      if (pmd !== null && entry.negotiator === pmd) {
        const ext = createPerMessageDeflate(
          pmd.agreement(entry.params),
          deflateEngineOptions(opts.perMessageDeflate),
        );
        engines.push(ext);
        ws._extensions['permessage-deflate'] = ext;
      }
    }
    if (handshake.protocol !== undefined) ws._protocol = handshake.protocol;
    const lines = ['HTTP/1.1 101 Switching Protocols'];
    for (const [name, value] of handshake.headers) lines.push(`${name}: ${value}`);
    this.emit('headers', lines, req);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    socket.removeListener('error', socketOnError);
    ws.setSocket(socket, head, {
      maxPayload: opts.maxPayload,
      extensions: engines,
      allowSynchronousEvents: opts.allowSynchronousEvents !== false,
      skipUTF8Validation: opts.skipUTF8Validation === true,
    });
    if (this.clients !== undefined) {
      this.clients.add(ws);
      ws.on('close', () => {
        this.clients.delete(ws);
        if (this.#shouldEmitClose && this.clients.size === 0) process.nextTick(emitClose, this);
      });
    }
    cb(ws, req);
  }
}

function emitClose(server: WebSocketServer): void {
  server._markClosed();
  server.emit('close');
}
