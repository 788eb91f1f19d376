/**
 * The upgrade decision, shared by HTTP/1.1 and HTTP/2: the hooks (`verifyClient`,
 * `authenticate`) turned into a decision, the decision turned into a negotiated handshake
 * (subprotocol, extensions, engine options, the response header lines the `headers` event
 * sees), and a refusal turned into an HTTP answer. No socket is adopted here; `server.ts`
 * owns that.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import {
  HandshakeError,
  negotiateUpgrade,
  responseHeadersH2,
  type ServerHandshake,
  serializeRejection,
  serializeSwitchingProtocols,
  type ValidatedUpgradeRequest,
} from '@strata-ws/handshake';
import type { ConnectionOptions } from '@strata-ws/protocol';
import type { DeflateSupport } from './deflate.js';
import { refuseStream } from './http2.js';
import type {
  OriginPolicy,
  UpgradeDecision,
  UpgradeInfo,
  WebSocketServerOptions,
} from './options.js';
import { ignoreSocketError } from './socket-events.js';

/** A refused handshake from the authentication hook, carried to the response writer. */
export class Refusal extends Error {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders | undefined;
  readonly body: string | undefined;
  constructor(status: number, headers: OutgoingHttpHeaders | undefined, body: string | undefined) {
    super(body ?? `Refused with ${status}`);
    this.name = 'UpgradeRefused';
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

/** The extra headers of an upgrade that adds none (shared: read and copied, never changed). */
const NO_HEADERS: Array<[string, string]> = [];

/** Header pairs from an `OutgoingHttpHeaders` object (arrays become repeated fields). */
export function headerInit(headers: OutgoingHttpHeaders | undefined): Array<[string, string]> {
  if (headers === undefined) return NO_HEADERS;
  const list: Array<[string, string]> = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) list.push([name, String(v)]);
    else list.push([name, String(value)]);
  }
  return list;
}

/** The path of a request target, without its query. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** The origin check of one request, as the handshake validator takes it. */
export type OriginChecker = (
  request: IncomingMessage,
) => ((origin: string | undefined) => boolean) | readonly string[] | undefined;

/** Turns the `origins` option into the check of each request. */
export function originChecker(origins: OriginPolicy | undefined): OriginChecker {
  if (origins === undefined) return () => undefined;
  if (origins instanceof RegExp) {
    // A RegExp must match the Origin; a request without one is refused (403) on HTTP/1.1 and
    // HTTP/2 alike. `test` on a `g`/`y` pattern starts at `lastIndex` and moves it, so every
    // other request from an allowed origin would be refused: match with a stateless copy.
    const pattern =
      origins.global || origins.sticky
        ? new RegExp(origins.source, origins.flags.replace(/[gy]/g, ''))
        : origins;
    const check = (o: string | undefined): boolean => o !== undefined && pattern.test(o);
    return () => check;
  }
  if (typeof origins === 'function') return (request) => (origin) => origins(origin, request);
  return () => origins;
}

