/**
 * `@strata-ws/server`: a WebSocket server for Node.js on node:http/https — limits and
 * backpressure that hold against hostile clients, heartbeats, authentication before the
 * 101, and a write path that sends everything produced in one tick in one `writev`.
 */
export type { PerMessageDeflateOptions } from './deflate.js';
export type {
  AuthenticateHook,
  BackpressurePolicy,
  HandleProtocols,
  OriginPolicy,
  ResolvedOptions,
  UpgradeAcceptance,
  UpgradeDecision,
  UpgradeInfo,
  UpgradeRejection,
  VerifyClient,
  WebSocketServerOptions,
} from './options.js';
export { defaultLimits } from './options.js';
export type { UpgradeCallback, WebSocketServerEvents } from './server.js';
export { WebSocketServer } from './server.js';
export type {
  PreparedFrameLike,
  ReadyState,
  SendCallback,
  SendData,
  SendOptions,
  ServerWebSocketEvents,
  WebSocketMessage,
} from './websocket.js';
export { ServerWebSocket } from './websocket.js';
