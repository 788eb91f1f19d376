/**
 * The engine's options, handler contract and states, and the settings a connection derives from its
 * options (validated once, with the limits table's rules; shared by every connection of one
 * frozen, extension-free options object, as a server passes).
 */
import type { MaskFunctions, ProtocolError } from '@strata-ws/codec';
import type { MessageExtension } from './extension.js';
import { checkLimit, LIMIT_DEFAULTS, type LimitOptions, type Role } from './limits.js';

/**
 * Options of a {@link Connection}. The receive limits ({@link LimitOptions}: `maxPayload`,
 * `maxMessageSize`, `maxFragments`, `maxBufferedInput`) have per-role defaults from
 * `LIMIT_DEFAULTS` and are checked by the same rules as `resolveLimits`.
 */
export interface ConnectionOptions extends LimitOptions {
  /** `'server'` requires masked frames and sends unmasked ones; `'client'` the reverse. */
  role: Role;
  /**
   * A host masking implementation (e.g. `bufferutil`) for this connection only: unmasking
   * received frames and masking sent ones. Default `null`: the codec's portable code (or the
   * codec's process-wide seam, if the host installed one). Other connections are unaffected.
   */
  masking?: MaskFunctions | null;
  /**
   * The automatic reply to the peer's close frame carries the peer's reason as well as its
   * code (as `ws` does); default `false`: the code only (both are allowed, RFC 6455 §5.5.1).
   */
  echoCloseReason?: boolean;
  /**
   * Allocates the output's buffers (the shared slab small frames are written into, and a
   * large masked frame's own buffer) and the input's (payloads split across reads, messages
   * reassembled from fragments); every byte is written before use. Default
   * `new Uint8Array`. A Node facade passes Node's `allocUnsafe`, so taken chunks are Buffers
   * that sockets write without converting them, and large received payloads are not
   * zero-filled before they are copied in.
   */
  allocate?: (length: number) => Uint8Array;
  /** Answer pings with a pong carrying the same payload. Default `true`. */
  autoPong?: boolean;
  /** The negotiated extensions, in the order of the `Sec-WebSocket-Extensions` response. */
  extensions?: readonly MessageExtension[];
  /**
   * Fills a buffer with cryptographically strong random bytes, for client mask keys (drawn
   * from a pool refilled in blocks). Default `globalThis.crypto.getRandomValues`.
   */
  randomFill?: (bytes: Uint8Array) => void;
  /**
   * Outgoing payloads up to this many bytes are copied next to their header in a shared
   * output buffer, so that small frames leave in one chunk; larger payloads follow their
   * header by reference (unmasked frames). `0` disables copying. Default 1024.
   */
  coalesceLimit?: number;
}

/**
 * What a {@link Connection} reports, called synchronously from inside its methods. One
 * object per connection: no closure or event object is allocated per message.
 * Handlers must not call {@link Connection.receive} re-entrantly.
 */
export interface ConnectionHandler {
  /**
   * A complete message. Text is already validated as UTF-8 (decode it with a
   * non-fatal `TextDecoder`). `data` may be a view of a received chunk; it stays valid.
   */
  onMessage(data: Uint8Array, isBinary: boolean): void;
  /** A ping arrived; with `autoPong` the pong is already queued. */
  onPing(data: Uint8Array): void;
  /** A pong arrived. */
  onPong(data: Uint8Array): void;
  /**
   * The peer's close frame arrived (`code` 1005 when it carried none). The reply (echoing
   * the code) is already queued unless this end had sent its close frame first.
   */
  onClose(code: number, reason: string): void;
  /**
   * The peer broke a rule (or an extension failed): a close frame with `error.closeCode` is
   * queued and input is ignored from now on. Flush the output, then close the transport.
   */
  onFail(error: ProtocolError): void;
  /** The output queue went from empty to non-empty: schedule a flush ({@link Connection.takeOutput}). */
  onOutput(): void;
  /** {@link Connection.wantsInput} became true again: resume reading. */
  onResumeInput?(): void;
}

/** Options of one `sendText` / `sendBinary` call. */
export interface SendOptions {
  /**
   * Default `true`. `false` sends a fragment: the next call of the same kind continues the
   * message. Fragmented messages are never compressed.
   */
  fin?: boolean;
  /** Transform with the extensions (compress); default: ask each one (`shouldEncode`). */
  compress?: boolean;
  /** Called once the message's frames are in the output queue (not called if dropped). */
  done?: () => void;
}

/** Options of {@link Connection.sendPrepared}. */
export interface SendPreparedOptions {
  /** Called once the message's frames are in the output queue (not called if dropped). */
  done?: () => void;
}

