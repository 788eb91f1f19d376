import { WebSocketServer } from '@strata-ws/server';
import { parseOptions } from './args.js';

export const ECHO_HELP = `Usage: strata echo [--host H] [--port P] [--deflate] [options]

Starts a WebSocket echo server: every message comes back with its type (text or binary).
Prints "listening ws://H:P/" once it listens; exits cleanly on SIGINT/SIGTERM (open
connections get a 1001 close frame, and are terminated after --shutdown-timeout).

Options:
  --host H              address to bind (default 127.0.0.1)
  --port P              port to listen on; 0 picks a free one (default 8080)
  --deflate             accept permessage-deflate (RFC 7692)
  --path /p             only accept upgrades on this path (default: any)
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
});

/** A host as it appears in a URL (IPv6 literals in brackets). */
function urlHost(host) {
  return host.includes(':') ? `[${host}]` : host;
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
    throw new Error('--port must be 0-65535');
  const maxPayload = /** @type {number | undefined} */ (options['max-payload']);
  const shutdownTimeout = /** @type {number} */ (options['shutdown-timeout'] ?? 2000);
  const quiet = options.quiet === true;

  const wss = new WebSocketServer({
    host,
    port,
    path: /** @type {string | undefined} */ (options.path),
    perMessageDeflate: options.deflate === true,
    maxPayload,
    maxMessageSize: maxPayload,
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      ws.send(data, { binary: isBinary });
    });
  });

  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const address = wss.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`listening ws://${urlHost(host)}:${boundPort}/\n`);
  wss.on('error', (error) => process.stderr.write(`strata echo: ${error.message}\n`));

  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal) => {
      if (stopping) {
        // A second signal: stop waiting.
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      stopping = true;
      if (!quiet) process.stderr.write(`${signal}: closing ${wss.clients.size} connection(s)\n`);
      for (const ws of wss.clients) ws.close(1001, 'Server shutting down');
      const deadline = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, shutdownTimeout);
      deadline.unref();
      wss.close(() => {
        clearTimeout(deadline);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(0);
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
