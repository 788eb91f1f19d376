/**
 * `@strata-ws/client`: the WHATWG `WebSocket` and `WebSocketStream` for Node.js, behaving as
 * browsers do, with Node extras (headers, TLS, timeouts, limits, compression, proxies,
 * heartbeat, RFC 8441 over HTTP/2).
 */
export { CloseEvent, type CloseEventInit, type WebSocketCloseInfo, WebSocketError } from './dom.js';
export type {
  ClientDeflateOptions,
  HeadersInput,
  HeartbeatOptions,
  ProxyOptions,
  WebSocketOptions,
} from './options.js';
export {
  type BinaryType,
  WebSocket,
  type WebSocketData,
  type WebSocketEventHandler,
  type WebSocketEventMap,
  type WebSocketInit,
} from './websocket.js';
export {
  type WebSocketOpenInfo,
  WebSocketStream,
  type WebSocketStreamChunk,
  type WebSocketStreamCloseInfo,
  type WebSocketStreamMessage,
  type WebSocketStreamOptions,
} from './websocket-stream.js';
