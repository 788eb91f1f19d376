/**
 * Server side of the opening handshake: validate the client's request (RFC 6455 §4.2.1 for
 * HTTP/1.1, RFC 8441 §4-5 for HTTP/2), negotiate subprotocol and extensions, and produce the
 * answer — `101 Switching Protocols` / `:status 200`, or the rejection each broken rule maps to.
 */

import { computeAccept, isValidKey } from './accept.js';
import { HandshakeError } from './errors.js';
import type {
  ExtensionOffer,
  ExtensionParams,
  NegotiatedExtension,
  ServerExtensionNegotiator,
} from './extension.js';
import {
  formatExtensionList,
  listContainsToken,
  parseExtensionList,
  parseProtocolList,
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
  utf8Encode,
} from './headers.js';
import { createOriginPolicy, type OriginPolicy } from './origin.js';

/** What an HTTP/1.1 server facade knows of a request (the fields of Node's `IncomingMessage`). */
export interface UpgradeRequest {
  /** The request method, e.g. `GET` (optional only because Node types it so; absent → 405). */
  readonly method?: string | undefined;
  /** `major.minor`, e.g. `1.1` (Node's `req.httpVersion`); default `1.1`. */
  readonly httpVersion?: string;
  /** The request target, e.g. `/chat?room=1`; default `/`. */
  readonly url?: string;
  /** Header fields keyed by lower-case name. */
  readonly headers: HeaderRecord;
}

/** A request that passed validation, for either HTTP version. */
export interface ValidatedUpgradeRequest {
  /** 1 for an HTTP/1.1 upgrade, 2 for an RFC 8441 extended CONNECT. */
  readonly httpVersion: 1 | 2;
  /** The `Sec-WebSocket-Key` (HTTP/1.1 only; undefined on HTTP/2). */
  readonly key: string | undefined;
  /** `Host` (HTTP/1.1) or `:authority` (HTTP/2). */
  readonly host: string;
  /** The request target (`req.url` or `:path`). */
  readonly path: string;
  /** The `Origin` header, if any. */
  readonly origin: string | undefined;
  /** The offered subprotocols in the client's order (duplicates removed). */
  readonly protocols: readonly string[];
  /** The parsed extension offers in the client's order. */
  readonly extensions: readonly ExtensionOffer[];
  /** All request headers, as given. */
  readonly headers: HeaderRecord;
}

/** Options of request validation. */
export interface RequestValidationOptions {
  /**
   * Which origins may connect: a predicate, or an allow-list for {@link createOriginPolicy}
   * (requests without `Origin` pass). A refused origin is answered 403. Default: all.
   */
  checkOrigin?: OriginPolicy | readonly string[];
  /** Longest `Sec-WebSocket-Protocol` / `Sec-WebSocket-Extensions` value parsed; default 16 KiB (431 beyond). */
  maxHeaderValueLength?: number;
}

/** Chooses the subprotocol: one of `offered`, or false/null/undefined for none. */
export type ProtocolSelector = (
  offered: readonly string[],
  request: ValidatedUpgradeRequest,
) => string | false | null | undefined;

/** Options of negotiation. */
export interface NegotiationOptions {
  /**
   * Picks the subprotocol among the offered ones. Without it the first offered protocol is
   * chosen, as `ws` does. Returning a protocol that was not offered throws a TypeError.
   */
  handleProtocols?: ProtocolSelector;
  /** The extensions this server supports, asked in the order of the client's offers. */
  extensions?: readonly ServerExtensionNegotiator[];
}

/** Options of {@link acceptUpgrade} and {@link acceptExtendedConnect}. */
export interface ServerHandshakeOptions extends RequestValidationOptions, NegotiationOptions {}

/** A negotiated handshake: what to answer and what was agreed. */
export interface ServerHandshake {
  /** The validated request. */
  readonly request: ValidatedUpgradeRequest;
  /** The selected subprotocol, or undefined. */
  readonly protocol: string | undefined;
  /** The accepted extensions in response order (the order in which they apply). */
  readonly extensions: readonly NegotiatedExtension<ServerExtensionNegotiator>[];
  /**
   * The response headers this handshake requires: on HTTP/1.1 `Upgrade`, `Connection`,
   * `Sec-WebSocket-Accept` and the negotiated fields; on HTTP/2 (lower-case) only
   * `sec-websocket-protocol` / `sec-websocket-extensions` when negotiated.
   */
  readonly headers: HeaderList;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  101: 'Switching Protocols',
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The reason phrase of an HTTP status (`Bad Request` for 400), or `Unknown` for others. */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Unknown';
}

