/**
 * The Node-only options of `WebSocket` and `WebSocketStream` (the browser has none of these),
 * their defaults, and their normalisation into one internal record. The receive limits are the
 * engine's (`@strata-ws/protocol` `LimitOptions`, `LIMIT_DEFAULTS.client`, `resolveLimits`):
 * one name, one default and one rule per limit, checked here at construction.
 */

import type { ClientHttp2Session } from 'node:http2';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type {
  DeflateEngineOptions,
  ClientDeflateOptions as DeflateOfferOptions,
} from '@strata-ws/permessage-deflate/node';
import { checkLimit, type LimitOptions, type Limits, resolveLimits } from '@strata-ws/protocol';

/** Request headers in any of the usual shapes. */
export type HeadersInput =
  | Record<string, string | readonly string[] | number | undefined>
  | Iterable<readonly [string, string]>;

/**
 * permessage-deflate (RFC 7692) settings: what the client offers (`@strata-ws/permessage-deflate`'s
 * `ClientDeflateOptions`: `serverNoContextTakeover`, `clientNoContextTakeover`,
 * `serverMaxWindowBits`, `clientMaxWindowBits`, or several `offers`) and how its engine runs
 * (`DeflateEngineOptions`: `level`, `memLevel`, `threshold`, `memoryMode`, `syncLimit`, `limiter`).
 */
export type ClientDeflateOptions = DeflateOfferOptions & DeflateEngineOptions;

/** Heartbeat settings: ping the server and fail the connection when it stops answering. */
export interface HeartbeatOptions {
  /** Milliseconds between pings (a ping is sent only when nothing was received meanwhile). */
  interval: number;
  /** Milliseconds to wait for any data (a pong) after a ping before failing. Default: `interval`. */
  timeout?: number;
}

/** A proxy to tunnel through with HTTP `CONNECT`. */
export interface ProxyOptions {
  /** `http://[user:pass@]host:port` or `https://...` (TLS to the proxy itself). */
  url: string | URL;
  /** Extra headers for the `CONNECT` request (e.g. `Proxy-Authorization`). */
  headers?: HeadersInput;
  /** TLS options for an `https:` proxy. */
  tls?: TlsConnectionOptions;
}

/**
 * Node extras of `new WebSocket(url, protocols, options)` and
 * `new WebSocketStream(url, { ...options })`. Every limit has a safe default.
 */
export interface WebSocketOptions extends LimitOptions {
  /** Extra request headers (e.g. `Authorization`, `Cookie`). The handshake's own headers cannot be overridden. */
  headers?: HeadersInput;
  /** The `Origin` header to send. Browsers always send one; Node sends none by default. */
  origin?: string;
  /** TLS options for `wss:` (CA, client certificate and key, `rejectUnauthorized`, `servername` ...). */
  tls?: TlsConnectionOptions;
  /** Milliseconds from the constructor to the open event; then the connection fails. Default 30000. */
  handshakeTimeout?: number;
  /** Milliseconds to wait for the closing handshake and the server's TCP close. Default 30000. */
  closeTimeout?: number;
  // maxPayload, maxMessageSize, maxFragments, maxBufferedInput: the engine's LimitOptions
  // (defaults LIMIT_DEFAULTS.client: 64 MiB, 64 MiB, Infinity, 16 MiB).
  /** Largest response head accepted from the server, in bytes. Default 16 KiB. */
  maxResponseHeadSize?: number;
  /**
   * `bufferedAmount` above which the socket is "flagged as full" and closed (error, then close
   * 1006), as the standard allows. Default 1 GiB.
   */
  maxBufferedAmount?: number;
  /** Offer permessage-deflate (RFC 7692), as browsers do. Default true. */
  perMessageDeflate?: boolean | ClientDeflateOptions;
  /** Tunnel through an HTTP(S) proxy with `CONNECT`. */
  proxy?: string | URL | ProxyOptions;
  /**
   * Read the proxy from `HTTPS_PROXY`/`https_proxy` (wss:), `HTTP_PROXY`/`http_proxy` (ws:),
   * `ALL_PROXY`, honouring `NO_PROXY`. Ignored when `proxy` is set. Default false.
   */
  proxyFromEnvironment?: boolean;
  /** Ping-based liveness check. A number is the interval in milliseconds. Default off. */
  heartbeat?: number | HeartbeatOptions;
  /**
   * Bootstrap over HTTP/2 (RFC 8441 extended CONNECT): `true` to open (or reuse) a session to
   * the URL's origin, or an existing `ClientHttp2Session` to open the stream on. When the
   * server does not enable extended CONNECT, the client falls back to HTTP/1.1. Default false.
   */
  http2?: boolean | ClientHttp2Session;
}

