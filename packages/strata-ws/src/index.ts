/**
 * `strata-ws`: the whole Strata stack in one import for Node.js — the WHATWG client
 * (`WebSocket`, `WebSocketStream`) from `@strata-ws/client` and the production server
 * (`WebSocketServer`, `ServerWebSocket`) from `@strata-ws/server`, under the names `ws`
 * users already know: `import { WebSocket, WebSocketServer } from 'strata-ws'`.
 *
 * Every name is re-exported explicitly (no `export *`), so a new export in a layer below
 * never changes this package's surface by accident.
 */

// The client (`@strata-ws/client`): the browser's WebSocket and WebSocketStream, in Node.
export {
  type BinaryType,
  type ClientDeflateOptions,
  CloseEvent,
  type CloseEventInit,
  type HeadersInput,
  type HeartbeatOptions,
  type ProxyOptions,
  WebSocket,
  type WebSocketCloseInfo,
  type WebSocketData,
  WebSocketError,
  type WebSocketEventHandler,
  type WebSocketEventMap,
  type WebSocketInit,
  type WebSocketOpenInfo,
  /** `ws`-style name of the client's Node options ({@link WebSocketOptions}). */
  type WebSocketOptions as ClientOptions,
  type WebSocketOptions,
  WebSocketStream,
  type WebSocketStreamChunk,
  type WebSocketStreamCloseInfo,
  type WebSocketStreamMessage,
  type WebSocketStreamOptions,
} from '@strata-ws/client';

// The server (`@strata-ws/server`): WebSocketServer and its connections, topics
// (publish/subscribe), graceful shutdown, RFC 8441 over HTTP/2, diagnostics.
export {
  type AuthenticateHook,
  type BackpressurePolicy,
  type BusCountersView,
  type BusCountersViewSnapshot,
  busCountersOf,
  ChannelName,
  type ClosableConnection,
  type CloseMessage,
  type ConnectionPublishOptions,
  closeGracefully,
  createDualProtocolServer,
  type DualProtocolServer,
  type DualProtocolServerOptions,
  defaultLimits,
  type ErrorMessage,
  type HandleProtocols,
  HTTP2_PREFACE,
  type Http2UpgradeRequest,
  InProcessAdapter,
  isWebSocketConnect,
  type LocalDelivery,
  type MessageData,
  type OpenMessage,
  type OriginPolicy,
  type PerMessageDeflateOptions,
  PreparedMessage,
  type PublishOptions,
  type PubSubAdapter,
  type PubSubMessage,
  type ReadyState,
  type RefusedMessage,
  type ResolvedOptions,
  type SendCallback,
  type SendData,
  type SendOptions,
  ServerCounters,
  type ServerCountersSnapshot,
  ServerWebSocket,
  type ServerWebSocketEvents,
  type ShutdownOptions,
  type ShutdownResult,
  TopicRegistry,
  type TopicRegistryOptions,
  type TopicSubscriber,
  type TopicsOptions,
  type TransportKind,
  type UpgradeAcceptance,
  type UpgradeCallback,
  type UpgradeDecision,
  type UpgradeInfo,
  type UpgradeMessage,
  type UpgradeRejection,
  type VerifyClient,
  type WebSocketMessage,
  WebSocketServer,
  type WebSocketServerEvents,
  /** `ws`-style name of the server's options ({@link WebSocketServerOptions}). */
  type WebSocketServerOptions as ServerOptions,
  type WebSocketServerOptions,
  websocketHttp2Settings,
  withConnectProtocol,
} from '@strata-ws/server';
