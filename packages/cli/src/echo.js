import { parseOptions, UsageError } from './args.js';
import { listen, serveUntilSignal } from './serve.js';
import { readTlsFiles, selfSignedPair } from './tls.js';

export const ECHO_HELP = `Usage: strata echo [--host H] [--port P] [--deflate] [options]

Starts a WebSocket echo server: every message comes back with its type (text or binary).
Prints "listening ws://H:P/" (wss:// with TLS) once it listens; shuts down gracefully on
SIGINT/SIGTERM: no new connections, a 1001 close frame to every client after what is queued
for it, and whatever is still open after --shutdown-timeout is terminated.

Options:
  --host H              address to bind (default 127.0.0.1)
  --port P              port to listen on; 0 picks a free one (default 8080)
  --deflate             accept permessage-deflate (RFC 7692)
  --path /p             only accept upgrades on this path (default: any)
  --http2               also serve WebSockets over HTTP/2 (RFC 8441) on the same port:
                        h2c (prior knowledge) next to HTTP/1.1, or h2 over TLS (ALPN)
  --tls-cert FILE       serve TLS (wss://) with this certificate (PEM) ...
  --tls-key FILE        ... and this private key (PEM)
  --tls                 serve TLS with a generated self-signed pair for localhost
                        (openssl when installed, else node:crypto; printed on stderr)
  --max-payload N       largest message in bytes (default 16 MiB)
  --shutdown-timeout MS time open connections get to close on a signal (default 2000)
  --quiet               print nothing but the listening line and errors
  -h, --help            show this help
`;

const SPEC = /** @type {const} */ ({
  host: 'string',
  port: 'number',
  deflate: 'boolean',
  path: 'string',
  'max-payload': 'number',
  'shutdown-timeout': 'number',
  quiet: 'boolean',
  http2: 'boolean',
  tls: 'boolean',
  'tls-cert': 'string',
  'tls-key': 'string',
});

/** The TLS pair from --tls-cert/--tls-key, a generated one for --tls, or null. */
function tlsFromOptions(options) {
  const certFile = options['tls-cert'];
  const keyFile = options['tls-key'];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  if (certFile !== undefined) return readTlsFiles(String(certFile), String(keyFile));
  if (options.tls === true) return selfSignedPair();
  return null;
}

/**
 * Runs the echo server until SIGINT/SIGTERM; resolves with the exit code.
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
export async function echo(argv) {
  const options = parseOptions(argv, SPEC);
  const host = /** @type {string} */ (options.host ?? '127.0.0.1');
  const port = /** @type {number} */ (options.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError('--port must be 0-65535');
  const maxPayload = /** @type {number | undefined} */ (options['max-payload']);
  const shutdownTimeout = /** @type {number} */ (options['shutdown-timeout'] ?? 2000);
  const quiet = options.quiet === true;

  const tls = tlsFromOptions(options);
  const server = await listen({
    host,
    port,
    http2: options.http2 === true,
    tls: tls === null ? null : { cert: tls.cert, key: tls.key },
    options: {
      path: /** @type {string | undefined} */ (options.path),
      perMessageDeflate: options.deflate === true,
      maxPayload,
      maxMessageSize: maxPayload,
    },
  });
  const { wss } = server;
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      ws.send(data, { binary: isBinary });
    });
  });
  // Signal handlers first: a test (or a script) may signal as soon as it reads the line.
  const stopped = serveUntilSignal(server, { timeout: shutdownTimeout, quiet });
  process.stdout.write(`listening ${server.url}\n`);
  if (!quiet) {
    process.stderr.write(`serving ${server.protocols}\n`);
    if (tls !== null) process.stderr.write(`TLS: ${tls.source}\n`);
  }
  wss.on('error', (error) => process.stderr.write(`strata echo: ${error.message}\n`));
  return stopped;
}
