/**
 * The listener idiom shared with the server (`packages/server/src/listeners.ts`, chosen by
 * measured cost: `apps/bench/src/listener-idiom.js`, about 210 B per connection against 910 B
 * for per-connection arrow functions): socket listeners and timer callbacks are these module
 * functions, shared by every session; each finds its session through the socket
 * (`strataSession`) or the timer's argument and calls a table of private entry points that
 * `ClientSession`'s static block fills.
 */
import type { Duplex } from 'node:stream';
import type { ClientSession } from './session.js';

/** The private entry points of a session the shared listeners call. */
export interface SessionMethods {
  data(session: ClientSession, chunk: Uint8Array): void;
  end(session: ClientSession): void;
  drain(session: ClientSession): void;
  error(session: ClientSession, error: Error): void;
  closed(session: ClientSession, socket: Duplex): void;
  flush(session: ClientSession): void;
  timeout(session: ClientSession, which: number): void;
  heartbeat(session: ClientSession): void;
}

/** A transport socket, marked with the session it belongs to. */
export type SessionSocket = Duplex & { strataSession?: ClientSession };

let sessionMethods: SessionMethods;

/** Installs the shared table (once, from `ClientSession`'s static block). */
export function setSessionMethods(methods: SessionMethods): void {
  sessionMethods = methods;
}

/** The socket's `data` listener. */
export function onSocketData(this: SessionSocket, chunk: Uint8Array): void {
  sessionMethods.data(this.strataSession!, chunk);
}
/** The socket's `end` listener. */
export function onSocketEnd(this: SessionSocket): void {
  sessionMethods.end(this.strataSession!);
}
/** The socket's `drain` listener. */
export function onSocketDrain(this: SessionSocket): void {
  sessionMethods.drain(this.strataSession!);
}
/** The `error` listener of every socket a session tracks. */
export function onSocketError(this: SessionSocket, error: Error): void {
  sessionMethods.error(this.strataSession!, error);
}
/** The `close` listener of every socket a session tracks. */
export function onSocketClose(this: SessionSocket): void {
  sessionMethods.closed(this.strataSession!, this);
}
/** The `process.nextTick` callback of a scheduled flush. */
export function flushSession(session: ClientSession): void {
  sessionMethods.flush(session);
}
/** The callback of the handshake, close and pong timers (`which`: one of the constants below). */
export function onTimeout(session: ClientSession, which: number): void {
  sessionMethods.timeout(session, which);
}
/** The heartbeat interval's callback. */
export function onHeartbeat(session: ClientSession): void {
  sessionMethods.heartbeat(session);
}

/** The opening handshake's timer. */
export const HANDSHAKE_TIMER = 0;
/** The closing handshake's timer. */
export const CLOSE_TIMER = 1;
/** The heartbeat's wait for a pong. */
export const PONG_TIMER = 2;
