// What `strata connect` and `strata bench` share around the client: options -> WebSocket
// options, exit codes, and the one-line diagnosis of a connection that never opened.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from './args.js';

/** How a `strata connect` run ended (the documented table in its help). */
export const ExitCode = Object.freeze({
  Clean: 0,
  Internal: 1,
  Usage: 2,
  ConnectFailed: 3,
  HandshakeRefused: 4,
  ClosedByServer: 5,
  Lost: 6,
});

/**
 * The exit code for a close event. When both ends close at once, the server's own code wins
 * unless it is the one this end sent (the usual echo) or 1000.
 * @param {{ code: number, wasClean: boolean }} event
 * @param {number | null} sentCode the code this end closed with, null if it did not close
 */
export function exitCodeForClose(event, sentCode) {
  if (event.code === 1006 || !event.wasClean) return ExitCode.Lost;
  if (event.code === 1000 || event.code === sentCode) return ExitCode.Clean;
  // The server answered our close frame with an empty one (1005): clean as well.
  if (sentCode !== null && event.code === 1005) return ExitCode.Clean;
  return ExitCode.ClosedByServer;
}

/** `"Name: value"` -> `[name, value]`; a usage error otherwise. */
export function parseHeader(text) {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`bad header "${text}": expected "Name: value"`);
  }
  return [name, text.slice(colon + 1).trim()];
}

function readPem(file, what) {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${error.code ?? error.message}`);
  }
}

/**
 * The client's protocols and options from parsed command-line options.
 * @param {Record<string, unknown>} options
 */
export function clientOptions(options) {
  const protocols = /** @type {string[]} */ (options.protocol ?? [])
    .flatMap((p) => p.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const headers = /** @type {string[]} */ (options.header ?? []).map(parseHeader);
  const timeout = options['handshake-timeout'] ?? 10_000;
  if (typeof timeout !== 'number' || !(timeout > 0)) {
    throw new UsageError('--handshake-timeout must be a positive number of milliseconds');
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new UsageError('--cert and --key go together');
  }
  /** @type {import('node:tls').ConnectionOptions} */
  const tls = {};
  if (options.ca !== undefined) tls.ca = readPem(String(options.ca), 'CA certificate');
  if (options.cert !== undefined) {
    tls.cert = readPem(String(options.cert), 'certificate');
    tls.key = readPem(String(options.key), 'key');
  }
  if (options.insecure === true) tls.rejectUnauthorized = false;
  /** @type {import('@strata-ws/client').WebSocketOptions} */
  const wsOptions = {
    headers,
    handshakeTimeout: timeout,
    perMessageDeflate: options.deflate === true,
    tls,
    ...(options.origin !== undefined ? { origin: String(options.origin) } : {}),
    ...(options.http2 === true ? { http2: true } : {}),
  };
  return { protocols, wsOptions };
}

const NETWORK_ERRORS = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** One line for a network or TLS error (by its Node error code), or null if unknown. */
function describeNetworkError(error, url) {
  const code = /** @type {{ code?: string }} */ (error)?.code ?? '';
  const known = NETWORK_ERRORS[code];
  if (known !== undefined) return `cannot connect to ${url}: ${known} (${code})`;
  const message = error instanceof Error ? error.message : '';
  if (/CERT|SSL|TLS|SELF_SIGNED/.test(code) || /certificate|SSL|TLS/i.test(message)) {
    return `TLS failure with ${new URL(url).host}: ${message}${code ? ` (${code})` : ''}; --ca FILE trusts a CA, --insecure skips the check`;
  }
  return null;
}

/**
 * Finds out why a connection failed before it opened. The client's `error` event carries the
 * cause (`event.error`, a Node extra) and, for a refused handshake, `event.status`; when
 * neither says enough, the request is replayed once with node:http(s) to read the network
 * error or the HTTP status. Resolves with an exit code and one line for the user.
 * @param {string} url
 * @param {string[]} protocols
 * @param {import('@strata-ws/client').WebSocketOptions} wsOptions
 * @param {number} started when the connection attempt started (Date.now())
 * @param {Event & { error?: unknown, status?: number } | null} [errorEvent]
 * @returns {Promise<{ code: number, message: string }>}
 */
export function diagnoseFailure(url, protocols, wsOptions, started, errorEvent = null) {
  const timeout = wsOptions.handshakeTimeout ?? 10_000;
  if (Date.now() - started >= timeout - 5) {
    return Promise.resolve({
      code: ExitCode.ConnectFailed,
      message: `no answer from ${url} within ${timeout} ms (handshake timeout)`,
    });
  }
  if (typeof errorEvent?.status === 'number') {
    const status = errorEvent.status;
    return Promise.resolve({
      code: ExitCode.HandshakeRefused,
      message: `handshake refused: HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd(),
    });
  }
  const cause = errorEvent?.error;
  if (cause !== undefined) {
    const known = describeNetworkError(cause, url);
    if (known !== null) return Promise.resolve({ code: ExitCode.ConnectFailed, message: known });
    const code = /** @type {{ code?: unknown }} */ (cause)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && cause instanceof Error) {
      // Another socket error (EPIPE, ECONNABORTED ...): the connection, not the handshake.
      return Promise.resolve({
        code: ExitCode.ConnectFailed,
        message: `cannot connect to ${url}: ${cause.message}`,
      });
    }
    if (cause instanceof Error && cause.message !== '') {
      // The server answered 101 but the response broke a rule (subprotocol, extensions,
      // Sec-WebSocket-Accept ...): the client says which.
      return Promise.resolve({
        code: ExitCode.HandshakeRefused,
        message: `handshake failed: ${cause.message}`,
      });
    }
  }
  return replay(url, protocols, wsOptions, started);
}

