import type { Server as HttpServer, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import type { PerMessageDeflateOptions } from './deflate.js';
import type { PubSubAdapter, TopicRegistryOptions } from './topics.js';

/** What the server does with a send while a connection's queue is over `maxBufferedAmount`. */
export type BackpressurePolicy = 'close' | 'drop';

/** Information handed to the authentication hook and the origin check. */
export interface UpgradeInfo {
  /** The `Origin` header, or `undefined` when the client sent none (non-browser clients). */
  readonly origin: string | undefined;
  /** Whether the connection arrived over TLS. */
  readonly secure: boolean;
  /** The subprotocols the client offered, in its order of preference. */
  readonly protocols: readonly string[];
}

/** Refuses an upgrade: the client gets this HTTP response instead of the 101. */
export interface UpgradeRejection {
  /** HTTP status, 400-599 (default 401). */
  status?: number;
  /** Extra response headers. */
  headers?: OutgoingHttpHeaders;
  /** Response body (plain text); defaults to the status text. */
  body?: string;
}

/** Accepts an upgrade and attaches per-connection data (available as `ws.data`). */
export interface UpgradeAcceptance<Data> {
  /** Per-connection data, e.g. the authenticated user. */
  data?: Data;
  /** Extra headers for the 101 response. */
  headers?: OutgoingHttpHeaders;
}

/**
 * The authentication hook's answer: `true`/`undefined` accepts, `false` refuses with 401,
 * `{ reject: ... }` refuses with that response, `{ accept: ... }` accepts with data.
 */
export type UpgradeDecision<Data> =
  | boolean
  | undefined
  | { accept: UpgradeAcceptance<Data> }
  | { reject: UpgradeRejection };

/** The asynchronous authentication hook, run before the 101 and covered by the handshake timeout. */
export type AuthenticateHook<Data> = (
  request: IncomingMessage,
  info: UpgradeInfo,
) => UpgradeDecision<Data> | Promise<UpgradeDecision<Data>>;

/** `ws`-compatible client verification: synchronous boolean or callback form. */
export type VerifyClient = (
  info: { origin: string | undefined; secure: boolean; req: IncomingMessage },
  callback: (
    result: boolean,
    code?: number,
    message?: string,
    headers?: OutgoingHttpHeaders,
  ) => void,
) => boolean | undefined;

/** Picks one of the offered subprotocols, or `false` for none (`ws`'s `handleProtocols`). */
export type HandleProtocols = (
  protocols: Set<string>,
  request: IncomingMessage,
) => string | false | undefined;

/** Which origins may connect: a list of exact origins, a pattern, or a predicate. */
export type OriginPolicy =
  | readonly string[]
  | RegExp
  | ((origin: string | undefined, request: IncomingMessage) => boolean);

/** Options of {@link WebSocketServer}. Every limit has a safe default. */
export interface WebSocketServerOptions<Data = unknown> {
  /** Listen on this port (creates an http server; `0` picks a free port). */
  port?: number;
  /** Host to bind when `port` is given. */
  host?: string;
  /** Listen backlog when `port` is given. */
  backlog?: number;
  /**
   * With `port`: listen with TLS (`wss://`), with these `node:tls` server options (`key`,
   * `cert`, ...). ALPN defaults to `http/1.1`; the TLS handshake counts against `handshakeTimeout`.
   */
  tls?: TlsOptions;
  /** Attach to an existing http/https server (its `upgrade` event). */
  server?: HttpServer | HttpsServer;
  /**
   * Attach to a node:http2 server for WebSockets over HTTP/2 (RFC 8441 extended CONNECT on
   * its `stream` event). Create it with `settings: { enableConnectProtocol: true }`. With
   * `allowHTTP1: true` (TLS) its HTTP/1.1 upgrades are served too, unless `server` is also
   * given (then HTTP/1.1 upgrades come from `server`, e.g. one port shared by h2c and
   * HTTP/1.1, see `createDualProtocolServer`).
   */
  http2?: Http2Server | Http2SecureServer;
  /** No server: call {@link WebSocketServer.handleUpgrade} yourself. */
  noServer?: boolean;
  /** Only accept upgrades whose path (without query) equals this. */
  path?: string;
  /** Track clients in `wss.clients` (default true). */
  clientTracking?: boolean;

  /** Asynchronous authentication hook run before the 101 response. */
  authenticate?: AuthenticateHook<Data>;
  /** `ws`-style verification hook (runs before `authenticate` when both are set). */
  verifyClient?: VerifyClient;
  /** Allowed origins; a request from another origin is refused with 403. Default: any. */
  origins?: OriginPolicy;
  /** Subprotocols this server speaks, in order of preference (first one the client also offers wins). */
  protocols?: readonly string[];
  /** `ws`-style subprotocol selection; takes precedence over `protocols`. */
  handleProtocols?: HandleProtocols;
  /** permessage-deflate (RFC 7692): `false` (default), `true`, or options. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;

  /** Largest frame payload in bytes (default 16 MiB); larger frames close with 1009. */
  maxPayload?: number;
  /** Largest (decompressed) message in bytes (default 16 MiB); larger messages close with 1009. */
  maxMessageSize?: number;
  /** Most frames per message (default 1024); more close with 1008. */
  maxFragments?: number;
  /** Answer pings automatically (default true). */
  autoPong?: boolean;
  /** Max time from the upgrade (or socket connect, for servers this creates) to the 101, including `authenticate` (default 10 000 ms). */
  handshakeTimeout?: number;
  /** Max request header size for servers this creates (default 16 KiB). */
  maxHeaderSize?: number;
  /** Time a peer has to answer our close frame / close its TCP side before it is destroyed (default 5 000 ms). */
  closeTimeout?: number;
  /** Ping a silent connection every this many ms; terminate it if nothing arrives by the next sweep. 0 disables (default 30 000). */
  heartbeatInterval?: number;
  /** Close (1001) a connection that neither sent nor received a message for this long. 0 disables (default 0). */
  idleTimeout?: number;
  /** Stop reading from a peer while its outgoing queue holds more than this many bytes (default 1 MiB). */
  highWaterMark?: number;
  /** Outgoing queue size beyond which `backpressurePolicy` applies to new sends (default 8 MiB). */
  maxBufferedAmount?: number;
  /** `'close'` (default): close with 1008 and destroy after `closeTimeout`; `'drop'`: drop the message. */
  backpressurePolicy?: BackpressurePolicy;
  /** Received bytes held while an asynchronous decode (inflate) runs (default 1 MiB). */
  maxBufferedInput?: number;
  /**
   * Topics (publish/subscribe): `adapter` spans topics across processes (default: this
   * process only); `level`, `memLevel` and `threshold` (default 1, 8, 1024 bytes) govern
   * the one compressed frame built per published message for subscribers that negotiated
   * permessage-deflate with `server_no_context_takeover`.
   */
  topics?: TopicsOptions;
}

/** Options of the server's topics. */
export interface TopicsOptions extends TopicRegistryOptions {
  /** Where publishes go and where messages from other processes come from. */
  adapter?: PubSubAdapter;
}

/** The options with every default applied (internal). */
export interface ResolvedOptions {
  readonly path: string | undefined;
  readonly clientTracking: boolean;
  readonly maxPayload: number;
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  readonly autoPong: boolean;
  readonly handshakeTimeout: number;
  readonly maxHeaderSize: number;
  readonly closeTimeout: number;
  readonly heartbeatInterval: number;
  readonly idleTimeout: number;
  readonly highWaterMark: number;
  readonly maxBufferedAmount: number;
  readonly backpressurePolicy: BackpressurePolicy;
  readonly maxBufferedInput: number;
}

/** Defaults of every limit, exported so documentation and tests cannot drift. */
export const defaultLimits: Readonly<Omit<ResolvedOptions, 'path' | 'clientTracking'>> =
  Object.freeze({
    maxPayload: 16 * 1024 * 1024,
    maxMessageSize: 16 * 1024 * 1024,
    maxFragments: 1024,
    autoPong: true,
    handshakeTimeout: 10_000,
    maxHeaderSize: 16 * 1024,
    closeTimeout: 5_000,
    heartbeatInterval: 30_000,
    idleTimeout: 0,
    highWaterMark: 1024 * 1024,
    maxBufferedAmount: 8 * 1024 * 1024,
    backpressurePolicy: 'close' as BackpressurePolicy,
    maxBufferedInput: 1024 * 1024,
  });

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = nonNegative(name, value, fallback);
  if (v === 0) throw new RangeError(`${name} must be > 0`);
  return v;
}

