/**
 * The `addEventListener` / `onopen`-style shim `ws` puts on its EventEmitter-based WebSocket:
 * minimal `Event`, `CloseEvent`, `ErrorEvent` and `MessageEvent` objects wrapped around the
 * emitter's events, so browser-style code (and libraries such as engine.io-client) run on it.
 */
import type { EventEmitter } from 'node:events';

/** A minimal DOM-like event (`type`, `target`). */
export class Event {
  /** The event name. */
  readonly type: string;
  /** The WebSocket that fired it. */
  target: unknown = null;
  /** @param type - the event name */
  constructor(type: string) {
    this.type = type;
  }
}

/** The `close` event of the shim. */
export class CloseEvent extends Event {
  /** The close code. */
  readonly code: number;
  /** The close reason, decoded as UTF-8. */
  readonly reason: string;
  /** Whether both close frames were exchanged. */
  readonly wasClean: boolean;
  /** @param type - the event name; @param init - code, reason, wasClean */
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

/** The `error` event of the shim. */
export class ErrorEvent extends Event {
  /** The error. */
  readonly error: unknown;
  /** Its message. */
  readonly message: string;
  /** @param type - the event name; @param init - error, message */
  constructor(type: string, init: { error?: unknown; message?: string } = {}) {
    super(type);
    this.error = init.error ?? null;
    this.message = init.message ?? '';
  }
}

/** The `message` event of the shim. */
export class MessageEvent extends Event {
  /** The message: a string for text, the `binaryType` form for binary. */
  readonly data: string | Buffer | ArrayBuffer | Buffer[];
  /** @param type - the event name; @param init - data */
  constructor(type: string, init: { data?: string | Buffer | ArrayBuffer | Buffer[] } = {}) {
    super(type);
    this.data = init.data ?? '';
  }
}

/** A listener given to `addEventListener`: a function or an object with `handleEvent`. */
export type EventListenerLike = ((event: never) => void) | { handleEvent(event: never): void };

/** Options of `addEventListener`. */
export interface AddEventListenerOptions {
  /** Remove the listener after its first call. */
  once?: boolean;
}

const kListener = Symbol('strata-ws.listener');
const kAttribute = Symbol('strata-ws.attribute');

interface Wrapper {
  (...args: unknown[]): void;
  [kListener]?: EventListenerLike;
  [kAttribute]?: boolean;
}

/** The state the shim reads from the socket for `close` events. */
export interface ShimSource extends EventEmitter {
  readonly wasClean: boolean;
}

function call(listener: EventListenerLike, target: unknown, event: Event): void {
  if (typeof listener === 'function') (listener as (e: Event) => void).call(target, event);
  else (listener as { handleEvent(e: Event): void }).handleEvent(event);
}

function wrap(source: ShimSource, type: string, listener: EventListenerLike): Wrapper | null {
  switch (type) {
    case 'message':
      return function onMessage(data: unknown, isBinary: unknown) {
        const event = new MessageEvent('message', {
          data: isBinary ? (data as Buffer | ArrayBuffer | Buffer[]) : String(data),
        });
        event.target = source;
        call(listener, source, event);
      } as Wrapper;
    case 'close':
      return function onClose(code: unknown, reason: unknown) {
        const event = new CloseEvent('close', {
          code: code as number,
          reason: String(reason),
          wasClean: source.wasClean,
        });
        event.target = source;
        call(listener, source, event);
      } as Wrapper;
    case 'error':
      return function onError(error: unknown) {
        const event = new ErrorEvent('error', {
          error,
          message: (error as { message?: string } | null)?.message ?? '',
        });
        event.target = source;
        call(listener, source, event);
      } as Wrapper;
    case 'open':
      return function onOpen() {
        const event = new Event('open');
        event.target = source;
        call(listener, source, event);
      } as Wrapper;
    default:
      return null;
  }
}

/**
 * `addEventListener(type, listener, { once })`: only `open`, `message`, `close`, `error`
 * (as `ws`); adding the same listener twice is a no-op.
 */
export function addEventListener(
  source: ShimSource,
  type: string,
  listener: EventListenerLike,
  options: AddEventListenerOptions = {},
  attribute = false,
): void {
  if (!attribute) {
    for (const l of source.listeners(type) as Wrapper[]) {
      if (l[kListener] === listener && l[kAttribute] !== true) return;
    }
  }
  const wrapper = wrap(source, type, listener);
  if (wrapper === null) return;
  wrapper[kListener] = listener;
  wrapper[kAttribute] = attribute;
  if (options.once === true) source.once(type, wrapper);
  else source.on(type, wrapper);
}

/** `removeEventListener(type, listener)`: removes one listener added by `addEventListener`. */
export function removeEventListener(
  source: ShimSource,
  type: string,
  listener: EventListenerLike,
): void {
  for (const l of source.listeners(type) as Wrapper[]) {
    if (l[kListener] === listener && l[kAttribute] !== true) {
      source.removeListener(type, l);
      return;
    }
  }
}

/** The `on<type>` getter: the attribute handler, or null. */
export function getAttribute(source: ShimSource, type: string): EventListenerLike | null {
  for (const l of source.listeners(type) as Wrapper[]) {
    if (l[kAttribute] === true) return l[kListener] ?? null;
  }
  return null;
}

/** The `on<type>` setter: replaces the attribute handler (non-functions just remove it). */
export function setAttribute(source: ShimSource, type: string, handler: unknown): void {
  for (const l of source.listeners(type) as Wrapper[]) {
    if (l[kAttribute] === true) {
      source.removeListener(type, l);
      break;
    }
  }
  if (typeof handler !== 'function') return;
  addEventListener(source, type, handler as EventListenerLike, {}, true);
}