function bad(
  code: ConstructorParameters<typeof HandshakeError>[0],
  message: string,
  status = 400,
): never {
  throw new HandshakeError(code, message, { status });
}

/** The value of 1 to 3 ASCII digits in `text[start, end)`, or -1. */
function smallNumber(text: string, start: number, end: number): number {
  const n = end - start;
  if (n < 1 || n > 3) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Whether `version` (`major[.minor]`, 1-3 digits each) is HTTP/1.1 or later; false when malformed. */
function isHttp11OrLater(version: string): boolean {
  if (version === '1.1') return true;
  const dot = version.indexOf('.');
  const major = smallNumber(version, 0, dot < 0 ? version.length : dot);
  const minor = dot < 0 ? 0 : smallNumber(version, dot + 1, version.length);
  if (major < 0 || minor < 0) return false;
  return major > 1 || (major === 1 && minor >= 1);
}

/** `value` equals the lower-case ASCII `token`, ignoring case (no string is allocated). */
function equalsToken(value: string | undefined, token: string): boolean {
  if (value === undefined || value.length !== token.length) return false;
  for (let i = 0; i < token.length; i++) {
    let c = value.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== token.charCodeAt(i)) return false;
  }
  return true;
}

/** The offers and protocols of a request without those headers (shared, frozen). */
const NO_PROTOCOLS: readonly string[] = Object.freeze([]);
const NO_OFFERS: readonly ExtensionOffer[] = Object.freeze([]);

function validHost(host: string | undefined): host is string {
  if (host === undefined || host.length === 0 || host.length > 1024) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    // no whitespace, controls, commas (joined duplicates) or delimiters of other components
    if (
      c <= 0x20 ||
      c >= 0x7f ||
      c === 0x2c ||
      c === 0x2f ||
      c === 0x3f ||
      c === 0x23 ||
      c === 0x40
    ) {
      return false;
    }
  }
  return true;
}

function versionHeader(httpVersion: 1 | 2): HeaderList {
  return [[httpVersion === 1 ? 'Sec-WebSocket-Version' : 'sec-websocket-version', '13']];
}

/** The Origin header (undefined when absent), checked against the policy (403). */
function checkOrigin(
  headers: HeaderRecord,
  options: RequestValidationOptions | undefined,
): string | undefined {
  let origin = headers.origin;
  if (typeof origin !== 'string') {
    origin = getHeader(headers, 'origin') ?? getHeader(headers, 'sec-websocket-origin');
  }
  const check = options?.checkOrigin;
  if (check !== undefined) {
    const policy = typeof check === 'function' ? check : createOriginPolicy(check);
    if (!policy(origin)) {
      bad('request-origin', `Origin not allowed: ${(origin ?? '(none)').slice(0, 200)}`, 403);
    }
  }
  return origin;
}

function checkVersion(headers: HeaderRecord, httpVersion: 1 | 2): void {
  // The common case: exactly "13" (a record from Node holds a string here).
  if (headers['sec-websocket-version'] === '13') return;
  const version = getHeader(headers, 'sec-websocket-version');
  if (version === undefined || version.trim() === '') {
    throw new HandshakeError('request-version', 'Missing Sec-WebSocket-Version header', {
      status: 400,
      headers: versionHeader(httpVersion),
    });
  }
  if (version.trim() !== '13') {
    throw new HandshakeError(
      'request-version',
      `Unsupported WebSocket version: ${version.trim().slice(0, 32)}`,
      {
        status: httpVersion === 1 ? 426 : 400,
        headers: versionHeader(httpVersion),
      },
    );
  }
}

/** The offered subprotocols (duplicates removed) and extension offers. */
function parseOffers(
  headers: HeaderRecord,
  options: RequestValidationOptions | undefined,
): { protocols: readonly string[]; extensions: readonly ExtensionOffer[] } {
  const maxLength = options?.maxHeaderValueLength;

  let protocols: readonly string[] = NO_PROTOCOLS;
  const protocolHeader = getHeader(headers, 'sec-websocket-protocol');
  if (protocolHeader !== undefined) {
    const list: string[] = [];
    for (const p of parseProtocolList(protocolHeader, { code: 'request-protocol', maxLength })) {
      if (!list.includes(p)) list.push(p);
    }
    protocols = list;
  }
  const extensionHeader = getHeader(headers, 'sec-websocket-extensions');
  const extensions =
    extensionHeader === undefined
      ? NO_OFFERS
      : parseExtensionList(extensionHeader, { code: 'request-extensions', maxLength });
  return { protocols, extensions };
}

