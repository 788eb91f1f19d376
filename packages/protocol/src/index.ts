/**
 * `@strata-ws/protocol`: the sans-I/O WebSocket connection engine (RFC 6455) shared by
 * Strata's client and server: the connection state machine, the one table of receive limits
 * and its validator, and prepared (broadcast) messages.
 */
export type {
  ConnectionHandler,
  ConnectionOptions,
  ConnectionStateValue,
  SendOptions,
  SendPreparedOptions,
} from './connection.js';
export { Connection, ConnectionState } from './connection.js';
export type { MessageExtension, RsvBit, TransformCallback } from './extension.js';
export type { LimitOptions, Limits, Role } from './limits.js';
export { checkLimit, LIMIT_DEFAULTS, resolveLimits } from './limits.js';
export { PreparedMessage } from './prepared.js';