/** Runs `verifyClient` then `authenticate`: a decision, or a promise of one when either is asynchronous. */
export function decide<Data>(
  options: WebSocketServerOptions<Data>,
  request: IncomingMessage,
  info: UpgradeInfo,
): UpgradeDecision<Data> | PromiseLike<UpgradeDecision<Data>> {
  const verify = options.verifyClient;
  const authenticate = options.authenticate;
  const hook = authenticate === undefined ? undefined : () => authenticate(request, info);
  if (verify === undefined) return hook === undefined ? true : hook();
  const wsInfo = { origin: info.origin, secure: info.secure, req: request };
  if (verify.length < 2) {
    const ok = (verify as (i: typeof wsInfo) => boolean)(wsInfo);
    if (!ok) throw new Refusal(401, undefined, undefined);
    return hook === undefined ? true : hook();
  }
  return new Promise<UpgradeDecision<Data>>((resolve, reject) => {
    let called = false;
    verify(wsInfo, (result, code, message, headers) => {
      if (called) return;
      called = true;
      if (!result) reject(new Refusal(code ?? 401, headers, message));
      else if (hook === undefined) resolve(true);
      else {
        try {
          resolve(hook());
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}

/** Whether a decision is already known (not a promise). */
export function isSettled<Data>(
  decision: UpgradeDecision<Data> | PromiseLike<UpgradeDecision<Data>>,
): decision is UpgradeDecision<Data> {
  return decision === null || typeof decision !== 'object' || !('then' in decision);
}

/** What a successful negotiation produced, before the `headers` event (see {@link negotiate}). */
export interface Negotiated<Data> {
  readonly handshake: ServerHandshake;
  /** Headers from `{ accept: { headers } }`. */
  readonly extra: Array<[string, string]>;
  readonly protocol: string;
  readonly extensionsHeader: string;
  readonly connectionOptions: ConnectionOptions;
  readonly sharedWindowBits: number;
  readonly data: Data;
}

/** The subprotocol choice of a server that speaks none. */
const selectNone = (): undefined => undefined;

/**
 * Turns the hooks' decision into the negotiated handshake: subprotocol, extensions and the
 * connection's engine options. Throws a {@link Refusal} (or a `HandshakeError`/TypeError)
 * to refuse; nothing is written.
 */
export function negotiate<Data>(
  options: WebSocketServerOptions<Data>,
  deflate: DeflateSupport | null,
  baseConnectionOptions: ConnectionOptions,
  request: IncomingMessage,
  validated: ValidatedUpgradeRequest,
  decision: UpgradeDecision<Data>,
): Negotiated<Data> {
  let data: Data | undefined;
  let extraHeaders: OutgoingHttpHeaders | undefined;
  if (decision === false) throw new Refusal(401, undefined, undefined);
  if (decision !== true && decision !== undefined) {
    if ('reject' in decision) {
      const r = decision.reject;
      throw new Refusal(r.status ?? 401, r.headers, r.body);
    }
    if ('accept' in decision) {
      data = decision.accept.data;
      extraHeaders = decision.accept.headers;
    } else {
      throw new TypeError('authenticate must return a boolean, { accept } or { reject }');
    }
  }
  const handleProtocols = options.handleProtocols;
  const preferred = options.protocols;
  const handshake: ServerHandshake = negotiateUpgrade(validated, {
    // RFC 6455 §4.2.2: the server selects one of the offered subprotocols it speaks, or none.
    // Without `protocols` or `handleProtocols` it speaks none, so none is selected (answering
    // an offered one would claim a protocol nobody implements here).
    handleProtocols:
      handleProtocols !== undefined
        ? (offered) => handleProtocols(new Set(offered), request) || undefined
        : preferred !== undefined
          ? (offered) => preferred.find((p) => offered.includes(p))
          : selectNone,
    extensions: deflate === null ? undefined : [deflate.negotiator],
  });
  let connectionOptions = baseConnectionOptions;
  let extensionsHeader = '';
  let sharedWindowBits = 0;
  if (handshake.extensions.length > 0 && deflate !== null) {
    const engine = deflate.createEngine(handshake.extensions[0]!.params);
    connectionOptions = { ...connectionOptions, extensions: [engine.extension] };
    sharedWindowBits = engine.sharedWindowBits;
    for (const [name, value] of handshake.headers) {
      if (name.toLowerCase() === 'sec-websocket-extensions') extensionsHeader = value;
    }
  }
  return {
    handshake,
    extra: headerInit(extraHeaders),
    protocol: handshake.protocol ?? '',
    extensionsHeader,
    connectionOptions,
    sharedWindowBits,
    data: data as Data,
  };
}

const STATUS_101 = 'HTTP/1.1 101 Switching Protocols';

/**
 * The response header lines the `headers` event receives: on HTTP/1.1 the status line and
 * every header line of the 101 (as `ws` passes them); on HTTP/2 the `name: value` lines of
 * the response (no status line). Listeners may append lines.
 */
export function responseLines(negotiated: Negotiated<unknown>): string[] {
  const lines: string[] = [];
  if (negotiated.handshake.request.httpVersion === 1) lines.push(STATUS_101);
  for (const [name, value] of negotiated.handshake.headers) lines.push(`${name}: ${value}`);
  for (const [name, value] of negotiated.extra) lines.push(`${name}: ${value}`);
  return lines;
}

/**
 * The extra header fields after the `headers` event: every line a listener appended, after
 * the lines {@link responseLines} gave it, which must be left as they were.
 * @throws TypeError when a listener changed or removed a given line or appended one that is
 *   not `Name: value`
 */
export function extraAfterListeners(
  negotiated: Negotiated<unknown>,
  given: readonly string[],
  lines: readonly string[],
): Array<[string, string]> {
  if (lines.length < given.length || given.some((line, i) => lines[i] !== line)) {
    throw new TypeError(
      "a 'headers' listener may append header lines, not change or remove the given ones",
    );
  }
  const extra = negotiated.extra.slice();
  for (let i = given.length; i < lines.length; i++) {
    const line = lines[i];
    const colon = typeof line === 'string' ? line.indexOf(':') : -1;
    if (colon <= 0) throw new TypeError(`not a header line: ${JSON.stringify(line)}`);
    extra.push([line!.slice(0, colon).trim(), line!.slice(colon + 1).trim()]);
  }
  return extra;
}

/**
 * The response: the 101 bytes on HTTP/1.1, the `:status 200` header object on HTTP/2.
 * @throws TypeError for a header the handshake sets itself or a malformed one
 */
export function serializeResponse(
  handshake: ServerHandshake,
  extra: Array<[string, string]>,
): Uint8Array | Record<string, string | string[]> {
  if (handshake.request.httpVersion === 1)
    return serializeSwitchingProtocols(handshake, extra.length === 0 ? undefined : extra);
  return headerObject(responseHeadersH2(handshake, extra));
}

function headerObject(
  list: ReadonlyArray<readonly [string, string]>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of list) {
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else out[name] = Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}

/** Where a refusal is reported: counters, diagnostics and the `wsClientError` event. */
export interface RefusalReporter {
  refused(
    request: IncomingMessage,
    socket: Socket,
    status: number,
    error: Error,
    h2: boolean,
  ): void;
}

/** Destroys a refused socket whose peer has not closed a second after the answer. */
function destroyLater(socket: Socket): void {
  const timer = setTimeout(() => socket.destroy(), 1_000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Answers a refused handshake: HTTP/1.1 bytes on the socket, or an HTTP/2 response on the stream. */
export function refuse(
  reporter: RefusalReporter,
  request: IncomingMessage,
  socket: Socket,
  error: unknown,
  stream?: ServerHttp2Stream,
): void {
  let bytes: Uint8Array | undefined;
  let reported: Error;
  let status: number;
  if (error instanceof HandshakeError) {
    status = error.status || 400;
    if (stream === undefined) bytes = serializeRejection(error);
    else refuseStream(stream, error);
    reported = error;
  } else if (error instanceof Refusal) {
    status = error.status;
    if (!Number.isInteger(status) || status < 400 || status > 599) status = 500;
    try {
      if (stream === undefined) {
        bytes = serializeRejection(status, {
          message: error.body,
          headers: headerInit(error.headers),
        });
      } else {
        refuseStream(stream, status, error.body, headerInit(error.headers));
      }
    } catch {
      status = 500;
      if (stream === undefined) bytes = serializeRejection(500);
      else refuseStream(stream, 500);
    }
    reported = error;
  } else {
    status = 500;
    if (stream === undefined) bytes = serializeRejection(500);
    else refuseStream(stream, 500);
    reported = error instanceof Error ? error : new Error(String(error));
  }
  if (bytes !== undefined && socket.writable) socket.end(bytes);
  destroyLater(socket);
  reporter.refused(request, socket, status, reported, stream !== undefined);
}

/** Answers a request no server handles (e.g. an unknown path) and closes the socket. */
export function refuseRaw(socket: Socket, status: number, message: string): void {
  socket.on('error', ignoreSocketError);
  if (socket.writable) socket.end(serializeRejection(status, { message }));
  destroyLater(socket);
}