/**
 * Validates an HTTP/1.1 upgrade request (RFC 6455 §4.2.1). Each broken rule throws a
 * {@link HandshakeError} whose `status` is the answer: 405 (with `Allow: GET`) for another
 * method, 400 for a bad HTTP version, Host, Upgrade, Connection, key, subprotocol or extension
 * list, 400/426 with `Sec-WebSocket-Version: 13` for a missing/unsupported version,
 * 431 for an oversized list header, 403 for a refused origin.
 */
export function validateUpgradeRequest(
  request: UpgradeRequest,
  options?: RequestValidationOptions,
): ValidatedUpgradeRequest {
  if (request.method !== 'GET') {
    throw new HandshakeError(
      'request-method',
      `Invalid HTTP method for a WebSocket upgrade: ${(request.method ?? '(none)').slice(0, 32)}`,
      {
        status: 405,
        headers: [['Allow', 'GET']],
      },
    );
  }
  if (!isHttp11OrLater(request.httpVersion ?? '1.1')) {
    bad('request-http-version', 'A WebSocket upgrade needs HTTP/1.1 or later');
  }
  const { headers } = request;
  const host = getHeader(headers, 'host');
  if (!validHost(host)) bad('request-host', 'Missing or invalid Host header');
  // Fast paths for the usual single-token values; lists go through the full grammar.
  const upgrade = headers.upgrade;
  if (
    !equalsToken(typeof upgrade === 'string' ? upgrade : undefined, 'websocket') &&
    !listContainsToken(getHeader(headers, 'upgrade'), 'websocket', parseUpgradeList)
  ) {
    bad('request-upgrade', 'Missing or invalid Upgrade header: expected "websocket"');
  }
  const connection = headers.connection;
  if (
    !equalsToken(typeof connection === 'string' ? connection : undefined, 'upgrade') &&
    !listContainsToken(getHeader(headers, 'connection'), 'upgrade', parseTokenList)
  ) {
    bad('request-connection', 'Missing or invalid Connection header: expected "Upgrade"');
  }
  const key = getHeader(headers, 'sec-websocket-key')?.trim();
  if (key === undefined || !isValidKey(key)) {
    bad('request-key', 'Missing or invalid Sec-WebSocket-Key header');
  }
  checkVersion(headers, 1);
  const { protocols, extensions } = parseOffers(headers, options);
  const origin = checkOrigin(headers, options);
  return {
    httpVersion: 1,
    key,
    host,
    path: request.url ?? '/',
    headers,
    origin,
    protocols,
    extensions,
  };
}

/**
 * Validates an RFC 8441 extended CONNECT request from its HTTP/2 header record (pseudo-headers
 * included, as node:http2's `stream` event gives them): `:method CONNECT`, `:protocol websocket`,
 * `:scheme`, `:path` and `:authority` present, `sec-websocket-version: 13`. No key is used.
 * Failures throw a {@link HandshakeError}: 405 for another method, 400 otherwise
 * (with `sec-websocket-version: 13` for a bad version), 403 for a refused origin.
 */
export function validateExtendedConnect(
  headers: HeaderRecord,
  options?: RequestValidationOptions,
): ValidatedUpgradeRequest {
  const method = getHeader(headers, ':method');
  if (method !== 'CONNECT') {
    throw new HandshakeError(
      'request-method',
      `Invalid method for an RFC 8441 WebSocket: ${(method ?? '(none)').slice(0, 32)}`,
      {
        status: 405,
        headers: [['allow', 'CONNECT']],
      },
    );
  }
  const protocol = getHeader(headers, ':protocol');
  if (protocol === undefined || protocol.toLowerCase() !== 'websocket') {
    bad('request-connect-protocol', 'Extended CONNECT needs ":protocol: websocket"');
  }
  const scheme = getHeader(headers, ':scheme');
  const path = getHeader(headers, ':path');
  if (scheme === undefined || scheme === '' || path === undefined || path === '') {
    bad('request-pseudo-header', 'Extended CONNECT needs :scheme and :path');
  }
  const host = getHeader(headers, ':authority') ?? getHeader(headers, 'host');
  if (!validHost(host)) bad('request-host', 'Missing or invalid :authority');
  checkVersion(headers, 2);
  const { protocols, extensions } = parseOffers(headers, options);
  const origin = checkOrigin(headers, options);
  return {
    httpVersion: 2,
    key: undefined,
    host,
    path,
    headers,
    origin,
    protocols,
    extensions,
  };
}

