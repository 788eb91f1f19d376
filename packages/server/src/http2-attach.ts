/**
 * Attaching a `WebSocketServer` to a node:http2 server (RFC 8441): which streams are
 * WebSocket streams for this server (extended CONNECT on its path), the compatibility
 * layer's CONNECT answer kept off them, the refusals of streams on another path and of
 * extended CONNECTs for another protocol (501), and — when
 * no http/https server is given — the http2 server's own HTTP/1.1 upgrades (`allowHTTP1`).
 * The handshake itself is the server's (`handleHttp2Stream`, `handleUpgrade`).
 */
import type { IncomingMessage } from 'node:http';
import type {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  IncomingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { isWebSocketConnect, refuseStream } from './http2.js';
import { pathOf, refuseRaw } from './upgrade.js';

/** Whether a stream is an extended CONNECT (RFC 8441 §4, `:protocol` present) for another protocol. */
function isOtherExtendedConnect(headers: IncomingHttpHeaders): boolean {
  return headers[':method'] === 'CONNECT' && typeof headers[':protocol'] === 'string';
}

/** What the attachment needs from the server. */
export interface Http2Owner {
  /** The server's `path` option. */
  readonly path: string | undefined;
  /** Whether HTTP/1.1 upgrades of the http2 server are served too (no `server` option). */
  readonly servesHttp1: boolean;
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void;
  shouldHandle(request: IncomingMessage): boolean;
  handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void;
  listening(): void;
  error(error: Error): void;
}

/**
 * Starts serving WebSocket streams of `h2` for `owner`.
 * @returns the function that detaches every listener it added
 */
export function attachHttp2(h2: Http2Server | Http2SecureServer, owner: Http2Owner): () => void {
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    if (!isWebSocketConnect(headers)) {
      // An extended CONNECT for a protocol nobody here serves (the server advertised
      // SETTINGS_ENABLE_CONNECT_PROTOCOL): 501, as RFC 9220 §3 specifies for the same
      // semantics, rather than a stream left unanswered. Other listeners may serve it.
      if (isOtherExtendedConnect(headers) && h2.listenerCount('stream') === 1) {
        refuseStream(stream, 501, 'Unsupported :protocol');
      }
      return;
    }
    const path = owner.path;
    const streamPath = headers[':path'];
    if (path !== undefined && pathOf(typeof streamPath === 'string' ? streamPath : '/') !== path) {
      if (h2.listenerCount('stream') === 1) refuseStream(stream, 404, 'Unknown path');
      return;
    }
    owner.handleStream(stream, headers);
  };
  // First in line: with node:http2's compatibility API ('request' listeners) the stream is
  // answered before the compat layer sees it.
  h2.prependListener('stream', onStream);
  // The compat layer answers a CONNECT nobody listens for with 405 and ends the stream;
  // listening for 'connect' keeps it off WebSocket streams (the 'stream' listener serves them).
  const onCompatConnect = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
    if (!isWebSocketConnect(req.headers) && h2.listenerCount('connect') === 1) {
      res.statusCode = isOtherExtendedConnect(req.headers) ? 501 : 405;
      res.end();
    }
  };
  h2.on('connect', onCompatConnect);
  if (!owner.servesHttp1) {
    return () => {
      h2.off('stream', onStream);
      h2.off('connect', onCompatConnect);
    };
  }
  const onListening = (): void => owner.listening();
  const onError = (error: Error): void => owner.error(error);
  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    if (!owner.shouldHandle(req)) {
      if (h2.listenerCount('upgrade') === 1) refuseRaw(socket, 400, 'Unknown path');
      return;
    }
    owner.handleUpgrade(req, socket, head);
  };
  h2.on('listening', onListening);
  h2.on('error', onError);
  h2.on('upgrade', onUpgrade);
  return () => {
    h2.off('stream', onStream);
    h2.off('connect', onCompatConnect);
    h2.off('upgrade', onUpgrade);
    h2.off('listening', onListening);
    h2.off('error', onError);
  };
}
