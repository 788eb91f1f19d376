/**
 * The options of `ReconnectingWebSocket` (partysocket's names where it has one), their
 * defaults, the backoff rule, and the validation that runs at construction.
 */
import type { ReconnectCloseEvent } from './events.js';

/** A value, or a function giving it (sync or async) — called again before every attempt. */
export type Provider<T> = T | (() => T | Promise<T>);

/** The URL: a string/URL or a provider (e.g. to put a fresh auth token in the query). */
export type UrlProvider = Provider<string | URL>;

/** The subprotocols: a string, a list, or a provider. */
export type ProtocolsProvider = Provider<string | readonly string[] | undefined>;

/** How binary messages are exposed: `Blob` (the default) or `ArrayBuffer`. */
export type BinaryType = 'blob' | 'arraybuffer';

/** What `send()` accepts (the WHATWG `WebSocket.send` argument). */
export type SendData = string | ArrayBufferLike | ArrayBufferView | Blob;

/** The part of the WHATWG `WebSocket` this package uses (any implementation has it). */
export interface WebSocketLike extends EventTarget {
  readonly readyState: number;
  readonly protocol: string;
  readonly extensions: string;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: SendData): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class with the WHATWG constructor (browsers', `@strata-ws/client`'s, undici's ...). */
export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[]): WebSocketLike;
}

/** Timers and time, injectable for tests. Defaults to the global timers and `Date.now`. */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** What `shouldReconnect` is told about the close besides the event itself. */
export interface CloseInfo {
  /** The attempt that closed (1 = first connection). */
  readonly attempt: number;
  /** Whether this connection had opened. */
  readonly opened: boolean;
  /**
   * The HTTP status of a refused handshake, when the WebSocket implementation exposes it
   * (`status` on the error event, or on its `error`/`error.cause`); `undefined` otherwise
   * (browsers never expose it).
   */
  readonly status: number | undefined;
}

/** Options of `ReconnectingWebSocket`. Every bound has a safe default. */
export interface ReconnectOptions {
  /** The WebSocket class to use. Default: `globalThis.WebSocket` (the `./node` entry: `@strata-ws/client`). */
  WebSocket?: WebSocketConstructor;
  /** Smallest reconnection delay in ms (default 1000). */
  minReconnectionDelay?: number;
  /** Largest reconnection delay in ms (default 10 000). */
  maxReconnectionDelay?: number;
  /** Factor the delay grows by after each failed attempt (default 1.3, >= 1). */
  reconnectionDelayGrowFactor?: number;
  /** `'full'` (default): wait a uniformly random time in [0, delay]; `'none'`: exactly the delay. */
  jitter?: 'full' | 'none';
  /** A connection must stay open this long (ms) before the retry count resets (default 5000). */
  minUptime?: number;
  /** An attempt that has not opened after this many ms is abandoned (default 4000). */
  connectionTimeout?: number;
  /** Attempts after a close before giving up (default Infinity). */
  maxRetries?: number;
  /** Most messages queued while down (default 1000); more are dropped with a `drop` event. */
  maxEnqueuedMessages?: number;
  /** Most bytes queued while down (default 1 MiB); more are dropped with a `drop` event. */
  maxEnqueuedBytes?: number;
  /** Do not connect until `reconnect()` is called (default false). */
  startClosed?: boolean;
  /** Whether to reconnect after this close. Default: not after 1008 nor a refused 4xx handshake. */
  shouldReconnect?: (event: ReconnectCloseEvent, info: CloseInfo) => boolean;
  /**
   * Ask the server for a resumable session (`@strata-ws/reconnect/server`) and resume it after
   * each reconnect: missed topic messages are replayed exactly once, in order (default false).
   */
  resume?: boolean;
  /** Retry at once when the browser goes `online` or the page becomes visible (default true). */
  retryOnNetworkChange?: boolean;
  /** Timers and time (tests). */
  clock?: Clock;
  /** Random numbers in [0, 1) for the jitter (tests). Default `Math.random`. */
  random?: () => number;
}

/** The options with defaults applied (internal). */
export interface ResolvedReconnectOptions {
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly minReconnectionDelay: number;
  readonly maxReconnectionDelay: number;
  readonly reconnectionDelayGrowFactor: number;
  readonly jitter: 'full' | 'none';
  readonly minUptime: number;
  readonly connectionTimeout: number;
  readonly maxRetries: number;
  readonly maxEnqueuedMessages: number;
  readonly maxEnqueuedBytes: number;
  readonly startClosed: boolean;
  readonly shouldReconnect: (event: ReconnectCloseEvent, info: CloseInfo) => boolean;
  readonly resume: boolean;
  readonly retryOnNetworkChange: boolean;
  readonly clock: Clock;
  readonly random: () => number;
}