/** The fallback of diagnoseFailure: the same request once more, with node:http(s). */
function replay(url, protocols, wsOptions, started) {
  const elapsed = Date.now() - started;
  const timeout = wsOptions.handshakeTimeout ?? 10_000;
  const target = new URL(url);
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  /** @type {Record<string, string>} */
  const headers = {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': randomBytes(16).toString('base64'),
  };
  if (protocols.length > 0) headers['sec-websocket-protocol'] = protocols.join(', ');
  if (wsOptions.origin !== undefined) headers.origin = wsOptions.origin;
  for (const [name, value] of /** @type {[string, string][]} */ (wsOptions.headers ?? [])) {
    headers[name.toLowerCase()] = value;
  }
  return new Promise((resolve) => {
    const req = (secure ? httpsRequest : httpRequest)(
      {
        protocol: secure ? 'https:' : 'http:',
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || (secure ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        headers,
        agent: false,
        timeout: Math.max(1000, timeout - elapsed),
        ...(secure ? wsOptions.tls : {}),
      },
      (res) => {
        res.resume();
        const body = [];
        let size = 0;
        res.on('data', (chunk) => {
          if (size < 200) body.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const text = Buffer.concat(body).toString('utf8').trim().split('\n')[0].slice(0, 120);
          resolve({
            code: ExitCode.HandshakeRefused,
            message:
              `handshake refused: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd() +
              (text ? ` (${text})` : ''),
          });
        });
        res.on('error', () => {});
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      const selected = res.headers['sec-websocket-protocol'];
      resolve({
        code: ExitCode.HandshakeRefused,
        message:
          protocols.length > 0 && selected === undefined
            ? `handshake failed: the server selected none of the subprotocols ${protocols.join(', ')}`
            : 'handshake failed: the server answered 101 but its response is not a valid WebSocket handshake',
      });
    });
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (error) => {
      const message =
        describeNetworkError(error, url) ?? `cannot connect to ${url}: ${error.message}`;
      resolve({ code: ExitCode.ConnectFailed, message });
    });
    req.end();
  });
}
