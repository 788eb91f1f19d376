/**
 * Cloudflare Workers, Durable Object mode, on the WebSocket hibernation API: the object accepts
 * each socket with `state.acceptWebSocket` (so the object may be evicted from memory while
 * connections stay open) and the runtime calls `webSocketMessage` / `webSocketClose` /
 * `webSocketError`. What a peer needs after a wake-up — its id, context, subprotocol, URL and
 * topics — is kept in the socket's attachment (`serializeAttachment`, structured-clonable,
 * at most 2 KiB in production) and the peers and topics are rebuilt from
 * `state.getWebSockets()` on the first event after a wake-up. Portable.
 */
import { HookRunner } from '../core/hooks.js';
import { nextPeerId } from '../core/peer-id.js';
import { LocalTopics } from '../core/topics.js';
import { publishTo, type WebPeerHost, WebSocketPeer } from '../engine/web-peer.js';
import type { HandlerOptions, Hooks, Peer, SendData } from '../types.js';
import { acceptUpgrade, closeBack, remoteAddressOf, resolveWorkersProfile } from './fetch.js';
import type { DurableObjectStateLike, WorkersWebSocket } from './workers-api.js';

/** What survives hibernation with each socket. */
interface Attachment<Context> {
  readonly id: string;
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly remoteAddress: string | undefined;
  readonly context: Context;
  readonly topics: string[];
}

/** Topic bookkeeping that writes a peer's topics into its socket's attachment on each change. */
class PersistedTopics<P> extends LocalTopics<P> {
  readonly #persist: (peer: P) => void;
  quiet = false;

  constructor(persist: (peer: P) => void) {
    super();
    this.#persist = persist;
  }

  override subscribe(peer: P, topic: string): void {
    const had = this.isSubscribed(peer, topic);
    super.subscribe(peer, topic);
    if (!had && !this.quiet) this.#persist(peer);
  }

  override unsubscribe(peer: P, topic: string): void {
    const had = this.isSubscribed(peer, topic);
    super.unsubscribe(peer, topic);
    if (had && !this.quiet) this.#persist(peer);
  }
}

/** The Durable Object class {@link defineDurableObject} returns (extend it to add methods). */
export interface HandlerDurableObject<Context> {
  /** The object's `fetch`: upgrades WebSocket requests (others: 426). */
  fetch(request: Request): Promise<Response>;
  /** Hibernation API: a message arrived. */
  webSocketMessage(ws: WorkersWebSocket, message: string | ArrayBuffer): void;
  /** Hibernation API: the peer closed (or the connection ended). */
  webSocketClose(ws: WorkersWebSocket, code: number, reason: string, wasClean: boolean): void;
  /** Hibernation API: the socket failed. */
  webSocketError(ws: WorkersWebSocket, error: unknown): void;
  /** The open peers of this object (rebuilt after a wake-up). */
  readonly peers: ReadonlySet<Peer<Context>>;
  /** Sends to every subscriber of `topic` in this object; returns how many peers it went to. */
  publish(topic: string, data: SendData): number;
}

/** The constructor of {@link HandlerDurableObject} (what Workers instantiates). */
export type HandlerDurableObjectClass<Context> = new (
  state: DurableObjectStateLike,
  env: unknown,
) => HandlerDurableObject<Context>;

/**
 * A Durable Object class serving the hooks with the hibernation API. Export it (or a subclass)
 * from the Worker and route upgrade requests to an instance (`env.ROOM.get(id).fetch(request)`).
 *
 * @example
 * ```ts
 * export const Room = defineDurableObject(hooks);
 * export default { fetch: (req: Request, env: Env) => env.ROOM.get(env.ROOM.idFromName('lobby')).fetch(req) };
 * ```
 * @throws TypeError / RangeError naming a bad option
 */
