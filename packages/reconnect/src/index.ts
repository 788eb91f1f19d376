/**
 * `@strata-ws/reconnect`: a reconnecting WebSocket with the WHATWG interface, portable (no
 * `node:*`: browsers, Bun, Deno, Workers, Node with `globalThis.WebSocket` or the `WebSocket`
 * option), and the client side of Strata's resumable sessions. On Node, the `./node` entry
 * defaults the WebSocket class to `@strata-ws/client`; `./server` is the server side.
 */
export {
  DropEvent,
  type DropReason,
  GiveUpEvent,
  type GiveUpReason,
  ReconnectCloseEvent,
  ReconnectingEvent,
  SessionEvent,
} from './events.js';
export {
  type BinaryType,
  type Clock,
  type CloseInfo,
  defaultShouldReconnect,
  type ProtocolsProvider,
  type Provider,
  type ReconnectOptions,
  reconnectDefaults,
  type SendData,
  type UrlProvider,
  type WebSocketConstructor,
  type WebSocketLike,
} from './options.js';
export { ReconnectingWebSocket } from './reconnecting-websocket.js';
export {
  READER_TOO_SLOW,
  type ReconnectingStreamCloseInfo,
  type ReconnectingStreamOpenInfo,
  type ReconnectingStreamOptions,
  ReconnectingWebSocketStream,
  type StreamMessage,
} from './stream.js';
export { messageSize } from './util.js';
export {
  type EnvelopeHeader,
  formatResumeRequest,
  parseBinaryEnvelope,
  parseNotice,
  parseResumeRequest,
  parseTextEnvelope,
  RESUME_NEW,
  RESUME_PARAM,
  type ResumeRequest,
  type SessionNotice,
} from './wire.js';