/** Applies defaults and checks ranges (throws RangeError/TypeError for bad options). */
export function resolveOptions(options: WebSocketServerOptions<unknown>): ResolvedOptions {
  const d = defaultLimits;
  const policy = options.backpressurePolicy ?? d.backpressurePolicy;
  if (policy !== 'close' && policy !== 'drop') {
    throw new TypeError(`backpressurePolicy must be 'close' or 'drop', got ${String(policy)}`);
  }
  const path = options.path;
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw new TypeError(`path must be a string starting with '/', got ${String(path)}`);
  }
  const highWaterMark = positive('highWaterMark', options.highWaterMark, d.highWaterMark);
  const maxBufferedAmount = positive(
    'maxBufferedAmount',
    options.maxBufferedAmount,
    Math.max(d.maxBufferedAmount, highWaterMark),
  );
  return {
    path,
    clientTracking: options.clientTracking ?? true,
    maxPayload: positive('maxPayload', options.maxPayload, d.maxPayload),
    maxMessageSize: positive('maxMessageSize', options.maxMessageSize, d.maxMessageSize),
    maxFragments: positive('maxFragments', options.maxFragments, d.maxFragments),
    autoPong: options.autoPong ?? d.autoPong,
    handshakeTimeout: positive('handshakeTimeout', options.handshakeTimeout, d.handshakeTimeout),
    maxHeaderSize: positive('maxHeaderSize', options.maxHeaderSize, d.maxHeaderSize),
    closeTimeout: positive('closeTimeout', options.closeTimeout, d.closeTimeout),
    heartbeatInterval: nonNegative(
      'heartbeatInterval',
      options.heartbeatInterval,
      d.heartbeatInterval,
    ),
    idleTimeout: nonNegative('idleTimeout', options.idleTimeout, d.idleTimeout),
    highWaterMark,
    maxBufferedAmount,
    backpressurePolicy: policy,
    maxBufferedInput: positive('maxBufferedInput', options.maxBufferedInput, d.maxBufferedInput),
  };
}
