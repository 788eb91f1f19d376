/**
 * What the session reports to a `WebSocket`, as the tasks the standard queues: the listener
 * the session calls ({@link WebSocketEvents}: one small object per WebSocket over a table of
 * its private entry points, the listener idiom of the server and of `ClientSession`, no closure
 * per connection), the task record, the `error` event with its Node extras, and the byte
 * conversions of received data.
 */

import { isSharedArrayBuffer } from 'node:util/types';
import { HandshakeRefusedError, type SessionListener } from './session.js';

export const TASK_OPEN = 0;
export const TASK_MESSAGE = 1;
export const TASK_CLOSING = 2;
export const TASK_CLOSE = 3;
/** A pong arrived (Node extra: the `pong` event). */
export const TASK_PONG = 4;

/** One queued event task; one shape for all kinds keeps the queue monomorphic. */
export interface PendingTask {
  kind: number;
  /** open: the protocol; close: the reason */
  a: string;
  /** open: the extensions */
  b: string;
  /** message, pong: the payload */
  data: Uint8Array | null;
  /** message: isBinary; close: whether the connection failed (fire error first) */
  flag: boolean;
  code?: number;
  wasClean?: boolean;
  /** close: why the connection failed (the error event's `error`) */
  cause?: unknown;
}

/** What the session's listener calls on a WebSocket (its private entry points). */
export interface WebSocketMethods {
  queue(ws: object, task: PendingTask): void;
  written(ws: object, bytes: number): void;
}

let webSocketMethods: WebSocketMethods;

/** Installs the shared table (once, from `WebSocket`'s static block). */
export function setWebSocketMethods(methods: WebSocketMethods): void {
  webSocketMethods = methods;
}

/**
 * The standard's `error` event (a plain `Event`), with two read-only Node extras: `error`, the
 * cause, and `status`, the HTTP status when the server refused the handshake.
 */
export function errorEvent(cause: unknown): Event {
  const event = new Event('error');
  if (cause !== undefined) {
    Object.defineProperty(event, 'error', { value: cause, enumerable: true });
  }
  if (cause instanceof HandshakeRefusedError) {
    Object.defineProperty(event, 'status', { value: cause.status, enumerable: true });
  }
  return event;
}

/** The session's listener for one WebSocket. */
export class WebSocketEvents implements SessionListener {
  readonly ws: object;
  constructor(ws: object) {
    this.ws = ws;
  }
  onOpen(protocol: string, extensions: string): void {
    webSocketMethods.queue(this.ws, {
      kind: TASK_OPEN,
      a: protocol,
      b: extensions,
      data: null,
      flag: false,
    });
  }
  onMessage(data: Uint8Array, isBinary: boolean): void {
    webSocketMethods.queue(this.ws, { kind: TASK_MESSAGE, a: '', b: '', data, flag: isBinary });
  }
  onPong(data: Uint8Array): void {
    webSocketMethods.queue(this.ws, { kind: TASK_PONG, a: '', b: '', data, flag: true });
  }
  onClosing(): void {
    webSocketMethods.queue(this.ws, { kind: TASK_CLOSING, a: '', b: '', data: null, flag: false });
  }
  onWritten(bytes: number): void {
    webSocketMethods.written(this.ws, bytes);
  }
  onClose(wasClean: boolean, code: number, reason: string, failed: boolean, cause: unknown): void {
    webSocketMethods.queue(this.ws, {
      kind: TASK_CLOSE,
      a: reason,
      b: '',
      data: null,
      flag: failed,
      code,
      wasClean,
      cause,
    });
  }
}

/** Received bytes as a Buffer (no copy). */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Received bytes as an `ArrayBuffer` of their own.
 * @param engineOwned - the bytes come straight from the engine (no extension in between), so
 *   a Buffer spanning its whole ArrayBuffer is a message the engine allocated for itself
 *   (`Buffer.allocUnsafe` of 4 KiB or more is never pooled) and can be handed over too.
 */
export function toArrayBuffer(data: Uint8Array, engineOwned = false): ArrayBuffer {
  const buffer = data.buffer;
  // A message assembled into its own buffer can be handed over as is; a view of a larger
  // (received or pooled) buffer is copied out.
  if (
    data.byteOffset === 0 &&
    data.byteLength === buffer.byteLength &&
    !isSharedArrayBuffer(buffer) &&
    (!Buffer.isBuffer(data) || (engineOwned && data.byteLength >= 4096))
  ) {
    return buffer as ArrayBuffer;
  }
  // A fresh ArrayBuffer of the exact size, not zero-filled first (every byte is copied in):
  // `ArrayBuffer.prototype.slice` zero-fills its new buffer before copying.
  const copy = Buffer.allocUnsafeSlow(data.byteLength);
  copy.set(data);
  return copy.buffer as ArrayBuffer;
}
