/**
 * WebSockets over HTTP/2 (RFC 8441): the pieces the server needs to run a WebSocket on an
 * extended CONNECT stream — recognising the request, a request object for the hooks, the
 * answers (`:status 200` or an error status), and the stream made to look like the socket
 * the connection class drives. HTTP/2 flow control needs nothing special: `write` on the
 * stream returns false when the peer's window is exhausted and 'drain' follows, exactly as
 * on a TCP socket, and a paused stream stops consuming, so the session stops granting the
 * peer window (WINDOW_UPDATE) and the peer stops sending.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { HandshakeError } from '@strata-ws/handshake';
import { rejectionH2 } from '@strata-ws/handshake';

/** Whether a stream's request headers are an RFC 8441 extended CONNECT for a WebSocket. */
export function isWebSocketConnect(headers: IncomingHttpHeaders): boolean {
  const protocol = headers[':protocol'];
  return (
    headers[':method'] === 'CONNECT' &&
    typeof protocol === 'string' &&
    protocol.toLowerCase() === 'websocket'
  );
}

/**
 * What the authentication hooks receive for a WebSocket over HTTP/2: the fields of an
 * `IncomingMessage` that make sense for a stream (`method` is `CONNECT`, `url` is `:path`,
 * `httpVersion` is `2.0`, `socket` is the session's socket), plus the stream itself.
 */
export interface Http2UpgradeRequest {
  readonly method: 'CONNECT';
  readonly url: string;
  readonly httpVersion: '2.0';
  readonly httpVersionMajor: 2;
  readonly httpVersionMinor: 0;
  /** All request headers, pseudo-headers included (`:authority`, `:path`, `:protocol` ...). */
  readonly headers: IncomingHttpHeaders;
  /** The TCP (or TLS) socket of the HTTP/2 session. */
  readonly socket: Socket;
  /** The extended CONNECT stream. */
  readonly stream: ServerHttp2Stream;
}

/**
 * Builds the request object for the hooks and the 'connection' event. Typed as
 * `IncomingMessage` for the hooks' signatures; only the fields of
 * {@link Http2UpgradeRequest} are present.
 * @internal
 */
export function http2Request(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
): IncomingMessage {
  const request: Http2UpgradeRequest = {
    method: 'CONNECT',
    url: typeof headers[':path'] === 'string' ? headers[':path'] : '/',
    httpVersion: '2.0',
    httpVersionMajor: 2,
    httpVersionMinor: 0,
    headers,
    socket: stream.session?.socket as Socket,
    stream,
  };
  return request as unknown as IncomingMessage;
}

/** Whether the stream's session runs over TLS (h2) rather than cleartext (h2c). */
export function isSecureStream(stream: ServerHttp2Stream): boolean {
  return (stream.session?.socket as TLSSocket | undefined)?.encrypted === true;
}

/** Answers a refused extended CONNECT with its HTTP status and a short body, and ends the stream. */
export function refuseStream(
  stream: ServerHttp2Stream,
  rejection: HandshakeError | number,
  message?: string,
  headers?: ReadonlyArray<readonly [string, string]>,
): void {
  if (stream.destroyed || stream.closed) return;
  const { headers: list, body } = rejectionH2(rejection, {
    message,
    headers: headers?.map(([n, v]) => [n, v] as [string, string]),
  });
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of list) {
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else out[name] = Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  try {
    stream.respond(out, { endStream: false });
    stream.end(body);
  } catch {
    stream.destroy();
  }
}

/** A stream dressed as the socket the connection class drives. */
interface StreamAsSocket extends ServerHttp2Stream {
  setNoDelay(noDelay?: boolean): StreamAsSocket;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

function sessionSocket(session: Http2Session | undefined): Socket | undefined {
  return session?.socket as Socket | undefined;
}

/**
 * Gives an extended CONNECT stream the few socket members a stream lacks, so the
 * connection class can drive it like a TCP socket: `setNoDelay` is a no-op (the session
 * owns its socket); `remoteAddress`/`remotePort` are the session's peer. Everything else (write with
 * backpressure, 'drain', pause/resume, end = END_STREAM, destroy = RST_STREAM) is the
 * stream's own.
 * @internal
 */
export function streamAsSocket(stream: ServerHttp2Stream): Socket {
  const s = stream as StreamAsSocket;
  Object.defineProperties(s, {
    // The session's socket belongs to the session (node:http2 forbids touching it); Nagle
    // is the session's business (createDualProtocolServer turns it off).
    setNoDelay: { configurable: true, value: () => s },
    remoteAddress: {
      configurable: true,
      get: () => sessionSocket(stream.session)?.remoteAddress,
    },
    remotePort: {
      configurable: true,
      get: () => sessionSocket(stream.session)?.remotePort,
    },
  });
  return s as unknown as Socket;
}
