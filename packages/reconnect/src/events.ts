/**
 * The events `ReconnectingWebSocket` fires besides the WebSocket's own (`open`, `message`,
 * `error`, `close`): `reconnecting`, `drop`, `giveup`, `resumed` and `resync`. Portable: plain
 * `Event` subclasses, no DOM-only constructors.
 */

/** `close`: the WHATWG `CloseEvent` fields, as a portable `Event` (Node 20 has no global `CloseEvent`). */
export class ReconnectCloseEvent extends Event {
  /** The close code (1006 when the connection failed or timed out without a close frame). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;

  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

/** `reconnecting`: an attempt is scheduled after `delay` ms (e.g. "reconnecting in 3 s"). */
export class ReconnectingEvent extends Event {
  /** The retry number (1 for the first retry after a close; reset after `minUptime` open). */
  readonly attempt: number;
  /** Milliseconds until the attempt starts. */
  readonly delay: number;

  constructor(attempt: number, delay: number) {
    super('reconnecting');
    this.attempt = attempt;
    this.delay = delay;
  }
}

/** Why a message was not sent. */
export type DropReason = 'queue-full';

/** `drop`: a message was dropped instead of queued (the queue bound was reached). */
export class DropEvent extends Event {
  /** The message that was dropped. */
  readonly data: unknown;
  /** Its size in bytes as counted against `maxEnqueuedBytes`. */
  readonly size: number;
  /** Why. */
  readonly reason: DropReason;

  constructor(data: unknown, size: number, reason: DropReason) {
    super('drop');
    this.data = data;
    this.size = size;
    this.reason = reason;
  }
}

/** Why the socket stopped reconnecting. */
export type GiveUpReason = 'maxRetries' | 'shouldReconnect' | 'invalid-url';

/** `giveup`: no more attempts (the socket is CLOSED; `reconnect()` starts again). */
export class GiveUpEvent extends Event {
  /** Why it stopped. */
  readonly reason: GiveUpReason;
  /** The retry count at that moment. */
  readonly retryCount: number;

  constructor(reason: GiveUpReason, retryCount: number) {
    super('giveup');
    this.reason = reason;
    this.retryCount = retryCount;
  }
}

/** `resumed` / `resync` / `session`: news about the resumable session. */
export class SessionEvent extends Event {
  /** The session id now in use. */
  readonly sessionId: string;
  /** The number of the last message before the ones that follow. */
  readonly seq: number;
  /** For `resync`: `'expired'` (the server could not resume) or `'gap'` (a number was skipped). */
  readonly reason: 'expired' | 'gap' | undefined;

  constructor(
    type: 'resumed' | 'resync' | 'session',
    sessionId: string,
    seq: number,
    reason?: 'expired' | 'gap',
  ) {
    super(type);
    this.sessionId = sessionId;
    this.seq = seq;
    this.reason = reason;
  }
}
