/**
 * The client side of `ws`'s `WebSocket`: the opening handshake over `node:http(s)` requests
 * (so `agent`, `createConnection`, TLS options, `finishRequest` and redirects behave as with
 * `ws`), with the request headers made and the response checked by `@strata-ws/handshake`
 * and permessage-deflate negotiated by `@strata-ws/permessage-deflate`.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import {
  type ClientExtensionNegotiator,
  createClientHandshake,
  HandshakeError,
  parseWebSocketUrl,
  validateHandshakeResponse,
  type WebSocketUrl,
} from '@strata-ws/handshake';
import {
  createPerMessageDeflate,
  PerMessageDeflateClient,
} from '@strata-ws/permessage-deflate/node';
import type { MessageExtension } from '@strata-ws/protocol';
import { WS_DEFAULT_MAX_PAYLOAD } from './constants.js';
import { wsLimits } from './util.js';
import type { WebSocket } from './websocket.js';

/** `perMessageDeflate` options, as `ws` documents them. */
export interface PerMessageDeflateOptions {
  /** Ask the server not to keep its compression context between messages (client) / always answer it (server). */
  serverNoContextTakeover?: boolean;
  /** Announce / require that the client resets its compression context between messages. */
  clientNoContextTakeover?: boolean;
  /** Largest server window (bits). */
  serverMaxWindowBits?: number | boolean;
  /** Largest client window (bits), or `true` to announce support for the parameter. */
  clientMaxWindowBits?: number | boolean;
  /** zlib options for compressing (`level`, `memLevel` are used). */
  zlibDeflateOptions?: { level?: number; memLevel?: number; [key: string]: unknown };
  /** zlib options for decompressing (accepted). */
  zlibInflateOptions?: Record<string, unknown>;
  /** Messages below this many bytes are not compressed. Default 1024. */
  threshold?: number;
  /** Concurrent zlib jobs (accepted; Strata uses one process-wide limiter of 10). */
  concurrencyLimit?: number;
}

/** Client options: `ws`'s, plus any `http.request` / `tls.connect` option. */
export interface ClientOptions extends Omit<https.RequestOptions, 'headers' | 'timeout'> {
  /** Follow 3xx redirects. Default false. */
  followRedirects?: boolean;
  /** Redirects followed at most. Default 10. */
  maxRedirects?: number;
  /** Time allowed for the opening handshake, in ms. */
  handshakeTimeout?: number;
  /** Offer permessage-deflate (default true) and its parameters. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Largest received message; 0 = no limit. Default 100 MiB (ws's). */
  maxPayload?: number;
  /** Accepted for compatibility; text is always validated. */
  skipUTF8Validation?: boolean;
  /** Answer pings automatically. Default true. */
  autoPong?: boolean;
  /** Accepted; events are emitted synchronously. */
  allowSynchronousEvents?: boolean;
  /** Called instead of `req.end()`, to write a request body or delay the request. */
  finishRequest?: (request: http.ClientRequest, websocket: WebSocket) => void;
  /** Fills a 4-byte Buffer with a mask key. */
  generateMask?: (mask: Buffer) => void;
  /** The `Origin` header. */
  origin?: string;
  /** `Sec-WebSocket-Version`: 13 (8 is accepted and sent as 13). */
  protocolVersion?: number;
  /** Extra request headers. */
  headers?: Record<string, string | number | readonly string[] | undefined>;
}

const RESERVED = new Set([
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'sec-websocket-accept',
  'content-length',
  'transfer-encoding',
]);

const URL_MESSAGES: Readonly<Record<string, string>> = {
  'invalid-url-scheme':
    'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"',
  'url-fragment': 'The URL contains a fragment identifier',
};

function netConnect(options: net.NetConnectOpts & { socketPath?: string }): Duplex {
  const opts = { ...options } as net.NetConnectOpts & { path?: string; socketPath?: string };
  if (opts.socketPath !== undefined) opts.path = opts.socketPath;
  else delete opts.path;
  return net.connect(opts);
}

function tlsConnect(options: tls.ConnectionOptions): Duplex {
  const opts = { ...options } as tls.ConnectionOptions & { path?: string };
  delete opts.path;
  if (opts.servername === undefined && opts.host !== undefined) {
    opts.servername = net.isIP(opts.host) === 0 ? opts.host : '';
  }
  return tls.connect(opts);
}

