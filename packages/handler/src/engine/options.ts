/**
 * The `strata` modes' options: {@link HandlerOptions} checked once when an adapter is created
 * and resolved into the profile every connection of that adapter shares. The receive limits
 * come from the engine's one table and validator (`resolveLimits` in `@strata-ws/protocol`);
 * the timers and the send queue have the defaults of `@strata-ws/server`. Portable.
 */
import { checkLimit, type Limits, resolveLimits } from '@strata-ws/protocol';
import type { HandlerOptions } from '../types.js';

/** What every connection of one adapter shares. */
export interface EngineProfile {
  readonly limits: Limits;
  readonly protocols: readonly string[];
  readonly perMessageDeflate: boolean;
  readonly handshakeTimeout: number;
  readonly closeTimeout: number;
  readonly heartbeatInterval: number;
  readonly highWaterMark: number;
  readonly maxBufferedAmount: number;
  readonly backpressurePolicy: 'close' | 'drop';
  /** Largest request head (the server's `maxHeaderSize` default, 16 KiB); larger: 431. */
  readonly maxHeaderBytes: number;
  readonly onError: (error: Error, request: Request) => void;
}

/** The defaults of `@strata-ws/server` for the options the engine's table does not own. */
export const ENGINE_DEFAULTS: {
  readonly handshakeTimeout: number;
  readonly closeTimeout: number;
  readonly heartbeatInterval: number;
  readonly highWaterMark: number;
  readonly maxBufferedAmount: number;
  readonly maxHeaderBytes: number;
} = {
  handshakeTimeout: 10_000,
  closeTimeout: 5_000,
  heartbeatInterval: 30_000,
  highWaterMark: 1_048_576,
  maxBufferedAmount: 8_388_608,
  maxHeaderBytes: 16_384,
};

/** Options the engine profile reads (an adapter's own options are checked by the adapter). */
const KNOWN = new Set([
  'protocols',
  'perMessageDeflate',
  'maxPayload',
  'maxMessageSize',
  'maxFragments',
  'maxBufferedInput',
  'handshakeTimeout',
  'closeTimeout',
  'heartbeatInterval',
  'highWaterMark',
  'maxBufferedAmount',
  'backpressurePolicy',
  'onError',
]);

/**
 * Checks the options and fills in the defaults.
 *
 * @throws TypeError / RangeError naming the bad option
 */
export function resolveEngineProfile(
  options: HandlerOptions = {},
  ownOptions: readonly string[] = [],
): EngineProfile {
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name) && !ownOptions.includes(name)) {
      throw new TypeError(`Unknown option: ${name}`);
    }
  }
  const limits = resolveLimits(options, { role: 'server' });
  const protocols = options.protocols ?? [];
  if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== 'string' || p === '')) {
    throw new TypeError('protocols must be an array of non-empty strings');
  }
  const deflate = options.perMessageDeflate ?? false;
  if (typeof deflate !== 'boolean') throw new TypeError('perMessageDeflate must be a boolean');
  const policy = options.backpressurePolicy ?? 'close';
  if (policy !== 'close' && policy !== 'drop') {
    throw new TypeError(`backpressurePolicy must be 'close' or 'drop', got ${String(policy)}`);
  }
  const onError = options.onError ?? defaultOnError;
  if (typeof onError !== 'function') throw new TypeError('onError must be a function');
  const highWaterMark = checkLimit(
    'highWaterMark',
    options.highWaterMark,
    ENGINE_DEFAULTS.highWaterMark,
  );
  const maxBufferedAmount = checkLimit(
    'maxBufferedAmount',
    options.maxBufferedAmount,
    ENGINE_DEFAULTS.maxBufferedAmount,
  );
  return {
    limits,
    protocols: [...protocols],
    perMessageDeflate: deflate,
    handshakeTimeout: checkDuration('handshakeTimeout', options.handshakeTimeout, false),
    closeTimeout: checkDuration('closeTimeout', options.closeTimeout, false),
    heartbeatInterval: checkDuration('heartbeatInterval', options.heartbeatInterval, true),
    highWaterMark,
    maxBufferedAmount,
    backpressurePolicy: policy,
    maxHeaderBytes: ENGINE_DEFAULTS.maxHeaderBytes,
    onError,
  };
}

type DurationOption = 'handshakeTimeout' | 'closeTimeout' | 'heartbeatInterval';

/** A timer option: a positive integer of milliseconds (0 too when it may be turned off). */
function checkDuration(name: DurationOption, value: unknown, zeroOff: boolean): number {
  if (value === undefined) return ENGINE_DEFAULTS[name];
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number of milliseconds, got ${typeof value}`);
  }
  // setTimeout clamps anything above 2^31 - 1 ms to 1 ms: refuse it instead of firing at once.
  if (!Number.isInteger(value) || value < (zeroOff ? 0 : 1) || value > 2_147_483_647) {
    throw new RangeError(
      `${name} must be an integer from ${zeroOff ? 0 : 1} to 2147483647 (ms), got ${value}`,
    );
  }
  return value;
}

function defaultOnError(error: Error, request: Request): void {
  console.error(`[@strata-ws/handler] upgrade of ${request.url} failed:`, error);
}
