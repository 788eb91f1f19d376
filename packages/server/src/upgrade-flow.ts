/**
 * The upgrade flow of one `WebSocketServer`, from a request to an adopted connection:
 * validation (`@strata-ws/handshake`), the hooks' decision (synchronous, or waiting under
 * the handshake timeout in `pending.ts`), negotiation, the `headers` event, the 101 (or the
 * HTTP/2 response), and the `ServerWebSocket` it runs on; a refusal at any step is answered
 * and counted here. What the steps decide is in `upgrade.ts`; where requests come from, and
 * the server's lifetime, in `server.ts`.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  HandshakeError,
  type ValidatedUpgradeRequest,
  validateExtendedConnect,
  validateUpgradeRequest,
} from '@strata-ws/handshake';
import { allocateBuffer, nodeMasking } from '@strata-ws/node-host';
import type { ConnectionOptions } from '@strata-ws/protocol';
import { createDeflateSupport, type DeflateSupport } from './deflate.js';
import { diagnostics, type ServerCounters, type TransportKind } from './diagnostics.js';
import { parsedHeadersOf } from './http1-listener.js';
import { http2Request, isSecureStream, streamAsSocket } from './http2.js';
import { type ConnectionHost, ProfileCache } from './internal.js';
import type { ResolvedOptions, UpgradeDecision, WebSocketServerOptions } from './options.js';
import { PendingHandshakes } from './pending.js';
import type { UpgradeCallback, WebSocketServerEvents } from './server.js';
import { claimSocket, ignoreSocketError } from './socket-events.js';
import {
  decide,
  extraAfterListeners,
  isSettled,
  type Negotiated,
  negotiate,
  type OriginChecker,
  originChecker,
  type RefusalReporter,
  refuse,
  responseLines,
  serializeResponse,
} from './upgrade.js';
import { ServerWebSocket } from './websocket.js';

/**
 * Runs the upgrades of one server. `WebSocketServer.handleUpgrade` and
 * `handleHttp2Stream` hand their arguments here; `stop()` (from the server's `close()`)
 * refuses every later upgrade with 503 and ends the pending ones.
 */
export class UpgradeFlow<Data> {
  readonly #events: EventEmitter<WebSocketServerEvents<Data>>;
  readonly #userOptions: WebSocketServerOptions<Data>;
  readonly #clients: Set<ServerWebSocket<Data>>;
  readonly #counters: ServerCounters;
  readonly #pending: PendingHandshakes;
  readonly #profiles: ProfileCache;
  readonly #baseConnectionOptions: ConnectionOptions;
  readonly #deflate: DeflateSupport | null;
  readonly #originCheck: OriginChecker;
  /** Counts, reports and emits refused handshakes (see `upgrade.ts`'s `refuse`). */
  readonly #reporter: RefusalReporter;
  #stopped = false;

