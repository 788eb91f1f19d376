/**
 * Serving HTTP/2 and HTTP/1.1 on one cleartext port: a `net.Server` that reads the first
 * bytes of each connection, hands those that start with the HTTP/2 connection preface
 * (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, RFC 9113 §3.4, "prior knowledge") to an `h2c`
 * server and the rest to an HTTP/1.1 server. The first bytes are put back (`unshift`)
 * before the chosen server sees the socket.
 */
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  type ServerOptions as HttpServerOptions,
} from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2Server,
  type ServerOptions as Http2ServerOptions,
  type Settings as Http2Settings,
} from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
export const HTTP2_PREFACE: Uint8Array = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * The HTTP/2 settings a WebSocket server advertises: SETTINGS_ENABLE_CONNECT_PROTOCOL
 * (RFC 8441 §3), without which a client may not send an extended CONNECT.
 */
export const websocketHttp2Settings: Readonly<Http2Settings> = Object.freeze({
  enableConnectProtocol: true,
});

/** Adds `enableConnectProtocol: true` to the `settings` of http2 server options. */
export function withConnectProtocol<T extends Http2ServerOptions>(options: T | undefined): T {
  const base = (options ?? {}) as T;
  return { ...base, settings: { ...base.settings, ...websocketHttp2Settings } };
}

/** Options of {@link createDualProtocolServer}. */
export interface DualProtocolServerOptions {
  /** Options of the h2c server (its `settings` get `enableConnectProtocol: true`). */
  http2?: Http2ServerOptions;
  /** Options of the HTTP/1.1 server. */
  http1?: HttpServerOptions;
  /**
   * A connection that has not sent enough bytes to tell the protocols apart within this
   * many milliseconds is destroyed. Default 10 000.
   */
  detectTimeout?: number;
}

/** The servers behind one port: listen on `server`, handle requests on the other two. */
export interface DualProtocolServer {
  /** The listening server: call `listen()` and `close()` on this one. */
  readonly server: NetServer;
  /** Receives connections that began with the HTTP/2 preface. */
  readonly http2: Http2Server;
  /** Receives every other connection (HTTP/1.1, including WebSocket upgrades). */
  readonly http1: HttpServer;
}

/**
 * Reads the first bytes of a socket until they match or diverge from the HTTP/2 preface,
 * then calls `done(isHttp2)` with the bytes unshifted back into the socket, paused.
 * @internal
 */
export function detectHttp2Preface(
  socket: Socket,
  timeout: number,
  done: (isHttp2: boolean) => void,
): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => {
    cleanup();
    socket.destroy();
  }, timeout);
  const cleanup = () => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.removeListener('error', onError);
  };
  const decide = (isHttp2: boolean) => {
    cleanup();
    socket.pause();
    socket.unshift(seen);
    done(isHttp2);
  };
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    for (let i = 0; i < n; i++) {
      if (seen[i] !== HTTP2_PREFACE[i]) {
        decide(false);
        return;
      }
    }
    if (seen.length >= HTTP2_PREFACE.length) decide(true);
  };
  const onEnd = () => {
    cleanup();
    socket.destroy();
  };
  const onError = () => {
    cleanup();
    socket.destroy();
  };
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
}

/**
 * One cleartext port for HTTP/2 with prior knowledge (h2c) and HTTP/1.1: listen on the
 * returned `server`; attach WebSocket handling to `http2` (extended CONNECT streams) and
 * `http1` (its `upgrade` event). Closing `server` stops accepting; close the sessions and
 * sockets through the WebSocket server's shutdown.
 */
export function createDualProtocolServer(
  options: DualProtocolServerOptions = {},
): DualProtocolServer {
  const http2 = createHttp2Server(withConnectProtocol(options.http2));
  const http1 = createHttpServer(options.http1 ?? {});
  const detectTimeout = options.detectTimeout ?? 10_000;
  const server = createNetServer((socket) => {
    // Frames leave as soon as they are written, for both protocols (small WebSocket
    // messages must not wait for Nagle).
    socket.setNoDelay(true);
    detectHttp2Preface(socket, detectTimeout, (isHttp2) => {
      if (isHttp2) {
        // The session takes over the socket's handle and reads what was unshifted itself.
        http2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        // The HTTP/1.1 parser reads through 'data' events: let the unshifted bytes flow.
        socket.resume();
      }
    });
  });
  return { server, http2, http1 };
}
