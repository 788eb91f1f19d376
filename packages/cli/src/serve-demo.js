// `strata serve`: the demo page and its WebSocket endpoint on one port (apps/demo), what
// `npm start` runs. Embedded defaults: 127.0.0.1:8080, or --host/--port, or PORT.
import { startDemo } from '@strata-ws/demo';
import { parseOptions, UsageError } from './args.js';

export const SERVE_HELP = `Usage: strata serve [--host H] [--port P]

Serves the Strata demo: a page with a shared chat room over topics, the negotiated
subprotocol and extensions, live messages/s and round-trip latency, the server's own
counters, and reconnection with backoff when the server restarts. Prints the page's URL.
No database, no configuration. Stops gracefully on SIGINT/SIGTERM (1001 to every page).

Options:
  --host H     address to bind (default 127.0.0.1)
  --port P     port (default: $PORT, else 8080; 0 picks a free one)
  --quiet      print only the URL line and errors
  -h, --help   show this help
`;

const SPEC = /** @type {const} */ ({ host: 'string', port: 'number', quiet: 'boolean' });

/**
 * Runs the demo until SIGINT/SIGTERM; resolves with the exit code.
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
export async function serve(argv) {
  const options = parseOptions(argv, SPEC);
  const host = /** @type {string} */ (options.host ?? '127.0.0.1');
  let port = /** @type {number | undefined} */ (options.port);
  if (port === undefined && process.env.PORT !== undefined && process.env.PORT !== '') {
    port = Number(process.env.PORT);
    if (!Number.isInteger(port))
      throw new UsageError(`PORT must be a port number, not "${process.env.PORT}"`);
  }
  port ??= 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError('--port must be 0-65535');
  let demo;
  try {
    demo = await startDemo({ host, port });
  } catch (error) {
    if (error?.code === 'EADDRINUSE') {
      throw new Error(
        `${host}:${port} is already in use; pick another with --port (e.g. --port 0)`,
      );
    }
    if (error?.code === 'EADDRNOTAVAIL' || error?.code === 'ENOTFOUND') {
      throw new Error(`cannot bind ${host}: no such local address`);
    }
    throw error;
  }
  // Signal handlers before the URL line: whoever reads it may signal at once.
  const stopped = new Promise((resolve) => {
    let stopping = false;
    const stop = (signal) => {
      if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143);
      stopping = true;
      demo.close({ timeout: 2000 }).then(
        () => resolve(0),
        (error) => {
          process.stderr.write(`strata serve: shutdown failed: ${error?.message ?? error}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.stdout.write(`Strata demo: ${demo.url}\n`);
  if (options.quiet !== true) {
    process.stderr.write('open it in two tabs; stop with Ctrl-C\n');
  }
  return stopped;
}
