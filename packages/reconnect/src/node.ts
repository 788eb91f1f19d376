/**
 * The Node entry: `ReconnectingWebSocket` whose default WebSocket class is
 * `@strata-ws/client`'s (Node 20 has no global WebSocket; Strata's follows the browser's
 * behaviour exactly). Everything else is the portable entry's.
 */
import { WebSocket as StrataWebSocket } from '@strata-ws/client';
import type {
  ProtocolsProvider,
  ReconnectOptions,
  UrlProvider,
  WebSocketConstructor,
} from './options.js';
import { ReconnectingWebSocket as PortableReconnectingWebSocket } from './reconnecting-websocket.js';
import {
  ReconnectingWebSocketStream as PortableReconnectingWebSocketStream,
  type ReconnectingStreamOptions,
} from './stream.js';

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

/** `ReconnectingWebSocket` over `@strata-ws/client` unless the `WebSocket` option names another class. */
export class ReconnectingWebSocket extends PortableReconnectingWebSocket {
  constructor(url: UrlProvider, protocols?: ProtocolsProvider, options: ReconnectOptions = {}) {
    super(url, protocols, {
      ...options,
      WebSocket: options.WebSocket ?? (StrataWebSocket as unknown as WebSocketConstructor),
    });
  }
}
export type {
  ReconnectingStreamCloseInfo,
  ReconnectingStreamOpenInfo,
  ReconnectingStreamOptions,
  StreamMessage,
} from './stream.js';
export { READER_TOO_SLOW } from './stream.js';

/** `ReconnectingWebSocketStream` over `@strata-ws/client` unless the `WebSocket` option names another class. */
export class ReconnectingWebSocketStream extends PortableReconnectingWebSocketStream {
  constructor(url: UrlProvider, options: ReconnectingStreamOptions = {}) {
    super(url, {
      ...options,
      WebSocket: options.WebSocket ?? (StrataWebSocket as unknown as WebSocketConstructor),
    });
  }
}
