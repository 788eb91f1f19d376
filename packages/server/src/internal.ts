/**
 * Package-internal seams between the server and its connections. Not exported from the
 * package entry: `WebSocketServer` (and the topics/pub-sub layer to come) use them to drive
 * connections without widening the public surface.
 */
import type { ServerCounters, TransportKind } from './diagnostics.js';
import type { ResolvedOptions } from './options.js';
import type { TopicRegistry } from './topics.js';
import type { ServerWebSocket } from './websocket.js';

/** Operations the server runs on its connections; see `connectionInternals`. */
export interface ConnectionInternals {
  /** One heartbeat step: ping a silent connection, terminate one that stayed silent. */
  heartbeat(ws: object): void;
  /** Closes (1001) a connection idle for `idleTimeout` at `now`. */
  idleCheck(ws: object, now: number): void;
}
/**
 * What connections accepted alike share (one object for many connections): the server that
 * accepted them and what their handshake negotiated.
 */
export interface ConnectionProfile {
  readonly host: ConnectionHost;
  readonly protocol: string;
  /** The `Sec-WebSocket-Extensions` response value, or `''`. */
  readonly extensions: string;
  /** See `ServerWebSocket.sharedDeflateWindowBits`. */
  readonly sharedDeflateWindowBits: number;
  readonly transport: TransportKind;
}

/** What a connection needs from the server that accepted it. */
export interface ConnectionHost {
  readonly limits: ResolvedOptions;
  /** A coarse clock (ms since the server started), refreshed by the idle sweep; read per message for idle tracking. */
  readonly now: number;
  /** Called once when the connection's socket has closed, with the code and reason it reports. */
  connectionClosed(ws: object, code: number, reason: string): void;
  /** Called when the peer broke the protocol (before the close frame goes out). */
  connectionFailed(ws: object, error: Error): void;
  /** The server's topics (publish/subscribe). */
  readonly topics: TopicRegistry<ServerWebSocket<unknown>>;
  /** The server's counters (connections, bytes, messages). */
  readonly counters: ServerCounters;
}

/** Connection profiles kept per server (distinct negotiations seen; more are made uncached). */
const MAX_PROFILES = 64;

/**
 * The profiles of one server's connections: one object shared by the connections
 * negotiated alike (a few per server), so that a connection does not carry these fields
 * itself. Bounded: a `handleProtocols` that echoes client-chosen names cannot grow it.
 */
export class ProfileCache {
  readonly #host: ConnectionHost;
  readonly #profiles = new Map<string, ConnectionProfile>();
  /** The profiles of a plain negotiation (no subprotocol, no extension), by transport. */
  readonly #plainHttp1: ConnectionProfile;
  readonly #plainH2: ConnectionProfile;

  /** @param host - the server the profiles' connections belong to */
  constructor(host: ConnectionHost) {
    this.#host = host;
    this.#plainHttp1 = this.#make('http/1.1', '', '', 0);
    this.#plainH2 = this.#make('h2', '', '', 0);
  }

  /** The profile of a negotiation (made and cached on first use). */
  get(
    transport: TransportKind,
    protocol: string,
    extensions: string,
    sharedDeflateWindowBits: number,
  ): ConnectionProfile {
    // The usual handshake negotiates nothing: no key to build, no map to search.
    if (protocol === '' && extensions === '' && sharedDeflateWindowBits === 0)
      return transport === 'h2' ? this.#plainH2 : this.#plainHttp1;
    const key = `${transport}\n${sharedDeflateWindowBits}\n${protocol}\n${extensions}`;
    let profile = this.#profiles.get(key);
    if (profile === undefined) {
      profile = this.#make(transport, protocol, extensions, sharedDeflateWindowBits);
      if (this.#profiles.size < MAX_PROFILES) this.#profiles.set(key, profile);
    }
    return profile;
  }

  #make(
    transport: TransportKind,
    protocol: string,
    extensions: string,
    sharedDeflateWindowBits: number,
  ): ConnectionProfile {
    return Object.freeze({
      host: this.#host,
      transport,
      protocol,
      extensions,
      sharedDeflateWindowBits,
    });
  }
}
