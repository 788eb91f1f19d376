/**
 * Client side of the opening handshake: the WHATWG URL and protocol checks of `new WebSocket()`,
 * the upgrade request (RFC 6455 §4.1) or extended CONNECT (RFC 8441 §5), and the checks of the
 * server's answer.
 */

import { computeAccept, defaultRandomFill, generateKey, type RandomFill } from './accept.js';
import { HandshakeError } from './errors.js';
import type {
  ClientExtensionNegotiator,
  ExtensionOffer,
  NegotiatedExtension,
} from './extension.js';
import {
  formatExtensionList,
  isToken,
  listContainsToken,
  parseExtensionList,
  parseTokenList,
  parseUpgradeList,
} from './grammar.js';
import {
  getHeader,
  type HeaderList,
  type HeaderRecord,
  type HeadersInit,
  headerListFrom,
  serializeHead,
} from './headers.js';

/** A WebSocket URL after the WHATWG checks, with what the handshake needs of it. */
export interface WebSocketUrl {
  /** The serialized URL with scheme `ws:` or `wss:`. */
  readonly href: string;
  /** True for `wss:` (TLS). */
  readonly secure: boolean;
  /** The host name (brackets kept around IPv6 literals, as `URL.hostname` does). */
  readonly hostname: string;
  /** The port to connect to (the default 80/443 when none is given). */
  readonly port: number;
  /** The `Host` header / `:authority` value: host name, plus `:port` when not the default. */
  readonly host: string;
  /** The request target: path plus `?query` if any (RFC 6455 §3 "resource name"). */
  readonly resourceName: string;
  /** Percent-decoded user name from the URL ('' if none), for Basic authentication if wanted. */
  readonly username: string;
  /** Percent-decoded password from the URL ('' if none). */
  readonly password: string;
}

interface UrlLike {
  href: string;
  protocol: string;
  hostname: string;
  port: string;
  pathname: string;
  username: string;
  password: string;
}

type UrlConstructor = new (url: string, base?: string) => UrlLike;

function urlConstructor(): UrlConstructor {
  const ctor = (globalThis as { URL?: UrlConstructor }).URL;
  if (ctor === undefined) throw new TypeError('No URL in this runtime');
  return ctor;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Forbidden domain code points of the URL Standard (§3.1), checked for every runtime's parser. */
function isValidDomainOrAddress(hostname: string): boolean {
  if (hostname.length === 0) return false;
  if (hostname.charCodeAt(0) === 0x5b) return hostname.charCodeAt(hostname.length - 1) === 0x5d;
  for (let i = 0; i < hostname.length; i++) {
    const c = hostname.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || ' #%/:<>?@[\\]^|'.includes(hostname[i]!)) return false;
  }
  return true;
}

/**
 * Parses a WebSocket URL as the WHATWG `WebSocket` constructor does: the URL parser (against
 * `base` if given), `http:`→`ws:` and `https:`→`wss:`, any other scheme refused, any fragment
 * (even an empty `#`) refused.
 * @throws HandshakeError `invalid-url`, `invalid-url-scheme` or `url-fragment` — each is a
 *   `SyntaxError` DOMException for the WHATWG API (`error.isSyntaxError`)
 */