/** The defaults, exported so the README and tests cannot drift. */
export const reconnectDefaults: Readonly<{
  minReconnectionDelay: number;
  maxReconnectionDelay: number;
  reconnectionDelayGrowFactor: number;
  minUptime: number;
  connectionTimeout: number;
  maxRetries: number;
  maxEnqueuedMessages: number;
  maxEnqueuedBytes: number;
}> = Object.freeze({
  minReconnectionDelay: 1000,
  maxReconnectionDelay: 10_000,
  reconnectionDelayGrowFactor: 1.3,
  minUptime: 5000,
  connectionTimeout: 4000,
  maxRetries: Number.POSITIVE_INFINITY,
  maxEnqueuedMessages: 1000,
  maxEnqueuedBytes: 1024 * 1024,
});

/** Policy violation: the server refused this client; retrying will not help. */
const POLICY_VIOLATION = 1008;

/** The default `shouldReconnect`: not after 1008, nor after a handshake refused with 4xx. */
export function defaultShouldReconnect(event: ReconnectCloseEvent, info: CloseInfo): boolean {
  if (event.code === POLICY_VIOLATION) return false;
  if (info.status !== undefined && info.status >= 400 && info.status < 500) return false;
  return true;
}

const globalClock: Clock = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

function number(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  allowInfinity = false,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${String(value)}`);
  }
  if (value < min || (!allowInfinity && !Number.isFinite(value))) {
    throw new RangeError(
      `${name} must be ${allowInfinity ? 'a number' : 'a finite number'} >= ${min}, got ${value}`,
    );
  }
  return value;
}

function fn<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${typeof value}`);
  }
  return value;
}

/** Applies the defaults and checks every option (RangeError/TypeError naming the option). */
export function resolveReconnectOptions(options: ReconnectOptions = {}): ResolvedReconnectOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const d = reconnectDefaults;
  const minReconnectionDelay = number(
    'minReconnectionDelay',
    options.minReconnectionDelay,
    d.minReconnectionDelay,
    0,
  );
  const maxReconnectionDelay = number(
    'maxReconnectionDelay',
    options.maxReconnectionDelay,
    Math.max(d.maxReconnectionDelay, minReconnectionDelay),
    0,
  );
  if (maxReconnectionDelay < minReconnectionDelay) {
    throw new RangeError(
      `maxReconnectionDelay (${maxReconnectionDelay}) must be >= minReconnectionDelay (${minReconnectionDelay})`,
    );
  }
  const jitter = options.jitter ?? 'full';
  if (jitter !== 'full' && jitter !== 'none') {
    throw new TypeError(`jitter must be 'full' or 'none', got ${String(jitter)}`);
  }
  const clock = options.clock ?? globalClock;
  if (
    typeof clock !== 'object' ||
    typeof clock.setTimeout !== 'function' ||
    typeof clock.clearTimeout !== 'function' ||
    typeof clock.now !== 'function'
  ) {
    throw new TypeError('clock must have setTimeout, clearTimeout and now functions');
  }
  const connectionTimeout = number(
    'connectionTimeout',
    options.connectionTimeout,
    d.connectionTimeout,
    1,
  );
  return {
    WebSocket: fn('WebSocket', options.WebSocket),
    minReconnectionDelay,
    maxReconnectionDelay,
    reconnectionDelayGrowFactor: number(
      'reconnectionDelayGrowFactor',
      options.reconnectionDelayGrowFactor,
      d.reconnectionDelayGrowFactor,
      1,
    ),
    jitter,
    minUptime: number('minUptime', options.minUptime, d.minUptime, 0),
    connectionTimeout,
    maxRetries: integerOrInfinity('maxRetries', options.maxRetries, d.maxRetries),
    maxEnqueuedMessages: integerOrInfinity(
      'maxEnqueuedMessages',
      options.maxEnqueuedMessages,
      d.maxEnqueuedMessages,
    ),
    maxEnqueuedBytes: number('maxEnqueuedBytes', options.maxEnqueuedBytes, d.maxEnqueuedBytes, 0),
    startClosed: bool('startClosed', options.startClosed, false),
    shouldReconnect: fn('shouldReconnect', options.shouldReconnect) ?? defaultShouldReconnect,
    resume: bool('resume', options.resume, false),
    retryOnNetworkChange: bool('retryOnNetworkChange', options.retryOnNetworkChange, true),
    clock,
    random: fn('random', options.random) ?? Math.random,
  };
}

function integerOrInfinity(name: string, value: unknown, fallback: number): number {
  const v = number(name, value, fallback, 0, true);
  if (Number.isFinite(v) && !Number.isInteger(v)) {
    throw new RangeError(`${name} must be an integer or Infinity, got ${v}`);
  }
  return v;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
  return value;
}

/**
 * The wait before reconnection attempt `retry` (1 = the first retry after a close):
 * `min(maxReconnectionDelay, minReconnectionDelay * growFactor^(retry-1))`, then with full
 * jitter a uniformly random time in [0, that].
 */
export function reconnectionDelay(options: ResolvedReconnectOptions, retry: number): number {
  const cap = Math.min(
    options.maxReconnectionDelay,
    options.minReconnectionDelay * options.reconnectionDelayGrowFactor ** Math.max(0, retry - 1),
  );
  if (options.jitter === 'none') return cap;
  return Math.floor(options.random() * cap);
}
