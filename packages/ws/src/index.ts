/**
 * `@strata-ws/ws`: `ws` 8's API on Strata's engine. The default export is the `WebSocket`
 * class carrying `ws`'s statics (`Server`, `WebSocketServer`, `WebSocket`, `Receiver`,
 * `Sender`, `createWebSocketStream`); the same names are named exports. The CommonJS entry
 * (`cjs/index.cjs`) exports the same class as `module.exports`.
 */
import { Receiver, Sender } from './frames.js';
import { WebSocketServer } from './server.js';
import { createWebSocketStream } from './stream.js';
import { WebSocket } from './websocket.js';

Object.defineProperties(WebSocket, {
  Server: { value: WebSocketServer, enumerable: true },
  WebSocketServer: { value: WebSocketServer, enumerable: true },
  WebSocket: { value: WebSocket, enumerable: true },
  Receiver: { value: Receiver, enumerable: true },
  Sender: { value: Sender, enumerable: true },
  createWebSocketStream: { value: createWebSocketStream, enumerable: true },
});

export type { ClientOptions, PerMessageDeflateOptions } from './client.js';
export { CloseEvent, ErrorEvent, Event, MessageEvent } from './event-target.js';
export type { ReceiverOptions, SenderSendOptions } from './frames.js';
export type {
  ResolvedServerOptions,
  ServerOptions,
  VerifyClientCallbackAsync,
  VerifyClientCallbackSync,
  VerifyClientInfo,
  WebSocketServerEvents,
  WebSocketServerListener,
} from './server.js';
export type { BinaryType, Data, RawData, SendOptions } from './util.js';
export { instancesCreated } from './util.js';
export type { WebSocketEvents, WebSocketListener } from './websocket.js';
export { createWebSocketStream, Receiver, Sender, WebSocket, WebSocketServer };
export default WebSocket;