/**
 * Negotiates subprotocol and extensions for a validated request and lists the response headers.
 * Extension offers are grouped by name; each name is asked once, in the order of its first
 * offer, from the negotiator of that name (names nobody supports are ignored).
 * @throws TypeError when `handleProtocols` returns a protocol that was not offered, or a
 *   negotiator returns parameters that are not tokens
 */
export function negotiateUpgrade(
  request: ValidatedUpgradeRequest,
  options?: NegotiationOptions,
): ServerHandshake {
  let protocol: string | undefined;
  if (request.protocols.length > 0) {
    const chosen = options?.handleProtocols
      ? options.handleProtocols(request.protocols, request)
      : request.protocols[0];
    if (typeof chosen === 'string') {
      if (!request.protocols.includes(chosen)) {
        throw new TypeError(
          `handleProtocols returned a subprotocol that was not offered: ${JSON.stringify(chosen)}`,
        );
      }
      protocol = chosen;
    }
  }

  const extensions: NegotiatedExtension<ServerExtensionNegotiator>[] = [];
  const negotiators = options?.extensions ?? [];
  if (negotiators.length > 0 && request.extensions.length > 0) {
    const groups = new Map<string, ExtensionParams[]>();
    for (const offer of request.extensions) {
      let group = groups.get(offer.name);
      if (group === undefined) {
        group = [];
        groups.set(offer.name, group);
      }
      group.push(offer.params);
    }
    for (const [name, offers] of groups) {
      const negotiator = negotiators.find((n) => n.name === name);
      if (negotiator === undefined) continue;
      const params = negotiator.negotiate(offers);
      if (params !== null) extensions.push({ name, params, negotiator });
    }
  }

  const h1 = request.httpVersion === 1;
  const headers: Array<[string, string]> = [];
  if (h1) {
    headers.push(['Upgrade', 'websocket'], ['Connection', 'Upgrade']);
    headers.push(['Sec-WebSocket-Accept', computeAccept(request.key!)]);
  }
  if (protocol !== undefined)
    headers.push([h1 ? 'Sec-WebSocket-Protocol' : 'sec-websocket-protocol', protocol]);
  if (extensions.length > 0) {
    headers.push([
      h1 ? 'Sec-WebSocket-Extensions' : 'sec-websocket-extensions',
      formatExtensionList(extensions),
    ]);
  }
  return { request, protocol, extensions, headers };
}

/** Validates an HTTP/1.1 upgrade request and negotiates it ({@link validateUpgradeRequest} + {@link negotiateUpgrade}). */
export function acceptUpgrade(
  request: UpgradeRequest,
  options?: ServerHandshakeOptions,
): ServerHandshake {
  return negotiateUpgrade(validateUpgradeRequest(request, options), options);
}

/** Validates an RFC 8441 extended CONNECT and negotiates it ({@link validateExtendedConnect} + {@link negotiateUpgrade}). */
export function acceptExtendedConnect(
  headers: HeaderRecord,
  options?: ServerHandshakeOptions,
): ServerHandshake {
  return negotiateUpgrade(validateExtendedConnect(headers, options), options);
}

const RESERVED_101 = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length',
  'transfer-encoding',
]);

/**
 * The `101 Switching Protocols` response of an HTTP/1.1 handshake as bytes, with extra headers
 * (e.g. `Set-Cookie`) after the handshake ones.
 * @throws TypeError for an invalid extra header or one the handshake owns (Upgrade, Connection, Sec-WebSocket-*)
 */
