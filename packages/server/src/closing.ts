/**
 * The end of a server connection, kept out of the connection until it is needed (an open
 * connection that never closes or iterates does not carry it): the close code and reason
 * `'close'` reports, the close timer that destroys a peer that does not finish the closing
 * handshake (RFC 6455 §7.1.1), and the message iterator, which the end finishes.
 */
import { CloseCode } from '@strata-ws/codec';
import type { ConnectionIO } from './connection-io.js';
import { onCloseTimeout } from './listeners.js';
import type { MessageIterator } from './message-iterator.js';

/** The end of one connection: close code and reason to report, the close timer; the iterator. */
export class ClosingState {
  /** The peer's close code, or ours on failure; 1006 while none is known. */
  code: number = CloseCode.AbnormalClosure;
  reason = '';
  timer: NodeJS.Timeout | null = null;
  iterator: MessageIterator | null = null;

  /** Records the code and reason `'close'` will report. */
  setOutcome(code: number, reason: string): void {
    this.code = code;
    this.reason = reason;
  }

  /** Starts the close timer (unref'd): after `ms`, `ws`'s socket is destroyed. */
  armTimer(ws: ConnectionIO, ms: number): void {
    const timer = setTimeout(onCloseTimeout, ms, ws);
    timer.unref();
    this.timer = timer;
  }

  /** The socket closed: stops the timer and ends the iterator. */
  finish(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const iterator = this.iterator;
    this.iterator = null;
    iterator?.end();
  }
}