  /**
   * @param events - the server: emits `headers` and `wsClientError`
   * @param userOptions - the options as given (hooks, deflate, origins)
   * @param limits - the resolved options
   * @param host - what the connections report to
   * @param clients - the server's open connections (adopted ones are added)
   */
  constructor(
    events: EventEmitter<WebSocketServerEvents<Data>>,
    userOptions: WebSocketServerOptions<Data>,
    limits: ResolvedOptions,
    host: ConnectionHost,
    clients: Set<ServerWebSocket<Data>>,
  ) {
    this.#events = events;
    this.#userOptions = userOptions;
    this.#clients = clients;
    const counters = host.counters;
    this.#counters = counters;
    this.#pending = new PendingHandshakes(limits.handshakeTimeout);
    this.#profiles = new ProfileCache(host);
    this.#baseConnectionOptions = Object.freeze({
      role: 'server' as const,
      allocate: allocateBuffer,
      // bufferutil's unmasking when it is installed (as ws), else the codec's JavaScript.
      masking: nodeMasking(),
      maxPayload: limits.maxPayload,
      maxMessageSize: limits.maxMessageSize,
      maxFragments: limits.maxFragments,
      autoPong: limits.autoPong,
      maxBufferedInput: limits.maxBufferedInput,
    });
    this.#deflate = userOptions.perMessageDeflate
      ? createDeflateSupport(
          userOptions.perMessageDeflate === true ? {} : userOptions.perMessageDeflate,
        )
      : null;
    this.#originCheck = originChecker(userOptions.origins);
    this.#reporter = {
      refused: (request, socket, status, error, h2) => {
        counters.handshakesRefused++;
        diagnostics.refused(request, h2 ? 'h2' : 'http/1.1', status, error.message);
        if (events.listenerCount('wsClientError') > 0)
          events.emit('wsClientError', error, socket, request);
      },
    };
  }

  /** Refuses later upgrades (503) and ends the pending ones. */
  stop(): void {
    this.#stopped = true;
    this.#pending.destroyAll();
  }

  /** An HTTP/1.1 upgrade; see `WebSocketServer.handleUpgrade`. */
  upgrade(
    request: IncomingMessage,
    socket: Socket,
    head: Buffer,
    callback: UpgradeCallback<Data>,
  ): void {
    claimSocket(socket);
    diagnostics.upgrade(request, 'http/1.1');
    // Nothing to report from the socket until it is a connection ('close' tells the end);
    // a listener keeps an ECONNRESET from becoming an uncaught exception.
    if (socket.listenerCount('error') === 0) socket.on('error', ignoreSocketError);
    if (this.#stopped) {
      refuse(this.#reporter, request, socket, CLOSING());
      return;
    }
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return;
    }
    let validated: ValidatedUpgradeRequest;
    let decision: UpgradeDecision<Data> | PromiseLike<UpgradeDecision<Data>>;
    try {
      validated = validateUpgradeRequest(
        {
          method: request.method ?? '',
          httpVersion: request.httpVersion,
          url: request.url,
          headers: headersToValidate(request),
        },
        { checkOrigin: this.#originCheck(request) },
      );
      decision = decide(this.#userOptions, request, {
        origin: validated.origin,
        secure: (socket as TLSSocket).encrypted === true,
        protocols: validated.protocols,
      });
    } catch (error) {
      refuse(this.#reporter, request, socket, error);
      return;
    }
    this.#settle(request, socket, undefined, head, validated, decision, callback);
  }

  /** An RFC 8441 extended CONNECT stream; see `WebSocketServer.handleHttp2Stream`. */
  http2Stream(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    callback: UpgradeCallback<Data>,
  ): void {
    const request = http2Request(stream, headers);
    diagnostics.upgrade(request, 'h2');
    const socket = streamAsSocket(stream);
    socket.on('error', ignoreSocketError);
    if (this.#stopped) {
      refuse(this.#reporter, request, socket, CLOSING(), stream);
      return;
    }
    if (stream.destroyed || stream.closed) return;
    let validated: ValidatedUpgradeRequest;
    let decision: UpgradeDecision<Data> | PromiseLike<UpgradeDecision<Data>>;
    try {
      validated = validateExtendedConnect(headers, { checkOrigin: this.#originCheck(request) });
      decision = decide(this.#userOptions, request, {
        origin: validated.origin,
        secure: isSecureStream(stream),
        protocols: validated.protocols,
      });
    } catch (error) {
      refuse(this.#reporter, request, socket, error, stream);
      return;
    }
    this.#settle(request, socket, stream, EMPTY_HEAD, validated, decision, callback);
  }

  /**
   * Completes the upgrade once the decision is made: at once when the hooks answered
   * synchronously (or there are none: no timer, no closure, straight to the response), else
   * when the promise settles, under the handshake deadline (a refusal at the deadline).
   */
  #settle(
    request: IncomingMessage,
    socket: Socket,
    stream: ServerHttp2Stream | undefined,
    head: Buffer,
    validated: ValidatedUpgradeRequest,
    decision: UpgradeDecision<Data> | PromiseLike<UpgradeDecision<Data>>,
    callback: UpgradeCallback<Data>,
  ): void {
    if (isSettled(decision)) {
      this.#complete(request, socket, stream, head, validated, decision, callback);
      return;
    }
    this.#pending.wait(
      socket,
      stream,
      decision,
      (result) => this.#complete(request, socket, stream, head, validated, result, callback),
      (error) => refuse(this.#reporter, request, socket, error ?? TIMEOUT(), stream),
    );
  }

  /**
   * The end of a decided upgrade: negotiation (a refusal answers the request), the
   * `headers` event, the response, then the connection and the callback. Once the response
   * is written nothing is answered in HTTP any more: an exception after it (the user's
   * callback) propagates and the socket is left to its connection.
   */
  #complete(
    request: IncomingMessage,
    socket: Socket,
    stream: ServerHttp2Stream | undefined,
    head: Buffer,
    validated: ValidatedUpgradeRequest,
    decision: UpgradeDecision<Data>,
    callback: UpgradeCallback<Data>,
  ): void {
    let negotiated: Negotiated<Data>;
    try {
      negotiated = negotiate(
        this.#userOptions,
        this.#deflate,
        this.#baseConnectionOptions,
        request,
        validated,
        decision,
      );
    } catch (error) {
      refuse(this.#reporter, request, socket, error, stream);
      return;
    }
    let extra = negotiated.extra;
    const events = this.#events;
    if (events.listenerCount('headers') > 0) {
      const given = responseLines(negotiated);
      const lines = given.slice();
      try {
        events.emit('headers', lines, request);
        extra = extraAfterListeners(negotiated, given, lines);
      } catch (error) {
        // The user's exception: no HTTP answer (as in `ws`), no connection.
        socket.destroy();
        throw error;
      }
    }
    let response: Uint8Array | Record<string, string | string[]>;
    try {
      response = serializeResponse(negotiated.handshake, extra);
    } catch (error) {
      refuse(this.#reporter, request, socket, error, stream);
      return;
    }
    if (stream === undefined) {
      socket.write(response as Uint8Array);
      if (head.length > 0) socket.unshift(head);
    } else {
      stream.respond(response as Record<string, string | string[]>);
    }
    const ws = this.#adopt(socket, request, negotiated, stream === undefined ? 'http/1.1' : 'h2');
    callback(ws, request);
  }

  /** Runs a connection on a transport whose handshake response was sent. */
  #adopt(
    socket: Socket,
    request: IncomingMessage,
    negotiated: Negotiated<Data>,
    transport: TransportKind,
  ): ServerWebSocket<Data> {
    const ws = new ServerWebSocket<Data>(
      socket,
      this.#profiles.get(
        transport,
        negotiated.protocol,
        negotiated.extensionsHeader,
        negotiated.sharedWindowBits,
      ),
      negotiated.connectionOptions,
      negotiated.data,
    );
    this.#clients.add(ws);
    const counters = this.#counters;
    counters.connectionsOpen++;
    counters.connectionsTotal++;
    if (transport === 'h2') counters.connectionsHttp2++;
    else counters.connectionsHttp1++;
    diagnostics.open(ws, request, transport, negotiated.protocol, negotiated.extensionsHeader);
    return ws;
  }
}

/**
 * The header record validation reads. Own port: the one the head parser made, so node:http's
 * `req.headers` is not built unless someone reads it. Of the fields validation reads, only
 * `Host` follows another rule in node:http when repeated (the first one counts, where the
 * parser joins them with ", "): a parsed Host holding a comma defers to node:http's record.
 */
function headersToValidate(request: IncomingMessage): IncomingMessage['headers'] {
  const parsed = parsedHeadersOf(request);
  if (parsed === undefined || parsed.host?.includes(',')) return request.headers;
  return parsed;
}

const EMPTY_HEAD: Buffer = Buffer.alloc(0);

/** The answer to a handshake whose hook did not decide within `handshakeTimeout`. */
const TIMEOUT = (): HandshakeError =>
  new HandshakeError('request-head', 'Handshake timeout', { status: 408 });

/** The answer to an upgrade that arrives while the server closes. */
const CLOSING = (): HandshakeError =>
  new HandshakeError('request-head', 'Server closing', { status: 503 });