export function parseWebSocketUrl(
  url: string | { readonly href: string },
  base?: string,
): WebSocketUrl {
  const input = typeof url === 'string' ? url : url.href;
  const URLCtor = urlConstructor();
  let parsed: UrlLike;
  try {
    parsed = base === undefined ? new URLCtor(input) : new URLCtor(input, base);
  } catch (cause) {
    throw new HandshakeError('invalid-url', `Invalid URL: ${JSON.stringify(input.slice(0, 200))}`, {
      cause,
    });
  }
  let scheme = parsed.protocol;
  if (scheme === 'http:') scheme = 'ws:';
  else if (scheme === 'https:') scheme = 'wss:';
  if (scheme !== 'ws:' && scheme !== 'wss:') {
    throw new HandshakeError(
      'invalid-url-scheme',
      `The URL's scheme must be "ws", "wss", "http" or "https"; ${JSON.stringify(parsed.protocol.slice(0, -1))} is not allowed`,
    );
  }
  if (!isValidDomainOrAddress(parsed.hostname)) {
    // Conforming URL parsers never produce these; some engines' parsers percent-encode instead.
    throw new HandshakeError(
      'invalid-url',
      `Invalid URL host: ${JSON.stringify(parsed.hostname.slice(0, 200))}`,
    );
  }
  // The serializer writes '#' exactly when the fragment is non-null (also for an empty one).
  if (parsed.href.includes('#')) {
    throw new HandshakeError(
      'url-fragment',
      'The URL contains a fragment identifier; fragments are not allowed in WebSocket URLs',
    );
  }
  if (parsed.protocol !== scheme) parsed.protocol = scheme;
  const secure = scheme === 'wss:';
  const defaultPort = secure ? 443 : 80;
  const port = parsed.port === '' ? defaultPort : Number(parsed.port);
  const host =
    parsed.port === '' || port === defaultPort ? parsed.hostname : `${parsed.hostname}:${port}`;
  const q = parsed.href.indexOf('?');
  const resourceName = (parsed.pathname || '/') + (q < 0 ? '' : parsed.href.slice(q));
  return {
    href: parsed.href,
    secure,
    hostname: parsed.hostname,
    port,
    host,
    resourceName,
    username: decodeComponent(parsed.username),
    password: decodeComponent(parsed.password),
  };
}

/**
 * Normalizes and checks the `protocols` argument of the WHATWG constructor: a string becomes a
 * one-element list; each must be an RFC 6455 subprotocol token and none may repeat (compared
 * ASCII case-insensitively, as the WHATWG standard does).
 * @throws HandshakeError `invalid-protocol` or `duplicate-protocol` (a `SyntaxError` for the WHATWG API)
 */
export function validateProtocols(protocols?: string | readonly string[]): string[] {
  if (protocols === undefined) return [];
  const list = typeof protocols === 'string' ? [protocols] : [...protocols];
  const seen = new Set<string>();
  for (const p of list) {
    if (!isToken(p)) {
      throw new HandshakeError(
        'invalid-protocol',
        `Invalid subprotocol: ${JSON.stringify(String(p).slice(0, 200))}`,
      );
    }
    // Tokens are ASCII, and the WHATWG standard compares them ASCII case-insensitively here:
    // ['echo', 'eCho'] is a repetition (a SyntaxError in the constructor).
    const key = p.toLowerCase();
    if (seen.has(key)) {
      throw new HandshakeError(
        'duplicate-protocol',
        `Subprotocol listed twice (ASCII case-insensitively): ${JSON.stringify(p)}`,
      );
    }
    seen.add(key);
  }
  return list;
}

/** Options of {@link createClientHandshake}. */
export interface ClientHandshakeOptions {
  /** The WebSocket URL (string, `URL`, or the result of {@link parseWebSocketUrl}). */
  url: string | { readonly href: string } | WebSocketUrl;
  /** Subprotocols to offer, most preferred first. */
  protocols?: string | readonly string[];
  /** Extensions to offer (e.g. permessage-deflate), in the order they should apply. */
  extensions?: readonly ClientExtensionNegotiator[];
  /** The `Origin` header; none by default (browsers send their page's origin). */
  origin?: string;
  /** Extra request headers (e.g. `Authorization`, `Cookie`). A `Host` entry replaces the default. */
  headers?: HeadersInit;
  /** Source of the 16 key bytes; default `crypto.getRandomValues`. */
  randomFill?: RandomFill;
  /** 1 (default): an HTTP/1.1 upgrade; 2: an RFC 8441 extended CONNECT. */
  httpVersion?: 1 | 2;
}

