/**
 * The DOM pieces the WHATWG WebSockets Standard names that Node 20 lacks or that need Web IDL
 * conversions: `CloseEvent`, `WebSocketError`, DOMException helpers and the argument
 * conversions (`[Clamp] unsigned short`, `[EnforceRange] unsigned short`, `USVString`).
 */

/** Init dictionary of {@link CloseEvent} (WHATWG `CloseEventInit`). */
export interface CloseEventInit {
  /** Whether the event bubbles. Default false. */
  bubbles?: boolean;
  /** Whether the event can be canceled. Default false. */
  cancelable?: boolean;
  /** Whether the event crosses shadow roots. Default false. */
  composed?: boolean;
  /** Whether the connection closed cleanly. Default false. */
  wasClean?: boolean;
  /** The WebSocket connection close code. Default 0. */
  code?: number;
  /** The WebSocket connection close reason. Default `''`. */
  reason?: string;
}

/**
 * The event fired as `close` at a `WebSocket` (WHATWG WebSockets Standard, "The CloseEvent
 * interface"). Node 20 has no global `CloseEvent`; this one follows the IDL.
 */
export class CloseEvent extends Event {
  readonly #wasClean: boolean;
  readonly #code: number;
  readonly #reason: string;

  /**
   * @param type - the event type, `'close'` for the events a `WebSocket` fires
   * @param init - `wasClean`, `code`, `reason` and the usual `EventInit` members
   */
  constructor(type: string, init?: CloseEventInit) {
    // biome-ignore lint/complexity/noArguments: Web IDL counts the arguments actually passed
    if (arguments.length === 0)
      throw new TypeError("Failed to construct 'CloseEvent': 1 argument required");
    super(type, init);
    this.#wasClean = Boolean(init?.wasClean);
    this.#code = init?.code === undefined ? 0 : toUnsignedShort(init.code);
    this.#reason = init?.reason === undefined ? '' : toUSVString(init.reason);
  }

  /** True if the connection closed cleanly (close frames exchanged, then TCP closed). */
  get wasClean(): boolean {
    return this.#wasClean;
  }

  /** The WebSocket connection close code (1005 when the close frame had none, 1006 when none arrived). */
  get code(): number {
    return this.#code;
  }

  /** The WebSocket connection close reason, decoded as UTF-8. */
  get reason(): string {
    return this.#reason;
  }
}
Object.defineProperty(CloseEvent.prototype, Symbol.toStringTag, {
  value: 'CloseEvent',
  configurable: true,
});

/** The close information of a `WebSocketStream` (WHATWG `WebSocketCloseInfo`). */
export interface WebSocketCloseInfo {
  /** A close code: 1000 or 3000-4999 when passed in. */
  closeCode?: number;
  /** A close reason of at most 123 UTF-8 bytes. */
  reason?: string;
}

// Set just before an internal construction: a connection error reports whatever code the wire
// carried (1006, 1002 ...), which the public constructor's validation would refuse.
let connectionCloseInfo: { code: number | null; reason: string } | null = null;

/**
 * The error a `WebSocketStream` rejects and errors its streams with (WHATWG `WebSocketError`):
 * a `DOMException` named `'WebSocketError'` carrying the close code and reason.
 */
export class WebSocketError extends DOMException {
  readonly #closeCode: number | null;
  readonly #reason: string;

  /**
   * @param message - a human-readable message
   * @param init - `closeCode` (1000 or 3000-4999, else `InvalidAccessError`) and `reason`
   *   (at most 123 UTF-8 bytes, else `SyntaxError`); a reason without a code implies 1000
   */
  constructor(message = '', init: WebSocketCloseInfo = {}) {
    super(String(message), 'WebSocketError');
    const checked = connectionCloseInfo ?? validateCloseInfo(init);
    connectionCloseInfo = null;
    this.#closeCode = checked.code;
    this.#reason = checked.reason;
  }