function deflateClient(option: boolean | PerMessageDeflateOptions): PerMessageDeflateClient | null {
  if (option === false) return null;
  const o = option === true ? {} : option;
  return new PerMessageDeflateClient({
    ...(o.serverNoContextTakeover === undefined
      ? {}
      : { serverNoContextTakeover: o.serverNoContextTakeover }),
    ...(o.clientNoContextTakeover === undefined
      ? {}
      : { clientNoContextTakeover: o.clientNoContextTakeover }),
    ...(typeof o.serverMaxWindowBits === 'number'
      ? { serverMaxWindowBits: o.serverMaxWindowBits }
      : {}),
    clientMaxWindowBits: o.clientMaxWindowBits ?? true,
  });
}

/** The engine options of permessage-deflate from `ws`'s option object. */
export function deflateEngineOptions(option: boolean | PerMessageDeflateOptions | undefined): {
  threshold?: number;
  level?: number;
  memLevel?: number;
} {
  if (typeof option !== 'object') return {};
  const out: { threshold?: number; level?: number; memLevel?: number } = {};
  if (option.threshold !== undefined) out.threshold = option.threshold;
  const z = option.zlibDeflateOptions;
  if (z?.level !== undefined && z.level >= 0) out.level = z.level;
  if (z?.memLevel !== undefined) out.memLevel = z.memLevel;
  return out;
}

function maskSource(generateMask: (mask: Buffer) => void): (bytes: Uint8Array) => void {
  const key = Buffer.alloc(4);
  return (bytes) => {
    for (let i = 0; i + 4 <= bytes.length; i += 4) {
      generateMask(key);
      bytes.set(key, i);
    }
  };
}

function userHeaders(headers: ClientOptions['headers']): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || RESERVED.has(name.toLowerCase())) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, String(v)]);
    else out.push([name, String(value)]);
  }
  return out;
}

function parseAddress(
  address: string | URL,
  ws: WebSocket,
): { url: WebSocketUrl; socketPath?: string } {
  const text = typeof address === 'string' ? address : address.href;
  let ipc: URL | null = null;
  if (text.startsWith('ws+unix:')) {
    try {
      ipc = new URL(text);
    } catch {
      throw new SyntaxError(`Invalid URL: ${text}`);
    }
  }
  if (ipc !== null) {
    if (ipc.hash !== '') throw new SyntaxError(URL_MESSAGES['url-fragment']);
    const [socketPath = '', path = ''] = ipc.pathname.split(':');
    if (socketPath === '') throw new SyntaxError("The URL's pathname is empty");
    ws._url = ipc.href;
    return {
      url: parseWebSocketUrl(`ws://localhost${path === '' ? '/' : path}${ipc.search}`),
      socketPath,
    };
  }
  try {
    const url = parseWebSocketUrl(text);
    ws._url = url.href;
    return { url };
  } catch (error) {
    const code = error instanceof HandshakeError ? error.code : 'invalid-url';
    throw new SyntaxError(URL_MESSAGES[code] ?? `Invalid URL: ${text}`);
  }
}

