/**
 * The per-connection listener idiom of the server, chosen by measured cost (see
 * `apps/bench/src/listener-idiom.js`): the engine's handler is one small object per
 * connection whose methods call a table of functions shared by all connections, and the
 * socket's listeners are shared functions that find their connection through the socket
 * (`this.strataWebSocket`). No closure is allocated per connection. The table is filled by
 * `ConnectionIO`'s static block, which alone can reach its private members. Also the small
 * helpers the connection's events share: send callbacks, the not-open error, Buffer views.
 */
import type { ProtocolError } from '@strata-ws/codec';
import type { ConnectionHandler } from '@strata-ws/protocol';
import type { ConnectionIO } from './connection-io.js';
import type { OwnedSocket } from './socket-events.js';

/** What the shared listeners call on a connection. */
export interface HandlerMethods {
  message(ws: ConnectionIO, data: Uint8Array, isBinary: boolean): void;
  ping(ws: ConnectionIO, data: Uint8Array): void;
  pong(ws: ConnectionIO, data: Uint8Array): void;
  close(ws: ConnectionIO, code: number, reason: string): void;
  fail(ws: ConnectionIO, error: ProtocolError): void;
  output(ws: ConnectionIO): void;
  resumeInput(ws: ConnectionIO): void;
  data(ws: ConnectionIO, chunk: Buffer): void;
  end(ws: ConnectionIO): void;
  drain(ws: ConnectionIO): void;
  closed(ws: ConnectionIO): void;
  closeTimeoutFired(ws: ConnectionIO): void;
}

/** Completion callback of `send`, `ping` and `pong`: called once the bytes left for the socket. */
export type SendCallback = (error?: Error) => void;

/** Runs send callbacks with the write's outcome. */
export function invokeCallbacks(callbacks: SendCallback[], error: Error | null | undefined): void {
  for (let i = 0; i < callbacks.length; i++) {
    const cb = callbacks[i]!;
    if (error) cb(error);
    else cb();
  }
}

/** The error of a send, ping or pong on a connection that is not open. */
export function notOpenError(state: number): Error {
  const name = state === 2 ? 'CLOSING' : 'CLOSED';
  return new Error(`WebSocket is not open: readyState ${state} (${name})`);
}

/** A Buffer view of engine bytes (no copy). */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

let handlerMethods: HandlerMethods;

/** Installs the shared table (once, from `ConnectionIO`'s static block). */
export function setHandlerMethods(methods: HandlerMethods): void {
  handlerMethods = methods;
}

/** The engine's handler: one small object per connection, forwarding to the shared table. */
export class Handler implements ConnectionHandler {
  readonly ws: ConnectionIO;
  constructor(ws: ConnectionIO) {
    this.ws = ws;
  }
  onMessage(data: Uint8Array, isBinary: boolean): void {
    handlerMethods.message(this.ws, data, isBinary);
  }
  onPing(data: Uint8Array): void {
    handlerMethods.ping(this.ws, data);
  }
  onPong(data: Uint8Array): void {
    handlerMethods.pong(this.ws, data);
  }
  onClose(code: number, reason: string): void {
    handlerMethods.close(this.ws, code, reason);
  }
  onFail(error: ProtocolError): void {
    handlerMethods.fail(this.ws, error);
  }
  onOutput(): void {
    handlerMethods.output(this.ws);
  }
  onResumeInput(): void {
    handlerMethods.resumeInput(this.ws);
  }
}

// Socket listeners are shared functions (no closure per connection); `this` is the socket.
export function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  handlerMethods.data(this.strataWebSocket as ConnectionIO, chunk);
}
export function onSocketEnd(this: OwnedSocket): void {
  handlerMethods.end(this.strataWebSocket as ConnectionIO);
}
export function onSocketDrain(this: OwnedSocket): void {
  handlerMethods.drain(this.strataWebSocket as ConnectionIO);
}
export function onSocketClose(this: OwnedSocket): void {
  handlerMethods.closed(this.strataWebSocket as ConnectionIO);
}
export function onCloseTimeout(ws: ConnectionIO): void {
  handlerMethods.closeTimeoutFired(ws);
}
