/**
 * The one table of receive limits and the one validator for them, shared by the engine and
 * both facades (`new WebSocketServer`, `new WebSocket` call {@link resolveLimits} in their
 * constructors, so a bad option throws there, never after a handshake). One name per limit
 * across every layer; the close code each limit fails with is named here too.
 */
import { DEFAULT_MAX_PAYLOAD } from '@strata-ws/codec';

/** Which end of the connection an engine plays. */
export type Role = 'client' | 'server';

/**
 * The receive limits, by the names every layer uses. Each is a positive integer or
 * `Infinity` (no limit).
 */
export interface LimitOptions {
  /**
   * Largest payload of one received frame, in bytes; a larger frame fails with 1009
   * (`CloseCode.MessageTooBig`) as soon as its header is read, before it is buffered.
   */
  maxPayload?: number;
  /**
   * Largest received message after reassembly and decompression, in bytes; larger fails
   * with 1009 (`CloseCode.MessageTooBig`), detected while it arrives or inflates.
   */
  maxMessageSize?: number;
  /**
   * Opt-in: most frames one received message may span; more fails with 1008
   * (`CloseCode.PolicyViolation`). Off (`Infinity`) by default: a fragment costs its bytes
   * (it is copied into the message's buffer as it arrives), so bytes are what is bounded.
   */
  maxFragments?: number;
  /**
   * Bytes of received frames held while an asynchronous extension (inflate) decodes an
   * earlier one (each held frame counts {@link HELD_FRAME_OVERHEAD} bytes more); above it the
   * engine asks the transport to pause reading, at twice it the connection fails with 1008.
   */
  maxBufferedInput?: number;
}

/** Every limit resolved (defaults applied, validated). */
export type Limits = Readonly<Required<LimitOptions>>;

/** What a held frame costs besides its payload bytes (its record and view), in bytes. */
export const HELD_FRAME_OVERHEAD = 64;

const MiB = 1024 * 1024;

/**
 * The defaults, per role. They differ on purpose: a server faces many untrusted peers and
 * bounds each tighter (16 MiB messages, 1 MiB held input); a client talks to one server it
 * chose (64 MiB, the codec parser's own default, and 16 MiB held input).
 *
 * | limit              | server   | client   | fails with |
 * | ------------------ | -------- | -------- | ---------- |
 * | `maxPayload`       | 16 MiB   | 64 MiB   | 1009       |
 * | `maxMessageSize`   | 16 MiB   | 64 MiB   | 1009       |
 * | `maxFragments`     | Infinity | Infinity | 1008       |
 * | `maxBufferedInput` | 1 MiB    | 16 MiB   | 1008 (2x)  |
 */
export const LIMIT_DEFAULTS: { readonly server: Limits; readonly client: Limits } = Object.freeze({
  server: Object.freeze({
    maxPayload: 16 * MiB,
    maxMessageSize: 16 * MiB,
    maxFragments: Number.POSITIVE_INFINITY,
    maxBufferedInput: 1 * MiB,
  }),
  client: Object.freeze({
    maxPayload: DEFAULT_MAX_PAYLOAD,
    maxMessageSize: DEFAULT_MAX_PAYLOAD,
    maxFragments: Number.POSITIVE_INFINITY,
    maxBufferedInput: 16 * MiB,
  }),
});

/**
 * Checks one limit value: `undefined` gives `fallback`; otherwise it must be a positive
 * integer or `Infinity`.
 *
 * @throws TypeError for a value that is not a number; RangeError for a number that is not a
 *   positive integer or `Infinity` (the message names the option: `maxPayload must be a
 *   positive integer or Infinity, got 1.5`).
 */
export function checkLimit(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a number, got ${typeof value}`);
  }
  if (!(value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value > 0))) {
    throw new RangeError(`${name} must be a positive integer or Infinity, got ${value}`);
  }
  return value;
}

/**
 * The limits for one role: `options` validated, {@link LIMIT_DEFAULTS} for what it leaves
 * out. Returns a frozen object; spread it into the engine's options
 * (`new Connection(handler, { role, ...limits })`).
 *
 * @throws TypeError for an unknown role or a limit that is not a number; RangeError for a
 *   limit that is not a positive integer or `Infinity` (see {@link checkLimit}).
 */
export function resolveLimits(options: LimitOptions | undefined, context: { role: Role }): Limits {
  const role = context.role;
  if (role !== 'client' && role !== 'server') {
    throw new TypeError(`role must be 'client' or 'server', got ${String(role)}`);
  }
  const d = LIMIT_DEFAULTS[role];
  return Object.freeze({
    maxPayload: checkLimit('maxPayload', options?.maxPayload, d.maxPayload),
    maxMessageSize: checkLimit('maxMessageSize', options?.maxMessageSize, d.maxMessageSize),
    maxFragments: checkLimit('maxFragments', options?.maxFragments, d.maxFragments),
    maxBufferedInput: checkLimit('maxBufferedInput', options?.maxBufferedInput, d.maxBufferedInput),
  });
}