/**
 * The states of a connection; the numbers match `WebSocket.readyState`.
 *
 * - `Open`: messages flow both ways.
 * - `Closing`: this end sent its close frame and waits for the peer's (arm the close timer).
 * - `Closed`: the closing handshake is complete, the connection failed, or the transport
 *   ended. Close the transport once {@link Connection.transportShouldClose} is true.
 */
export const ConnectionState = { Open: 1, Closing: 2, Closed: 3 } as const;

/** A value of {@link ConnectionState}. */
export type ConnectionStateValue = 1 | 2 | 3;

const DEFAULT_COALESCE_LIMIT = 1024;

/** A non-negative integer option (`coalesceLimit`). */
function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

/** `globalThis.crypto.getRandomValues`, for client mask keys. */
function defaultRandomFill(): (bytes: Uint8Array) => void {
  const crypto = (
    globalThis as { crypto?: { getRandomValues?: (bytes: Uint8Array) => Uint8Array } }
  ).crypto;
  if (typeof crypto?.getRandomValues !== 'function') {
    throw new TypeError('no randomFill option and no globalThis.crypto.getRandomValues');
  }
  return (bytes) => {
    crypto.getRandomValues!(bytes);
  };
}

/** What a connection derives from its options; shared by connections of one frozen options object. */
export interface Settings {
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  readonly maxBufferedInput: number;
  /** The parser's frame limit (without an extension, a frame is never larger than its message). */
  readonly parserMaxPayload: number;
  readonly coalesceLimit: number;
  /** Strings up to this length are encoded straight into the output. */
  readonly shortStringMax: number;
  readonly extensions: readonly MessageExtension[];
  /** RSV bits claimed by the negotiated extensions. */
  readonly allowedRsv: number;
  readonly autoPong: boolean;
  readonly echoCloseReason: boolean;
  readonly allocate: ((length: number) => Uint8Array) | null;
  readonly masking: MaskFunctions | null;
  /** Client mask keys' random source (client role only). */
  readonly randomFill: ((bytes: Uint8Array) => void) | null;
}

const NO_EXTENSIONS: readonly MessageExtension[] = Object.freeze([]);

/** Settings of frozen, extension-free options objects (a server passes one to every connection). */
const settingsCache = new WeakMap<ConnectionOptions, Settings>();

export function settingsOf(options: ConnectionOptions): Settings {
  const extensions = options.extensions ?? NO_EXTENSIONS;
  const cacheable = extensions.length === 0 && Object.isFrozen(options);
  if (cacheable) {
    const cached = settingsCache.get(options);
    if (cached !== undefined) return cached;
  }
  const defaults = LIMIT_DEFAULTS[options.role];
  const maxPayload = checkLimit('maxPayload', options.maxPayload, defaults.maxPayload);
  const maxMessageSize = checkLimit(
    'maxMessageSize',
    options.maxMessageSize,
    defaults.maxMessageSize,
  );
  const maxFragments = checkLimit('maxFragments', options.maxFragments, defaults.maxFragments);
  const maxBufferedInput = checkLimit(
    'maxBufferedInput',
    options.maxBufferedInput,
    defaults.maxBufferedInput,
  );
  const coalesceLimit = checkCount('coalesceLimit', options.coalesceLimit, DEFAULT_COALESCE_LIMIT);
  let allowedRsv = 0;
  for (const extension of extensions) {
    const bit = extension.rsvBit;
    if ((bit !== 0x40 && bit !== 0x20 && bit !== 0x10) || (allowedRsv & bit) !== 0) {
      throw new TypeError(`extension ${extension.name} claims an unavailable RSV bit`);
    }
    allowedRsv |= bit;
  }
  const settings: Settings = {
    maxMessageSize,
    maxFragments,
    maxBufferedInput,
    parserMaxPayload: extensions.length === 0 ? Math.min(maxPayload, maxMessageSize) : maxPayload,
    coalesceLimit,
    // A string of n UTF-16 units takes at most 3n bytes: encode directly when that fits.
    shortStringMax: Math.min(Math.floor(coalesceLimit / 3), 21845),
    extensions,
    allowedRsv,
    autoPong: options.autoPong ?? true,
    echoCloseReason: options.echoCloseReason === true,
    allocate: options.allocate ?? null,
    masking: options.masking ?? null,
    randomFill: options.role === 'client' ? (options.randomFill ?? defaultRandomFill()) : null,
  };
  if (cacheable) settingsCache.set(options, settings);
  return settings;
}