/** The options after defaults. */
export interface NormalizedOptions {
  headers: [string, string][];
  origin: string | null;
  tls: TlsConnectionOptions;
  handshakeTimeout: number;
  closeTimeout: number;
  /** The engine's receive limits, resolved for the client role. */
  limits: Limits;
  maxResponseHeadSize: number;
  maxBufferedAmount: number;
  perMessageDeflate: ClientDeflateOptions | null;
  proxy: ProxyOptions | null;
  proxyFromEnvironment: boolean;
  heartbeat: { interval: number; timeout: number } | null;
  http2: boolean | ClientHttp2Session;
}

/** Default handshake timeout: 30 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
/** Default close timeout: 30 s. */
export const DEFAULT_CLOSE_TIMEOUT = 30_000;
/** Default limit on the response head: 16 KiB. */
export const DEFAULT_MAX_RESPONSE_HEAD: number = 16 * 1024;
/** Default `bufferedAmount` limit: 1 GiB. */
export const DEFAULT_MAX_BUFFERED_AMOUNT: number = 1024 * 1024 * 1024;

// One shared object, so that the negotiator built for it is shared too.
const DEFAULT_DEFLATE: ClientDeflateOptions = {};

/** The longest delay a Node timer keeps (a longer one fires at once). */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * A delay in milliseconds: a positive number a timer can hold.
 * @throws TypeError when not a number; RangeError when not in (0, 2^31 - 1] (naming the option)
 */
function delay(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!(value > 0 && value <= MAX_TIMER_DELAY)) {
    throw new RangeError(
      `${name} must be a number of milliseconds in (0, ${MAX_TIMER_DELAY}], got ${value}`,
    );
  }
  return value;
}

/** Flattens any accepted header shape into name/value pairs, refusing CR/LF injection. */
export function normalizeHeaders(input: HeadersInput | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (input === undefined || input === null) return out;
  const push = (name: string, value: unknown): void => {
    const v = String(value);
    if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(v)) {
      throw new TypeError(`Invalid header ${JSON.stringify(name)}`);
    }
    out.push([name, v]);
  };
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of input as Iterable<readonly [string, string]>) push(pair[0], pair[1]);
    return out;
  }
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) push(name, v);
    else push(name, value);
  }
  return out;
}

/** Applies the defaults and checks the types of {@link WebSocketOptions}. */
export function normalizeOptions(options: WebSocketOptions | undefined): NormalizedOptions {
  const o = options ?? {};
  let heartbeat: NormalizedOptions['heartbeat'] = null;
  if (typeof o.heartbeat === 'number') {
    const interval = delay(o.heartbeat, 'heartbeat', 0);
    heartbeat = { interval, timeout: interval };
  } else if (o.heartbeat) {
    const interval = delay(o.heartbeat.interval, 'heartbeat.interval', 0);
    heartbeat = { interval, timeout: delay(o.heartbeat.timeout, 'heartbeat.timeout', interval) };
  }
  let proxy: ProxyOptions | null = null;
  if (o.proxy !== undefined && o.proxy !== null) {
    proxy =
      typeof o.proxy === 'string' || o.proxy instanceof URL ? { url: o.proxy } : { ...o.proxy };
  }
  let deflate: ClientDeflateOptions | null = DEFAULT_DEFLATE;
  if (o.perMessageDeflate === false) deflate = null;
  else if (typeof o.perMessageDeflate === 'object' && o.perMessageDeflate !== null) {
    deflate = o.perMessageDeflate;
  }
  return {
    headers: normalizeHeaders(o.headers),
    origin: o.origin === undefined ? null : String(o.origin),
    tls: o.tls ?? {},
    handshakeTimeout: delay(o.handshakeTimeout, 'handshakeTimeout', DEFAULT_HANDSHAKE_TIMEOUT),
    closeTimeout: delay(o.closeTimeout, 'closeTimeout', DEFAULT_CLOSE_TIMEOUT),
    limits: resolveLimits(o, { role: 'client' }),
    // The client's own byte limits follow the engine's rule (a positive integer or Infinity).
    maxResponseHeadSize: checkLimit(
      'maxResponseHeadSize',
      o.maxResponseHeadSize,
      DEFAULT_MAX_RESPONSE_HEAD,
    ),
    maxBufferedAmount: checkLimit(
      'maxBufferedAmount',
      o.maxBufferedAmount,
      DEFAULT_MAX_BUFFERED_AMOUNT,
    ),
    perMessageDeflate: deflate,
    proxy,
    proxyFromEnvironment: o.proxyFromEnvironment === true,
    heartbeat,
    http2: o.http2 ?? false,
  };
}
