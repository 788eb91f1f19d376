/**
 * Bun, `native` mode: the hooks on `Bun.serve`'s own WebSocket server (uWebSockets inside).
 * The `upgrade` hook runs in `fetch` before `server.upgrade`; the peer wraps Bun's
 * `ServerWebSocket` (topics are Bun's publish/subscribe, backpressure Bun's buffered amount
 * read against `highWaterMark`). The options are mapped onto Bun's where Bun has one; what Bun
 * cannot do is listed, measured, in the README ("What differs in native mode").
 */
import { encodeClosePayload } from '@strata-ws/codec';
import { resolveLimits } from '@strata-ws/protocol';
import { HookRunner } from '../core/hooks.js';
import { createMessage } from '../core/message.js';
import { nextPeerId } from '../core/peer-id.js';
import { toPayload } from '../core/send.js';
import { checkTopic } from '../core/topics.js';
import { offeredProtocols, runUpgrade } from '../core/upgrade.js';
import { resolveEngineProfile } from '../engine/options.js';
import { checkListen, waitForPeers, withTimeout } from '../engine/runtime.js';
import type {
  HandlerOptions,
  Hooks,
  Peer,
  PeerReadyState,
  SendData,
  SendOptions,
  SendStatus,
} from '../types.js';
import {
  type BunServer,
  type BunServerWebSocket,
  type BunWebSocketHandler,
  bun,
} from './bun-api.js';
import type { BunHandler, BunHandlerOptions } from './options.js';

/** What each Bun connection carries from `fetch` to `open` (Bun's `ws.data`). */
interface NativeData<Context> {
  readonly id: string;
  readonly request: Request;
  readonly context: Context;
  readonly protocol: string;
  peer: BunPeer<Context> | null;
}

/** Bun's largest `maxPayloadLength` we pass (a 32-bit size). */
const BUN_MAX_PAYLOAD = 2 ** 31 - 1;

/** A peer over Bun's `ServerWebSocket`. */
class BunPeer<Context> implements Peer<Context> {
  readonly id: string;
  readonly request: Request;
  readonly remoteAddress: string | undefined;
  context: Context;
  readonly protocol: string;
  readonly extensions: string;
  readonly #ws: BunServerWebSocket<NativeData<Context>>;
  readonly #topics = new Set<string>();
  readonly #highWaterMark: number;
  /** A send answered -1: call `drain` when Bun's queue is back under `highWaterMark`. */
  wantDrain = false;

  constructor(
    ws: BunServerWebSocket<NativeData<Context>>,
    highWaterMark: number,
    deflate: boolean,
  ) {
    const data = ws.data;
    this.id = data.id;
    this.request = data.request;
    this.remoteAddress = ws.remoteAddress || undefined;
    this.context = data.context;
    this.protocol = data.protocol;
    // Bun does not say what it agreed; it agrees permessage-deflate whenever it is on and offered.
    const offered = data.request.headers.get('sec-websocket-extensions') ?? '';
    this.extensions = deflate && /permessage-deflate/i.test(offered) ? 'permessage-deflate' : '';
    this.#ws = ws;
    this.#highWaterMark = highWaterMark;
  }

  get readyState(): PeerReadyState {
    const state = this.#ws.readyState;
    return state === 1 || state === 2 ? state : 3;
  }

  get bufferedAmount(): number {
    return this.#ws.getBufferedAmount();
  }

  get topics(): ReadonlySet<string> {
    return this.#topics;
  }

