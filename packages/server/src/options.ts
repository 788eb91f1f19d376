/**
 * The server's options: their types, their defaults and their validation at construction
 * (the receive limits come from the engine's one table and validator in
 * `@strata-ws/protocol`; the server adds its own socket, timer and queue limits).
 */
import type { Server as HttpServer, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import { checkLimit, LIMIT_DEFAULTS, resolveLimits } from '@strata-ws/protocol';
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
  /**
   * Allowed origins; a request from another origin is refused with 403. Default: any. A list
   * lets requests without `Origin` pass; a RegExp refuses them (403); a predicate receives
   * `undefined` for them.
   */
  origins?: OriginPolicy;
  /** Subprotocols this server speaks, in order of preference (first one the client also offers wins). */
  protocols?: readonly string[];
  /**
   * `ws`-style subprotocol selection; takes precedence over `protocols`. Without it and
   * without `protocols`, no subprotocol is selected (RFC 6455 §4.2.2).
   */
  handleProtocols?: HandleProtocols;
  /** permessage-deflate (RFC 7692): `false` (default), `true`, or options. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;

  /** Largest frame payload in bytes (default 16 MiB); larger frames close with 1009. Positive integer or `Infinity`. */
  maxPayload?: number;
  /** Largest (decompressed) message in bytes (default 16 MiB); larger messages close with 1009. */
  maxMessageSize?: number;
  /**
   * Opt-in: most frames per message; more close with 1008. Default `Infinity` (off): a
   * fragment costs its bytes, which `maxMessageSize` bounds.
   */
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
  /** Received bytes held while an asynchronous decode (inflate) runs (default 1 MiB; 1008 at twice it). */
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

const SERVER_LIMITS = LIMIT_DEFAULTS.server;

/**
 * Defaults of every limit, exported so documentation and tests cannot drift. The receive
 * limits (`maxPayload`, `maxMessageSize`, `maxFragments`, `maxBufferedInput`) are the
 * engine's table (`LIMIT_DEFAULTS.server` of `@strata-ws/protocol`), not copies of it.
 */
export const defaultLimits: Readonly<Omit<ResolvedOptions, 'path' | 'clientTracking'>> =
  Object.freeze({
    maxPayload: SERVER_LIMITS.maxPayload,
    maxMessageSize: SERVER_LIMITS.maxMessageSize,
    maxFragments: SERVER_LIMITS.maxFragments,
    autoPong: true,
    handshakeTimeout: 10_000,
    maxHeaderSize: 16 * 1024,
    closeTimeout: 5_000,
    heartbeatInterval: 30_000,
    idleTimeout: 0,
    highWaterMark: 1024 * 1024,
    maxBufferedAmount: 8 * 1024 * 1024,
    backpressurePolicy: 'close' as BackpressurePolicy,
    maxBufferedInput: SERVER_LIMITS.maxBufferedInput,
  });

/** The largest delay a Node timer takes (beyond it Node fires after 1 ms). */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * A duration in milliseconds: an integer from `min` (0 or 1) to 2^31-1.
 * @throws TypeError (not a number) or RangeError naming the option
 */
function duration(name: string, value: unknown, fallback: number, min: 0 | 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > MAX_TIMER) {
    throw new RangeError(
      `${name} must be an integer number of milliseconds from ${min} to ${MAX_TIMER}, got ${value}`,
    );
  }
  return value;
}

function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new TypeError(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

function optionalFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${typeof value}`);
  }
}

/**
 * Applies defaults and checks every option, so that a bad one throws at construction
 * (never after a handshake): a TypeError or RangeError whose message names the option.
 * Byte limits use the engine's validator (`checkLimit`: a positive integer or `Infinity`),
 * the receive limits its table (`resolveLimits`); durations are integer milliseconds.
 */
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
  optionalFunction('authenticate', options.authenticate);
  optionalFunction('verifyClient', options.verifyClient);
  optionalFunction('handleProtocols', options.handleProtocols);
  const protocols = options.protocols;
  if (
    protocols !== undefined &&
    (!Array.isArray(protocols) || protocols.some((p) => typeof p !== 'string'))
  ) {
    throw new TypeError('protocols must be an array of strings');
  }
  const origins = options.origins;
  if (
    origins !== undefined &&
    !(origins instanceof RegExp) &&
    typeof origins !== 'function' &&
    !(Array.isArray(origins) && origins.every((o) => typeof o === 'string'))
  ) {
    throw new TypeError('origins must be an array of strings, a RegExp or a function');
  }
  const pmd = options.perMessageDeflate;
  if (pmd !== undefined && typeof pmd !== 'boolean' && (typeof pmd !== 'object' || pmd === null)) {
    throw new TypeError(`perMessageDeflate must be a boolean or an object, got ${typeof pmd}`);
  }
  const limits = resolveLimits(options, { role: 'server' });
  const highWaterMark = checkLimit('highWaterMark', options.highWaterMark, d.highWaterMark);
  const maxBufferedAmount = checkLimit(
    'maxBufferedAmount',
    options.maxBufferedAmount,
    Math.max(d.maxBufferedAmount, highWaterMark),
  );
  return {
    path,
    clientTracking: boolean('clientTracking', options.clientTracking, true),
    maxPayload: limits.maxPayload,
    maxMessageSize: limits.maxMessageSize,
    maxFragments: limits.maxFragments,
    autoPong: boolean('autoPong', options.autoPong, d.autoPong),
    handshakeTimeout: duration('handshakeTimeout', options.handshakeTimeout, d.handshakeTimeout, 1),
    maxHeaderSize: checkLimit('maxHeaderSize', options.maxHeaderSize, d.maxHeaderSize),
    closeTimeout: duration('closeTimeout', options.closeTimeout, d.closeTimeout, 1),
    heartbeatInterval: duration(
      'heartbeatInterval',
      options.heartbeatInterval,
      d.heartbeatInterval,
      0,
    ),
    idleTimeout: duration('idleTimeout', options.idleTimeout, d.idleTimeout, 0),
    highWaterMark,
    maxBufferedAmount,
    backpressurePolicy: policy,
    maxBufferedInput: limits.maxBufferedInput,
  };
}