  /** The close code, or null when none was given. */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The close reason (possibly empty). */
  get reason(): string {
    return this.#reason;
  }
}
Object.defineProperty(WebSocketError.prototype, Symbol.toStringTag, {
  value: 'WebSocketError',
  configurable: true,
});

/** Builds a {@link WebSocketError} carrying any close code (e.g. 1006 for an unclean close). */
export function createConnectionError(
  message: string,
  code: number | null,
  reason: string,
): WebSocketError {
  connectionCloseInfo = { code, reason };
  return new WebSocketError(message);
}

/** A `DOMException` with the given name (`SyntaxError`, `InvalidStateError`, ...). */
export function domException(name: string, message: string): DOMException {
  return new DOMException(message, name);
}

const encoder = new TextEncoder();

/** UTF-8 byte length of a string whose lone surrogates become U+FFFD (Web IDL `USVString`). */
export function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

// ES2024 string methods (present in Node 20) that the ES2023 lib does not declare.
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** Web IDL `USVString` conversion: `String(value)` with lone surrogates replaced by U+FFFD. */
export function toUSVString(value: unknown): string {
  const s = (typeof value === 'string' ? value : String(value)) as unknown as WellFormedString;
  return s.isWellFormed() ? (s as unknown as string) : s.toWellFormed();
}

/** UTF-8 bytes of a string (lone surrogates encoded as U+FFFD). */
export function encodeUtf8(value: string): Uint8Array {
  return encoder.encode(value);
}

/** Web IDL `unsigned short` (modulo conversion, the default without extended attributes). */
export function toUnsignedShort(value: unknown): number {
  const x = Number(value);
  if (!Number.isFinite(x)) return 0;
  const t = Math.trunc(x);
  return ((t % 65536) + 65536) % 65536;
}

/** Web IDL `[Clamp] unsigned short`: clamp to 0..65535, round half to even. */
export function toClampedUnsignedShort(value: unknown): number {
  let x = Number(value);
  if (Number.isNaN(x)) return 0;
  x = Math.min(Math.max(x, 0), 65535);
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Web IDL `[EnforceRange] unsigned short`: a `TypeError` outside 0..65535 or for NaN/Infinity. */
export function toEnforcedUnsignedShort(value: unknown, what: string): number {
  const x = Number(value);
  if (!Number.isFinite(x)) throw new TypeError(`${what} is not a finite number`);
  const t = Math.trunc(x);
  if (t < 0 || t > 65535) throw new TypeError(`${what} is outside the range of unsigned short`);
  return t;
}

/** True for a close code an application may send (WHATWG: 1000 or 3000-4999). */
export function isApplicationCloseCode(code: number): boolean {
  return code === 1000 || (code >= 3000 && code <= 4999);
}

/**
 * Checks a close code and reason the way `close()` does: `InvalidAccessError` for a code other
 * than 1000 or 3000-4999, `SyntaxError` for a reason over 123 UTF-8 bytes.
 */
export function checkCloseArguments(code: number | null, reason: string | null): void {
  if (code !== null && !isApplicationCloseCode(code)) {
    throw domException(
      'InvalidAccessError',
      `The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`,
    );
  }
  if (reason !== null && utf8Length(reason) > 123) {
    throw domException('SyntaxError', 'The close reason must not be greater than 123 UTF-8 bytes.');
  }
}

/**
 * WebSocketStream's "validate close": converts a `WebSocketCloseInfo`, checks it, and applies
 * the rule that a non-empty reason without a code means 1000.
 */
export function validateCloseInfo(init: unknown): { code: number | null; reason: string } {
  if (init !== undefined && init !== null && typeof init !== 'object') {
    throw new TypeError('The close information must be an object');
  }
  const info = (init ?? {}) as WebSocketCloseInfo;
  const rawCode = info.closeCode;
  let code = rawCode === undefined ? null : toEnforcedUnsignedShort(rawCode, 'closeCode');
  const rawReason = info.reason;
  const reason = rawReason === undefined ? '' : toUSVString(rawReason);
  checkCloseArguments(code, reason);
  if (code === null && reason !== '') code = 1000;
  return { code, reason };
}
