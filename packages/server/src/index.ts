/**
 * `@strata-ws/server`: a WebSocket server for Node.js on node:http/https — limits and
 * backpressure that hold against hostile clients, heartbeats, authentication before the
 * 101, and a write path that sends everything produced in one tick in one `writev`.
 */

export { PreparedMessage } from '@strata-ws/protocol';
export type { PerMessageDeflateOptions } from './deflate.js';
export type {
  BusCountersView,
  BusCountersViewSnapshot,
  CloseMessage,
  ErrorMessage,
  OpenMessage,
  RefusedMessage,
  ServerCountersSnapshot,
  TransportKind,
  UpgradeMessage,
} from './diagnostics.js';
export { busCountersOf, ChannelName, ServerCounters } from './diagnostics.js';
export type { Http2UpgradeRequest } from './http2.js';
export { isWebSocketConnect } from './http2.js';
export type { DualProtocolServer, DualProtocolServerOptions } from './http2-transport.js';
export {
  createDualProtocolServer,
  HTTP2_PREFACE,
  websocketHttp2Settings,
  withConnectProtocol,
} from './http2-transport.js';
export type {
  AuthenticateHook,
  BackpressurePolicy,
  HandleProtocols,
  OriginPolicy,
  ResolvedOptions,
  TopicsOptions,
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
export type { ClosableConnection, ShutdownOptions, ShutdownResult } from './shutdown.js';
export { closeGracefully } from './shutdown.js';
export type {
  ConnectionPublishOptions,
  LocalDelivery,
  MessageData,
  PublishOptions,
  PubSubAdapter,
  PubSubMessage,
  TopicRegistryOptions,
  TopicSubscriber,
} from './topics.js';
export { InProcessAdapter, TopicRegistry } from './topics.js';
export type {
  ReadyState,
  SendCallback,
  SendData,
  SendOptions,
  ServerWebSocketEvents,
  WebSocketMessage,
} from './websocket.js';
export { ServerWebSocket } from './websocket.js';
