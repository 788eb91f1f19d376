/**
 * `@strata-ws/protocol`: the sans-I/O WebSocket connection engine (RFC 6455) shared by
 * Strata's client and server.
 */
export type {
  ConnectionHandler,
  ConnectionOptions,
  ConnectionStateValue,
  Role,
  SendOptions,
} from './connection.js';
export { Connection, ConnectionState } from './connection.js';
export type { MessageExtension, RsvBit, TransformCallback } from './extension.js';