export function serializeSwitchingProtocols(
  handshake: ServerHandshake,
  extraHeaders?: HeadersInit,
): Uint8Array {
  if (handshake.request.httpVersion !== 1) {
    throw new TypeError('An HTTP/2 handshake is answered with responseHeadersH2(), not 101');
  }
  const extra = headerListFrom(extraHeaders);
  if (extra.length === 0)
    return serializeHead('HTTP/1.1 101 Switching Protocols', handshake.headers);
  for (const [name] of extra) {
    if (RESERVED_101.has(name.toLowerCase())) {
      throw new TypeError(`Header ${name} is set by the handshake`);
    }
  }
  return serializeHead('HTTP/1.1 101 Switching Protocols', [...handshake.headers, ...extra]);
}

/**
 * The header list of a successful RFC 8441 answer: `:status 200`, the negotiated
 * `sec-websocket-protocol` / `sec-websocket-extensions`, then extra headers (lower-cased).
 */
export function responseHeadersH2(
  handshake: ServerHandshake,
  extraHeaders?: HeadersInit,
): Array<[string, string]> {
  if (handshake.request.httpVersion !== 2) {
    throw new TypeError('An HTTP/1.1 handshake is answered with serializeSwitchingProtocols()');
  }
  const out: Array<[string, string]> = [[':status', '200']];
  for (const [n, v] of handshake.headers) out.push([n, v]);
  for (const [n, v] of headerListFrom(extraHeaders)) {
    const name = n.toLowerCase();
    if (RESERVED_101.has(name)) throw new TypeError(`Header ${n} is set by the handshake`);
    out.push([name, v]);
  }
  return out;
}

/** Options of {@link serializeRejection} and {@link rejectionH2}. */
export interface RejectionOptions {
  /** The body text (UTF-8); default: the error's message, or the status text. */
  message?: string;
  /**
   * Extra headers, e.g. `WWW-Authenticate`. A `Content-Type` here replaces the default
   * `text/plain; charset=utf-8`; a `Content-Length` is ignored (the body's own length is written).
   */
  headers?: HeadersInit;
}

function rejectionParts(
  rejection: HandshakeError | number,
  options: RejectionOptions | undefined,
): { status: number; body: Uint8Array; headers: Array<[string, string]>; contentType: string } {
  const status = typeof rejection === 'number' ? rejection : rejection.status || 400;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new RangeError(`Not a rejection status: ${status}`);
  }
  const message =
    options?.message ?? (typeof rejection === 'number' ? statusText(status) : rejection.message);
  const body = utf8Encode(message);
  const headers: Array<[string, string]> = [];
  let contentType = 'text/plain; charset=utf-8';
  if (typeof rejection !== 'number') for (const [n, v] of rejection.headers) headers.push([n, v]);
  for (const [n, v] of headerListFrom(options?.headers)) {
    const name = n.toLowerCase();
    // The body's type may be given (e.g. a JSON refusal); its length is always the body's own.
    if (name === 'content-type') contentType = v;
    else if (name !== 'content-length') headers.push([n, v]);
  }
  return { status, body, headers, contentType };
}

/**
 * An HTTP/1.1 rejection as bytes: status line, the error's headers (e.g. `Sec-WebSocket-Version: 13`
 * with 426, `Allow: GET` with 405), `Upgrade: websocket` with 426 (RFC 9110 §15.5.22),
 * `Connection: close`, a short `text/plain` body and its `Content-Length`. The facade writes it and
 * closes the socket.
 */
export function serializeRejection(
  rejection: HandshakeError | number,
  options?: RejectionOptions,
): Uint8Array {
  const { status, body, headers, contentType } = rejectionParts(rejection, options);
  const list: Array<[string, string]> = [['Connection', 'close']];
  if (status === 426) list.push(['Upgrade', 'websocket']);
  list.push(['Content-Type', contentType], ['Content-Length', String(body.length)]);
  for (const h of headers) list.push(h);
  return serializeHead(`HTTP/1.1 ${status} ${statusText(status)}`, list, body);
}

/** An HTTP/2 rejection: the header list (`:status` first, names lower case) and the body bytes. */
export function rejectionH2(
  rejection: HandshakeError | number,
  options?: RejectionOptions,
): { headers: Array<[string, string]>; body: Uint8Array } {
  const { status, body, headers, contentType } = rejectionParts(rejection, options);
  const list: Array<[string, string]> = [
    [':status', String(status)],
    ['content-type', contentType],
    ['content-length', String(body.length)],
  ];
  for (const [n, v] of headers) list.push([n.toLowerCase(), v]);
  return { headers: list, body };
}