  send(data: SendData, options?: SendOptions): SendStatus {
    // Strings and Uint8Arrays go to Bun as they are (the hot path); Bun answers 0 itself when
    // the socket is not open.
    const payload =
      typeof data === 'string' || data instanceof Uint8Array ? data : toPayload(data).data;
    const sent = this.#ws.send(payload, options?.compress);
    // Bun answers -1 only when the message waits in its queue: only then can the queue be
    // over highWaterMark.
    if (sent !== -1) return sent === 0 ? 0 : Math.max(sent, 1);
    if (this.#ws.getBufferedAmount() <= this.#highWaterMark) return Math.max(payload.length, 1);
    this.wantDrain = true;
    return -1;
  }

  subscribe(topic: string): void {
    checkTopic(topic);
    if (this.#ws.readyState !== 1) return;
    this.#topics.add(topic);
    this.#ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (!this.#topics.delete(topic)) return;
    if (this.#ws.readyState === 1) this.#ws.unsubscribe(topic);
  }

  isSubscribed(topic: string): boolean {
    return this.#topics.has(topic);
  }

  publish(topic: string, data: SendData, options?: SendOptions): void {
    checkTopic(topic);
    if (this.#ws.readyState !== 1) return;
    this.#ws.publish(topic, toPayload(data).data, options?.compress);
  }

  close(code = 1000, reason = ''): void {
    // The codec's rules for a sendable close code and reason (RangeError otherwise).
    encodeClosePayload(code, reason);
    if (this.#ws.readyState === 1) this.#ws.close(code, reason);
  }

  terminate(): void {
    if (this.#ws.readyState !== 3) this.#ws.terminate();
  }
}

/** What {@link bunWebSocket} returns: the two pieces a `Bun.serve` call needs. */
export interface BunWebSocket<Context> {
  /**
   * Runs the `upgrade` hook and upgrades: resolves to `undefined` once upgraded (return that
   * from `fetch`), or to the refusal `Response`.
   */
  upgrade(request: Request, server: BunServer): Promise<Response | undefined>;
  /** Bun's `websocket` option. */
  readonly websocket: BunWebSocketHandler<NativeData<Context>>;
  /** The open peers. */
  readonly peers: ReadonlySet<Peer<Context>>;
  /** The `closeTimeout` option (ms), for a graceful close. */
  readonly closeTimeout: number;
}

/**
 * The hooks as the two pieces of your own `Bun.serve({ fetch, websocket })` (for frameworks
 * that own the server, e.g. Hono): call `upgrade(request, server)` from `fetch` for upgrade
 * requests and pass `websocket` as is.
 *
 * @throws TypeError / RangeError naming a bad option
 */
export function bunWebSocket<Context = unknown>(
  hooks: Hooks<Context>,
  options: HandlerOptions = {},
  ownOptions: readonly string[] = [],
): BunWebSocket<Context> {
  const profile = resolveEngineProfile(options, ownOptions);
  const runner = new HookRunner(hooks);
  const peers = new Set<BunPeer<Context>>();
  const limits = resolveLimits(options, { role: 'server' });
  const maxPayloadLength = Math.min(limits.maxMessageSize, limits.maxPayload, BUN_MAX_PAYLOAD);
  const heartbeatSeconds = Math.ceil((profile.heartbeatInterval * 2) / 1000);

  return {
    peers,
    closeTimeout: profile.closeTimeout,
    async upgrade(request, server) {
      const outcome = await withTimeout(
        runUpgrade(hooks, request, offeredProtocols(request), {
          protocols: profile.protocols,
          onError: profile.onError,
        }),
        profile.handshakeTimeout,
      );
      if (outcome.kind === 'refuse') return outcome.response;
      const headers = new Headers(outcome.headers);
      // Without the header Bun agrees the client's first subprotocol; empty, it agrees none.
      headers.set('sec-websocket-protocol', outcome.protocol);
      const data: NativeData<Context> = {
        id: nextPeerId(),
        request,
        context: outcome.context,
        protocol: outcome.protocol,
        peer: null,
      };
      if (server.upgrade(request, { data, headers })) return undefined;
      return new Response('Not a valid WebSocket upgrade', { status: 400 });
    },
    websocket: {
      maxPayloadLength,
      backpressureLimit: profile.maxBufferedAmount,
      closeOnBackpressureLimit: profile.backpressurePolicy === 'close',
      // Bun closes a connection silent for idleTimeout seconds and pings to keep live ones open.
      idleTimeout: Math.min(heartbeatSeconds, 960),
      sendPings: profile.heartbeatInterval > 0,
      perMessageDeflate: profile.perMessageDeflate,
      publishToSelf: false,
      open(ws) {
        const peer = new BunPeer(ws, profile.highWaterMark, profile.perMessageDeflate);
        ws.data.peer = peer;
        peers.add(peer);
        runner.open(peer);
      },
      message(ws, message) {
        const peer = ws.data.peer;
        if (peer === null) return;
        const isBinary = typeof message !== 'string';
        runner.message(peer, createMessage(message, isBinary));
      },
      drain(ws) {
        const peer = ws.data.peer;
        if (peer === null || !peer.wantDrain) return;
        if (ws.getBufferedAmount() > profile.highWaterMark) return;
        peer.wantDrain = false;
        runner.drain(peer);
      },
      close(ws, code, reason) {
        const peer = ws.data.peer;
        if (peer === null) return;
        peers.delete(peer);
        runner.close(peer, { code, reason });
      },
    },
  };
}

/** `Bun.serve` with the hooks (native mode). */
export function serveNative<Context>(
  hooks: Hooks<Context>,
  options: BunHandlerOptions,
  ownOptions: readonly string[],
): BunHandler<Context> {
  const { port, host } = checkListen(options.port, options.host);
  const fallback = options.fetch;
  if (fallback !== undefined && typeof fallback !== 'function') {
    throw new TypeError('fetch must be a function');
  }
  const ws = bunWebSocket(hooks, options, ownOptions);
  const server = bun().serve<NativeData<Context>>({
    port,
    hostname: host,
    fetch(request, srv) {
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        return ws.upgrade(request, srv);
      }
      if (fallback !== undefined) return fallback(request);
      return new Response('Upgrade Required', { status: 426, headers: { upgrade: 'websocket' } });
    },
    websocket: ws.websocket,
  });
  return {
    mode: 'native',
    port: server.port,
    ready: Promise.resolve(server.port),
    peers: ws.peers,
    publish(topic, data, publishOptions) {
      checkTopic(topic);
      const payload =
        typeof data === 'string' || data instanceof Uint8Array ? data : toPayload(data).data;
      server.publish(topic, payload, publishOptions?.compress);
    },
    async close() {
      for (const peer of [...ws.peers]) peer.close(1001);
      await waitForPeers(ws.peers, ws.closeTimeout);
      await server.stop(true);
    },
  };
}
