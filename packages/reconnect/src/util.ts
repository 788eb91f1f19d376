/**
 * Small portable helpers of `ReconnectingWebSocket`: message sizes, provider calls, the
 * handshake status some WebSocket classes expose, WHATWG close-argument checks, and access to
 * the runtime's globals (`WebSocket`, `document`) without DOM types.
 */
import type { SendData, WebSocketConstructor } from './options.js';

const encoder = new TextEncoder();

/** The bytes a message counts against `maxEnqueuedBytes` (UTF-8 length for text). */
export function messageSize(data: SendData): number {
  if (typeof data === 'string') return encoder.encode(data).byteLength;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.size;
  return (data as ArrayBufferLike | ArrayBufferView).byteLength;
}

/** Calls a provider (or takes the value); a throw becomes a rejected promise. */
export function resolveProvider<T>(provider: T | (() => T | Promise<T>)): Promise<T> {
  try {
    return Promise.resolve(
      typeof provider === 'function' ? (provider as () => T | Promise<T>)() : provider,
    );
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The HTTP status a WebSocket implementation left on its error event, if any. */
export function statusOf(event: Event): number | undefined {
  const e = event as {
    status?: unknown;
    error?: { status?: unknown; cause?: { status?: unknown } };
  };
  for (const value of [e.status, e.error?.status, e.error?.cause?.status]) {
    if (typeof value === 'number' && value >= 100 && value <= 599) return value;
  }
  return undefined;
}

/** The WHATWG checks of `close(code, reason)`: InvalidAccessError / SyntaxError DOMExceptions. */
export function validateCloseArguments(code: number | undefined, reason: string | undefined): void {
  if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
    throw new DOMException(
      `The close code must be 1000 or in 3000-4999, got ${code}`,
      'InvalidAccessError',
    );
  }
  if (reason !== undefined && encoder.encode(reason).byteLength > 123) {
    throw new DOMException('The close reason must be at most 123 UTF-8 bytes', 'SyntaxError');
  }
}

/** The part of `document` used for visibility retries. */
export interface PageDocument extends EventTarget {
  readonly visibilityState: string;
}

/** The page's `document` where there is one (browsers). */
export function pageDocument(): PageDocument | undefined {
  return (globalThis as { document?: PageDocument }).document;
}

/** `globalThis.WebSocket` where the runtime has one. */
export function globalWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
}

/** Wraps an ArrayBuffer in a Blob (binaryType `blob`); other data unchanged. */
export function toBlob(data: unknown): unknown {
  return data instanceof ArrayBuffer ? new Blob([data]) : data;
}
