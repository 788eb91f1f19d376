// The listening side shared by every serving command: HTTP/1.1 (ws:// or wss://), or with
// --http2 one port for HTTP/2 and HTTP/1.1 (h2c prior knowledge + HTTP/1.1 in cleartext,
// ALPN h2 + http/1.1 over TLS), and the graceful shutdown on SIGINT/SIGTERM.
import { createSecureServer } from 'node:http2';
import {
  createDualProtocolServer,
  isWebSocketConnect,
  WebSocketServer,
  withConnectProtocol,
} from '@strata-ws/server';

const NOT_A_WEBSOCKET = 'This is a WebSocket server: connect with a WebSocket client.\n';

/** A host as it appears in a URL (IPv6 literals in brackets). */
export function urlHost(host) {
  return host.includes(':') ? `[${host}]` : host;
}

/** Answers plain HTTP/1.1 requests with 426 Upgrade Required. */
function answerHttp1(_req, res) {
  res.writeHead(426, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(NOT_A_WEBSOCKET),
    upgrade: 'websocket',
    connection: 'close',
  });
  res.end(NOT_A_WEBSOCKET);
}

/** Answers HTTP/2 streams that are not an extended CONNECT (RFC 8441) with 426. */
function answerHttp2(stream, headers) {
  if (isWebSocketConnect(headers)) return;
  stream.respond({
    ':status': 426,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(NOT_A_WEBSOCKET),
  });
  stream.end(NOT_A_WEBSOCKET);
}

/**
 * Starts a WebSocket server for a serving command and resolves once it listens.
 * @param {{ host: string, port: number, http2: boolean, tls: { cert: Buffer, key: Buffer } | null,
 *   options: import('@strata-ws/server').WebSocketServerOptions }} config
 * @returns {Promise<{ wss: WebSocketServer, url: string, protocols: string,
 *   shutdown(options: { timeout: number }): Promise<{ closed: number, terminated: number }> }>}
 */
export async function listen({ host, port, http2, tls, options }) {
  const scheme = tls ? 'wss' : 'ws';
  /** HTTP/2 sessions, closed (GOAWAY) on shutdown once their WebSockets are gone. */
  const sessions = new Set();
  const track = (server) =>
    server.on('session', (session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
  let wss;
  /** @type {import('node:net').Server} */
  let listener;
  let protocols;
  if (http2 && tls) {
    const h2 = createSecureServer(withConnectProtocol({ ...tls, allowHTTP1: true }));
    track(h2);
    h2.on('stream', answerHttp2);
    h2.on('request', (req, res) => {
      // HTTP/1.1 requests (allowHTTP1) that are not upgrades.
      if (req.httpVersionMajor === 1) answerHttp1(req, res);
    });
    wss = new WebSocketServer({ ...options, http2: h2 });
    listener = h2;
    protocols = 'HTTP/2 over TLS (h2) and HTTP/1.1';
  } else if (http2) {
    const dual = createDualProtocolServer();
    track(dual.http2);
    dual.http2.on('stream', answerHttp2);
    dual.http1.on('request', answerHttp1);
    wss = new WebSocketServer({ ...options, server: dual.http1, http2: dual.http2 });
    listener = dual.server;
    protocols = 'HTTP/2 cleartext (h2c, prior knowledge) and HTTP/1.1';
  } else {
    wss = new WebSocketServer({ ...options, host, port, ...(tls ? { tls } : {}) });
    listener = undefined;
    protocols = tls ? 'HTTP/1.1 over TLS' : 'HTTP/1.1';
  }
  await new Promise((resolve, reject) => {
    const target = listener ?? wss;
    target.once('listening', resolve);
    target.once('error', reject);
    if (listener) listener.listen(port, host);
  });
  const address = (listener ?? wss).address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  return {
    wss,
    url: `${scheme}://${urlHost(host)}:${boundPort}/`,
    protocols,
    async shutdown({ timeout }) {
      // 1001 to every client after what is queued for it; no new connections.
      const result = await wss.shutdown({ code: 1001, reason: 'Server shutting down', timeout });
      if (listener) {
        const closed = new Promise((resolve) => listener.close(() => resolve()));
        for (const session of sessions) session.close();
        // Sessions that do not finish their streams in time go at once.
        const timer = setTimeout(() => {
          for (const session of sessions) session.destroy();
        }, timeout);
        timer.unref();
        await closed;
        clearTimeout(timer);
      }
      return result;
    },
  };
}

/**
 * Waits for SIGINT/SIGTERM, then shuts down gracefully; resolves with the exit code (0).
 * A second signal exits at once (130 / 143).
 * @param {{ shutdown(options: { timeout: number }): Promise<{ closed: number, terminated: number }>,
 *   wss: WebSocketServer }} server
 * @param {{ timeout: number, quiet: boolean }} options
 * @returns {Promise<number>}
 */
export function serveUntilSignal(server, { timeout, quiet }) {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal) => {
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
      stopping = true;
      if (!quiet) {
        process.stderr.write(
          `${signal}: closing ${server.wss.clients.size} connection(s) with 1001\n`,
        );
      }
      server.shutdown({ timeout }).then(
        (result) => {
          if (!quiet) {
            process.stderr.write(
              `closed ${result.closed} connection(s) cleanly, terminated ${result.terminated}\n`,
            );
          }
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(0);
        },
        (error) => {
          process.stderr.write(`shutdown failed: ${error?.message ?? error}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