export function defineDurableObject<Context = unknown>(
  hooks: Hooks<Context>,
  options?: HandlerOptions,
): HandlerDurableObjectClass<Context> {
  const profile = resolveWorkersProfile(options);
  const runner = new HookRunner(hooks);

  return class StrataHandlerObject implements HandlerDurableObject<Context> {
    readonly state: DurableObjectStateLike;
    readonly env: unknown;
    readonly #bySocket = new Map<WorkersWebSocket, WebSocketPeer<Context>>();
    readonly #sockets = new WeakMap<WebSocketPeer<Context>, WorkersWebSocket>();
    readonly #peers = new Set<WebSocketPeer<Context>>();
    readonly #topics: PersistedTopics<WebSocketPeer<Context>>;
    readonly #host: WebPeerHost<Context>;
    #restored = false;

    constructor(state: DurableObjectStateLike, env: unknown) {
      this.state = state;
      this.env = env;
      this.#topics = new PersistedTopics((peer) => this.#persist(peer));
      this.#host = {
        runner,
        profile,
        topics: this.#topics,
        release: (peer) => {
          this.#peers.delete(peer);
          const ws = this.#sockets.get(peer);
          if (ws !== undefined) this.#bySocket.delete(ws);
        },
      };
    }

    get peers(): ReadonlySet<Peer<Context>> {
      this.#restore();
      return this.#peers;
    }

    publish(topic: string, data: SendData): number {
      this.#restore();
      return publishTo(this.#topics, topic, data, undefined);
    }

    async fetch(request: Request): Promise<Response> {
      this.#restore();
      const accepted = await acceptUpgrade(hooks, profile, request);
      if (accepted instanceof Response) return accepted;
      const { outcome, server, response } = accepted;
      this.state.acceptWebSocket(server);
      const attachment: Attachment<Context> = {
        id: nextPeerId(),
        url: request.url,
        protocol: outcome.protocol,
        extensions: response.headers.get('sec-websocket-extensions') ?? '',
        remoteAddress: remoteAddressOf(request),
        context: outcome.context,
        topics: [],
      };
      server.serializeAttachment(attachment);
      const peer = this.#adopt(server, attachment, request);
      peer.opened();
      return response;
    }

    webSocketMessage(ws: WorkersWebSocket, message: string | ArrayBuffer): void {
      const peer = this.#peerOf(ws);
      if (peer === undefined) return;
      if (typeof message === 'string') peer.received(message, false);
      else peer.received(new Uint8Array(message), true);
    }

    webSocketClose(ws: WorkersWebSocket, code: number, reason: string, _wasClean: boolean): void {
      const peer = this.#peerOf(ws);
      closeBack(ws, code, reason);
      peer?.closed(code, reason);
    }

    webSocketError(ws: WorkersWebSocket, error: unknown): void {
      const peer = this.#peerOf(ws);
      peer?.failed(error instanceof Error ? error : new Error(String(error)));
    }

    #peerOf(ws: WorkersWebSocket): WebSocketPeer<Context> | undefined {
      this.#restore();
      return this.#bySocket.get(ws);
    }

    /** After a wake-up (a new instance): the peers and topics from the sockets' attachments. */
    #restore(): void {
      if (this.#restored) return;
      this.#restored = true;
      this.#topics.quiet = true;
      try {
        for (const ws of this.state.getWebSockets()) {
          const attachment = ws.deserializeAttachment() as Attachment<Context> | null;
          if (attachment === null || typeof attachment !== 'object') continue;
          const peer = this.#adopt(ws, attachment, new Request(attachment.url));
          for (const topic of attachment.topics) this.#topics.subscribe(peer, topic);
        }
      } finally {
        this.#topics.quiet = false;
      }
    }

    #adopt(
      ws: WorkersWebSocket,
      attachment: Attachment<Context>,
      request: Request,
    ): WebSocketPeer<Context> {
      const peer = new WebSocketPeer<Context>(ws, this.#host, {
        id: attachment.id,
        request,
        remoteAddress: attachment.remoteAddress,
        context: attachment.context,
        protocol: attachment.protocol,
        extensions: attachment.extensions,
      });
      this.#bySocket.set(ws, peer);
      this.#sockets.set(peer, ws);
      this.#peers.add(peer);
      return peer;
    }

    /** Writes the peer's current topics (and context) into its socket's attachment. */
    #persist(peer: WebSocketPeer<Context>): void {
      const ws = this.#sockets.get(peer);
      if (ws === undefined) return;
      const previous = ws.deserializeAttachment() as Attachment<Context>;
      ws.serializeAttachment({
        ...previous,
        context: peer.context,
        topics: [...this.#topics.topicsOf(peer)],
      });
    }
  };
}
