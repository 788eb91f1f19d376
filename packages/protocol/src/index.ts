/**
 * `@strata-ws/protocol`: the sans-I/O WebSocket connection engine (RFC 6455) shared by
 * Strata's client and server: the connection state machine, the one table of receive limits
 * and its validator, and prepared (broadcast) messages.
 */
export type { ConnectionStateValue } from './connection.js';
export { Connection, ConnectionState } from './connection.js';
export type { MessageExtension, RsvBit, TransformCallback } from './extension.js';
export type { LimitOptions, Limits, Role } from './limits.js';
export { checkLimit, LIMIT_DEFAULTS, resolveLimits } from './limits.js';
export type {
  ConnectionHandler,
  ConnectionOptions,
  SendOptions,
  SendPreparedOptions,
} from './options.js';
export { setFramePoolLimit } from './output.js';
export type { Allocate, PreparedMessageOptions } from './prepared.js';
export { PreparedMessage } from './prepared.js';