/** Starts the client handshake of `ws` (called by the `WebSocket` constructor). */
export function initAsClient(
  ws: WebSocket,
  address: string | URL,
  protocols: string[],
  options: ClientOptions,
): void {
  const opts: ClientOptions = {
    autoPong: true,
    protocolVersion: 13,
    maxPayload: WS_DEFAULT_MAX_PAYLOAD,
    perMessageDeflate: true,
    followRedirects: false,
    maxRedirects: 10,
    ...options,
  };
  ws._autoPong = opts.autoPong !== false;
  if (opts.protocolVersion !== 8 && opts.protocolVersion !== 13) {
    throw new RangeError(
      `Unsupported protocol version: ${opts.protocolVersion} (supported versions: 8, 13)`,
    );
  }
  wsLimits(opts.maxPayload ?? WS_DEFAULT_MAX_PAYLOAD, 'client');
  let parsed: { url: WebSocketUrl; socketPath?: string };
  try {
    parsed = parseAddress(address, ws);
  } catch (error) {
    if (ws._redirects === 0) throw error;
    process.nextTick(failClient, ws, error);
    return;
  }
  const { url } = parsed;
  const pmd = deflateClient(opts.perMessageDeflate ?? true);
  const extensions: ClientExtensionNegotiator[] = pmd === null ? [] : [pmd];
  const handshake = createClientHandshake({
    url,
    protocols,
    extensions,
    ...(opts.origin === undefined ? {} : { origin: opts.origin }),
    headers: userHeaders(opts.headers),
  });
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of handshake.headers) {
    const prev = headers[name];
    if (prev === undefined) headers[name] = value;
    else headers[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  const secure = url.secure;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const {
    followRedirects,
    maxRedirects,
    handshakeTimeout,
    perMessageDeflate,
    maxPayload,
    skipUTF8Validation,
    autoPong,
    allowSynchronousEvents,
    finishRequest,
    generateMask,
    origin,
    protocolVersion,
    headers: _headers,
    ...requestOptions
  } = opts;
  const reqOpts: https.RequestOptions & { createConnection?: unknown } = {
    ...requestOptions,
    createConnection: (opts.createConnection ??
      (secure ? tlsConnect : netConnect)) as https.RequestOptions['createConnection'],
    defaultPort: secure ? 443 : 80,
    host: hostname,
    port: url.port,
    path: url.resourceName,
    headers,
    method: 'GET',
  };
  delete reqOpts.hostname;
  if (parsed.socketPath !== undefined) {
    (reqOpts as { socketPath?: string }).socketPath = parsed.socketPath;
  }
  if (url.username !== '' || url.password !== '') {
    reqOpts.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  }
  if (handshakeTimeout !== undefined && handshakeTimeout > 0) reqOpts.timeout = handshakeTimeout;

  const req = (secure ? https.request : http.request)(reqOpts);
  ws._req = req;
  if (ws._redirects > 0) ws.emit('redirect', ws.url, req);

  if (reqOpts.timeout !== undefined) {
    req.on('timeout', () => abortClient(ws, req, 'Opening handshake has timed out'));
  }
  req.on('error', (error) => {
    if (ws._req !== req || isAborted(req)) return;
    ws._req = null;
    failClient(ws, error);
  });
  req.on('response', (res) => {
    const location = res.headers.location;
    const status = res.statusCode ?? 0;
    if (location !== undefined && followRedirects === true && status >= 300 && status < 400) {
      ws._redirects++;
      if (ws._redirects > (maxRedirects ?? 10)) {
        abortClient(ws, req, 'Maximum redirects exceeded');
        return;
      }
      markAborted(req);
      req.destroy();
      let next: URL;
      try {
        next = new URL(location, ws.url);
      } catch {
        failClient(ws, new SyntaxError(`Invalid URL: ${location}`));
        return;
      }
      initAsClient(ws, next, protocols, options);
    } else if (!ws.emit('unexpected-response', req, res)) {
      abortClient(ws, req, `Unexpected server response: ${status}`);
    }
  });
  req.on('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    ws.emit('upgrade', res);
    if (ws.readyState !== 0) return;
    ws._req = null;
    let result: ReturnType<typeof validateHandshakeResponse>;
    try {
      result = validateHandshakeResponse(handshake, {
        status: res.statusCode ?? 0,
        headers: res.headers,
      });
    } catch (error) {
      socket.destroy();
      failClient(ws, new Error(responseMessage(error, protocols.length > 0)));
      return;
    }
    ws._protocol = result.protocol;
    const engines: MessageExtension[] = [];
    for (const entry of result.extensions) {
      if (pmd !== null && entry.negotiator === pmd) {
        const ext = createPerMessageDeflate(
          pmd.agreement(entry.params),
          deflateEngineOptions(perMessageDeflate),
        );
        engines.push(ext);
        ws._extensions['permessage-deflate'] = ext;
      }
    }
    ws.setSocket(socket, head, {
      maxPayload: maxPayload ?? WS_DEFAULT_MAX_PAYLOAD,
      extensions: engines,
      ...(generateMask === undefined ? {} : { randomFill: maskSource(generateMask) }),
    });
  });
  if (finishRequest !== undefined) finishRequest(req, ws);
  else req.end();
}

function responseMessage(error: unknown, offered: boolean): string {
  const code = error instanceof HandshakeError ? error.code : '';
  switch (code) {
    case 'response-upgrade':
      return 'Invalid Upgrade header';
    case 'response-accept':
      return 'Invalid Sec-WebSocket-Accept header';
    case 'response-protocol':
      return offered
        ? 'Server sent an invalid subprotocol'
        : 'Server sent a subprotocol but none was requested';
    case 'response-extensions':
      return 'Invalid Sec-WebSocket-Extensions header';
    default:
      return (error as Error).message;
  }
}

function isAborted(req: http.ClientRequest): boolean {
  return (req as http.ClientRequest & { _strataAborted?: boolean })._strataAborted === true;
}

function markAborted(req: http.ClientRequest): void {
  (req as http.ClientRequest & { _strataAborted?: boolean })._strataAborted = true;
}

export function abortClient(ws: WebSocket, req: http.ClientRequest, message: string): void {
  if (ws._req === req) ws._req = null;
  markAborted(req);
  ws._readyState = 2;
  const err = new Error(message);
  req.destroy();
  const socket = req.socket;
  if (socket !== null && !socket.destroyed) socket.destroy();
  process.nextTick(failClient, ws, err);
}

export function failClient(ws: WebSocket, error: Error): void {
  ws._readyState = 2;
  ws._errorEmitted = true;
  ws.emit('error', error);
  ws.emitClose();
}