/** A prepared client handshake: the request to send and what the answer must match. */
export interface ClientHandshake {
  /** 1 for an HTTP/1.1 upgrade, 2 for an RFC 8441 extended CONNECT. */
  readonly httpVersion: 1 | 2;
  /** The parsed URL. */
  readonly url: WebSocketUrl;
  /** `Sec-WebSocket-Key` (HTTP/1.1), '' on HTTP/2. */
  readonly key: string;
  /** The `Sec-WebSocket-Accept` the server must answer (HTTP/1.1), '' on HTTP/2. */
  readonly expectedAccept: string;
  /** The offered subprotocols. */
  readonly protocols: readonly string[];
  /** The offered extension negotiators. */
  readonly extensions: readonly ClientExtensionNegotiator[];
  /**
   * The request header list. HTTP/1.1: `Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`,
   * `Sec-WebSocket-Version`, then protocol/extension offers, `Origin` and extra headers.
   * HTTP/2: the pseudo-headers `:method CONNECT`, `:protocol websocket`, `:scheme`, `:path`,
   * `:authority`, then lower-case `sec-websocket-version` and the rest.
   */
  readonly headers: HeaderList;
}

const RESERVED_REQUEST = new Set([
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

function isWebSocketUrl(url: ClientHandshakeOptions['url']): url is WebSocketUrl {
  return typeof url === 'object' && 'resourceName' in url && 'secure' in url;
}

/**
 * Prepares a client handshake: checks the URL and protocols (WHATWG rules), draws the key from
 * `randomFill` (HTTP/1.1) and lists the request headers.
 * @throws HandshakeError with `isSyntaxError` for a bad URL or protocol list;
 *   TypeError for an invalid or reserved extra header
 */
export function createClientHandshake(options: ClientHandshakeOptions): ClientHandshake {
  const url = isWebSocketUrl(options.url) ? options.url : parseWebSocketUrl(options.url);
  const protocols = validateProtocols(options.protocols);
  const extensions = options.extensions ?? [];
  const httpVersion = options.httpVersion ?? 1;
  const h1 = httpVersion === 1;

  const extra = headerListFrom(options.headers);
  let host = url.host;
  let origin = options.origin;
  const rest: Array<[string, string]> = [];
  for (const [name, value] of extra) {
    const lower = name.toLowerCase();
    if (RESERVED_REQUEST.has(lower)) throw new TypeError(`Header ${name} is set by the handshake`);
    if (lower === 'host') host = value;
    else if (lower === 'origin') origin = value;
    else rest.push([h1 ? name : lower, value]);
  }

  const offers: ExtensionOffer[] = [];
  for (const n of extensions) for (const params of n.offer()) offers.push({ name: n.name, params });

  let key = '';
  let expectedAccept = '';
  const headers: Array<[string, string]> = [];
  if (h1) {
    key = generateKey(options.randomFill ?? defaultRandomFill);
    expectedAccept = computeAccept(key);
    headers.push(
      ['Host', host],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', key],
      ['Sec-WebSocket-Version', '13'],
    );
  } else {
    headers.push(
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', url.secure ? 'https' : 'http'],
      [':path', url.resourceName],
      [':authority', host],
      ['sec-websocket-version', '13'],
    );
  }
  if (protocols.length > 0)
    headers.push([h1 ? 'Sec-WebSocket-Protocol' : 'sec-websocket-protocol', protocols.join(', ')]);
  if (offers.length > 0) {
    headers.push([
      h1 ? 'Sec-WebSocket-Extensions' : 'sec-websocket-extensions',
      formatExtensionList(offers),
    ]);
  }
  if (origin !== undefined) headers.push([h1 ? 'Origin' : 'origin', origin]);
  for (const h of rest) headers.push(h);
  // validate everything once more so that no value can break the head
  headerListFrom(headers.filter(([n]) => n.charCodeAt(0) !== 0x3a));
  return { httpVersion, url, key, expectedAccept, protocols, extensions, headers };
}

/** The HTTP/1.1 upgrade request of a handshake as bytes (`GET <resource> HTTP/1.1` + headers). */
export function serializeUpgradeRequest(handshake: ClientHandshake): Uint8Array {
  if (handshake.httpVersion !== 1)
    throw new TypeError('An HTTP/2 handshake is sent as a header list');
  return serializeHead(`GET ${handshake.url.resourceName} HTTP/1.1`, handshake.headers);
}

/** What a client needs of the server's answer: its status and headers keyed by lower-case name. */
export interface HandshakeResponse {
  readonly status: number;
  readonly headers: HeaderRecord;
}

/** The outcome of a successful client handshake. */
export interface ClientHandshakeResult {
  /** The subprotocol the server selected, '' for none (the WHATWG `protocol` attribute). */
  readonly protocol: string;
  /** The accepted extensions in response order (the order in which they apply). */
  readonly extensions: readonly NegotiatedExtension<ClientExtensionNegotiator>[];
  /** The `Sec-WebSocket-Extensions` value as received, '' for none (the WHATWG `extensions` attribute). */
  readonly extensionsHeader: string;
}

function fail(code: ConstructorParameters<typeof HandshakeError>[0], message: string): never {
  throw new HandshakeError(code, message);
}

/**
 * Checks the server's answer (RFC 6455 §4.1 / §4.2.2, RFC 8441 §5): status 101 with `Upgrade`
 * containing `websocket`, `Connection` containing `upgrade` and the exact `Sec-WebSocket-Accept`
 * (HTTP/1.1), or status 200 (HTTP/2); a subprotocol only if one was offered and it is one of
 * them; only extensions that were offered, each once, with parameters their negotiator accepts.
 * @throws HandshakeError with a `response-*` code naming the broken rule
 */
export function validateHandshakeResponse(
  handshake: ClientHandshake,
  response: HandshakeResponse,
): ClientHandshakeResult {
  const { headers } = response;
  if (handshake.httpVersion === 1) {
    if (response.status !== 101) {
      fail('response-status', `Unexpected response status ${response.status}: expected 101`);
    }
    const upgrade = getHeader(headers, 'upgrade');
    if (!listContainsToken(upgrade, 'websocket', parseUpgradeList, { code: 'response-upgrade' })) {
      fail(
        'response-upgrade',
        `Invalid Upgrade header: ${upgrade === undefined ? '(missing)' : JSON.stringify(upgrade.slice(0, 100))}`,
      );
    }
    const connection = getHeader(headers, 'connection');
    if (
      !listContainsToken(connection, 'upgrade', parseTokenList, { code: 'response-connection' })
    ) {
      fail(
        'response-connection',
        `Invalid Connection header: ${connection === undefined ? '(missing)' : JSON.stringify(connection.slice(0, 100))}`,
      );
    }
    const accept = getHeader(headers, 'sec-websocket-accept');
    if (accept?.trim() !== handshake.expectedAccept) {
      fail(
        'response-accept',
        accept === undefined
          ? 'Missing Sec-WebSocket-Accept header'
          : 'Incorrect Sec-WebSocket-Accept header',
      );
    }
  } else if (response.status !== 200) {
    fail('response-status', `Unexpected response status ${response.status}: expected 200`);
  }

  let protocol = '';
  const protocolHeader = getHeader(headers, 'sec-websocket-protocol');
  if (protocolHeader !== undefined) {
    const p = protocolHeader.trim();
    if (handshake.protocols.length === 0) {
      fail('response-protocol', 'Server sent a subprotocol but none was requested');
    }
    if (!handshake.protocols.includes(p)) {
      fail(
        'response-protocol',
        `Server selected a subprotocol that was not offered: ${JSON.stringify(p.slice(0, 100))}`,
      );
    }
    protocol = p;
  }

  const extensions: NegotiatedExtension<ClientExtensionNegotiator>[] = [];
  const extensionsHeader = getHeader(headers, 'sec-websocket-extensions')?.trim() ?? '';
  if (extensionsHeader !== '') {
    const accepted = parseExtensionList(extensionsHeader, { code: 'response-extensions' });
    for (const ext of accepted) {
      const negotiator = handshake.extensions.find((n) => n.name === ext.name);
      if (negotiator === undefined) {
        fail(
          'response-extensions',
          `Server accepted an extension that was not offered: ${ext.name.slice(0, 100)}`,
        );
      }
      if (extensions.some((e) => e.name === ext.name)) {
        fail('response-extensions', `Server accepted extension ${ext.name} twice`);
      }
      const reason = negotiator.checkResponse(ext.params);
      if (reason !== null) fail('response-extensions', `Invalid ${ext.name} response: ${reason}`);
      extensions.push({ name: ext.name, params: ext.params, negotiator });
    }
  }
  return { protocol, extensions, extensionsHeader };
}
