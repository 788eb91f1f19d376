/**
 * Bun, `native` mode: the hooks on `Bun.serve`'s own WebSocket server (uWebSockets inside).
 * The `upgrade` hook runs in `fetch` before `server.upgrade`; the peer wraps Bun's
 * `ServerWebSocket` (topics are Bun's publish/subscribe, backpressure Bun's buffered amount
 * read against `highWaterMark`). The options are mapped onto Bun's where Bun has one; what Bun
 * cannot do is listed, measured, in the README ("What differs in native mode"). An app written
 * for `Bun.serve` (e.g. Hono with `hono/bun`'s `upgradeWebSocket` and `websocket`) runs through
 * the hooks too: its `fetch` gets a server whose `upgrade` upgrades with the hook's answer, and
 * its `websocket` handlers run after the hooks on the same `ServerWebSocket`.
 */
import { encodeClosePayload } from '@strata-ws/codec';
import { resolveLimits } from '@strata-ws/protocol';
import { HookRunner } from '../core/hooks.js';
import { createMessage } from '../core/message.js';
import { nextPeerId } from '../core/peer-id.js';
import { toPayload } from '../core/send.js';
import { checkTopic } from '../core/topics.js';
import { offeredProtocols, runUpgrade, type UpgradeOutcome } from '../core/upgrade.js';
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

/** What each Bun connection carries from `fetch` to `open`, in Bun's `ws.data` under {@link SLOT}. */
interface NativeRecord<Context> {
  readonly id: string;
  readonly request: Request;
  readonly context: Context;
  readonly protocol: string;
  /** The server that upgraded it (publishes for a peer that is already closing). */
  readonly server: BunServer;
  peer: BunPeer<Context> | null;
}

/**
 * The key of the handler's record in Bun's `ws.data`: the data object is the app's own when an
 * app upgraded (Hono keeps its events there), so the handler's part sits under a symbol.
 */
const SLOT: unique symbol = Symbol('@strata-ws/handler/bun');

/** Bun's `ws.data` of a connection the handler upgraded. */
export interface NativeData<Context> {
  [SLOT]: NativeRecord<Context>;
  [key: string]: unknown;
}

/**
 * The `websocket` handlers of an app written for `Bun.serve` (e.g. Hono's `websocket` from
 * `hono/bun`): run after the hooks, on the same `ServerWebSocket` (its `data` is the object the
 * app passed to `server.upgrade`).
 */
export interface BunAppWebSocket {
  // `never`: the app's handlers are typed for the app's own `data` (which they are given).
  open?(ws: BunServerWebSocket<never>): unknown;
  message?(ws: BunServerWebSocket<never>, message: string | Uint8Array): unknown;
  close?(ws: BunServerWebSocket<never>, code: number, reason: string): unknown;
  drain?(ws: BunServerWebSocket<never>): unknown;
}

/** An app's `fetch` for `Bun.serve` (the second argument is the server, as Bun passes it). */
export type BunAppFetch = (
  request: Request,
  server: BunServer,
) => Response | undefined | Promise<Response | undefined>;

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
  readonly #server: BunServer;
  /** A send answered -1: call `drain` when Bun's queue is back under `highWaterMark`. */
  wantDrain = false;

  constructor(
    ws: BunServerWebSocket<NativeData<Context>>,
    data: NativeRecord<Context>,
    highWaterMark: number,
    deflate: boolean,
  ) {
    this.id = data.id;
    this.request = data.request;
    this.remoteAddress = ws.remoteAddress || undefined;
    this.context = data.context;
    this.protocol = data.protocol;
    // Bun does not say what it agreed; it agrees permessage-deflate whenever it is on and offered.
    const offered = data.request.headers.get('sec-websocket-extensions') ?? '';
    this.extensions = deflate && /permessage-deflate/i.test(offered) ? 'permessage-deflate' : '';
    this.#ws = ws;
    this.#server = data.server;
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
    const sent =
      options === undefined ? this.#ws.send(payload) : this.#ws.send(payload, options.compress);
    // Bun answers the bytes it sent (> 0), 0 when dropped, and -1 only when the message waits
    // in its queue: only then can the queue be over highWaterMark.
    if (sent >= 0) return sent;
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
    const payload = toPayload(data).data;
    // Bun's ws.publish does nothing once the socket closes (e.g. a "left" from the close hook):
    // the server's publish reaches the others (this peer is unsubscribed by then).
    if (this.#ws.readyState === 1) this.#ws.publish(topic, payload, options?.compress);
    else this.#server.publish(topic, payload, options?.compress);
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
  /**
   * Runs the `upgrade` hook, then the app's `fetch` with a server whose `upgrade(request,
   * { data, headers })` upgrades with the hook's answer (context, subprotocol, headers); the
   * app's `data` object becomes `ws.data`. Resolves to `undefined` once upgraded, else to the
   * hook's refusal or the app's own response (e.g. its 404).
   */
  upgradeThrough(
    request: Request,
    server: BunServer,
    fetch: BunAppFetch,
  ): Promise<Response | undefined>;
  /** Bun's `websocket` option. */
  readonly websocket: BunWebSocketHandler<NativeData<Context>>;
  /** The open peers. */
  readonly peers: ReadonlySet<Peer<Context>>;
  /** The `closeTimeout` option (ms), for a graceful close. */
  readonly closeTimeout: number;
}

/** Options of {@link bunWebSocket}: the shared options, and the app's own `websocket` handlers. */
export interface BunWebSocketOptions extends HandlerOptions {
  /** The app's `Bun.serve` `websocket` handlers (e.g. Hono's), run after the hooks. */
  websocket?: BunAppWebSocket | undefined;
}

function checkAppWebSocket(app: BunAppWebSocket | undefined): BunAppWebSocket | undefined {
  if (app === undefined) return undefined;
  if (typeof app !== 'object' || app === null) {
    throw new TypeError(`websocket must be an object of Bun websocket handlers, got ${typeof app}`);
  }
  for (const name of ['open', 'message', 'close', 'drain'] as const) {
    if (app[name] !== undefined && typeof app[name] !== 'function') {
      throw new TypeError(`websocket.${name} must be a function, got ${typeof app[name]}`);
    }
  }
  return app;
}

/**
 * The hooks as the two pieces of your own `Bun.serve({ fetch, websocket })` (for frameworks
 * that own the server, e.g. Hono): call `upgrade(request, server)` from `fetch` for upgrade
 * requests (or `upgradeThrough` to let the app's router upgrade) and pass `websocket` as is.
 *
 * @throws TypeError / RangeError naming a bad option
 */
export function bunWebSocket<Context = unknown>(
  hooks: Hooks<Context>,
  options: BunWebSocketOptions = {},
  ownOptions: readonly string[] = [],
): BunWebSocket<Context> {
  const profile = resolveEngineProfile(options, [...ownOptions, 'websocket']);
  const app = checkAppWebSocket(options.websocket);
  const runner = new HookRunner(hooks);
  const peers = new Set<BunPeer<Context>>();
  const limits = resolveLimits(options, { role: 'server' });
  const maxPayloadLength = Math.min(limits.maxMessageSize, limits.maxPayload, BUN_MAX_PAYLOAD);
  const heartbeatSeconds = Math.ceil((profile.heartbeatInterval * 2) / 1000);
  const highWaterMark = profile.highWaterMark;
  // Read once: the per-message path checks two constants.
  const hasMessageHook = hooks.message !== undefined;
  const appMessage = app?.message;

  const accept = (request: Request): Promise<UpgradeOutcome<Context>> =>
    withTimeout(
      runUpgrade(hooks, request, offeredProtocols(request), {
        protocols: profile.protocols,
        onError: profile.onError,
      }),
      profile.handshakeTimeout,
    );

  /** Upgrades `request` on `server` with the hook's answer; `data` is the app's object, if any. */
  const upgradeWith = (
    server: BunServer,
    request: Request,
    outcome: UpgradeOutcome<Context> & { kind: 'accept' },
    appData: object | undefined,
    appHeaders: ConstructorParameters<typeof Headers>[0],
  ): boolean => {
    const headers = new Headers(appHeaders);
    outcome.headers.forEach((value, name) => {
      headers.set(name, value);
    });
    // Without the header Bun agrees the client's first subprotocol; empty, it agrees none.
    headers.set('sec-websocket-protocol', outcome.protocol);
    const record: NativeRecord<Context> = {
      id: nextPeerId(),
      request,
      context: outcome.context,
      protocol: outcome.protocol,
      server,
      peer: null,
    };
    const data = (appData ?? {}) as NativeData<Context>;
    data[SLOT] = record;
    return server.upgrade(request, { data, headers });
  };

  const drain = (ws: BunServerWebSocket<NativeData<Context>>): void => {
    const peer = ws.data[SLOT].peer;
    if (peer === null) return;
    if (app?.drain !== undefined)
      runApp(runner, peer, () => app.drain?.(ws as BunServerWebSocket<never>));
    if (!peer.wantDrain || ws.getBufferedAmount() > highWaterMark) return;
    peer.wantDrain = false;
    runner.drain(peer);
  };

  return {
    peers,
    closeTimeout: profile.closeTimeout,
    async upgrade(request, server) {
      const outcome = await accept(request);
      if (outcome.kind === 'refuse') return outcome.response;
      if (upgradeWith(server, request, outcome, undefined, undefined)) return undefined;
      return new Response('Not a valid WebSocket upgrade', { status: 400 });
    },
    async upgradeThrough(request, server, fetch) {
      const outcome = await accept(request);
      if (outcome.kind === 'refuse') return outcome.response;
      let upgraded = false;
      const through: BunServer = {
        get port() {
          return server.port;
        },
        get hostname() {
          return server.hostname;
        },
        upgrade(req, upgradeOptions) {
          if (upgraded || req !== request) return false;
          const appData: unknown = upgradeOptions?.data;
          if (appData !== undefined && (typeof appData !== 'object' || appData === null)) {
            throw new TypeError('server.upgrade: data must be an object under @strata-ws/handler');
          }
          upgraded = upgradeWith(
            server,
            request,
            outcome,
            appData as object | undefined,
            upgradeOptions?.headers,
          );
          return upgraded;
        },
        publish: (topic, data, compress) => server.publish(topic, data, compress),
        requestIP: (req) => server.requestIP(req),
        stop: (closeActive) => server.stop(closeActive),
      };
      const response = await fetch(request, through);
      if (upgraded) return undefined;
      return response ?? new Response('Not Found', { status: 404 });
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
        const record = ws.data[SLOT];
        const peer = new BunPeer(ws, record, highWaterMark, profile.perMessageDeflate);
        record.peer = peer;
        peers.add(peer);
        runner.open(peer);
        if (app?.open !== undefined)
          runApp(runner, peer, () => app.open?.(ws as BunServerWebSocket<never>));
      },
      message(ws, message) {
        const peer = ws.data[SLOT].peer;
        if (peer === null) return;
        if (hasMessageHook)
          runner.message(peer, createMessage(message, typeof message !== 'string'));
        if (appMessage !== undefined) {
          runApp(runner, peer, () =>
            appMessage.call(app, ws as BunServerWebSocket<never>, message),
          );
        }
      },
      // Only when something listens: Bun calls a registered drain on every drained socket.
      ...(hooks.drain !== undefined || app?.drain !== undefined ? { drain } : {}),
      close(ws, code, reason) {
        const peer = ws.data[SLOT].peer;
        if (peer === null) return;
        peers.delete(peer);
        runner.close(peer, { code, reason });
        if (app?.close !== undefined)
          runApp(runner, peer, () => app.close?.(ws as BunServerWebSocket<never>, code, reason));
      },
    },
  };
}

/** Runs an app handler; what it throws (or rejects with) goes to the `error` hook. */
function runApp<Context>(
  runner: HookRunner<Context>,
  peer: Peer<Context>,
  fn: () => unknown,
): void {
  try {
    const result = fn();
    if (result instanceof Promise) result.catch((error: unknown) => runner.fail(peer, error));
  } catch (error) {
    runner.fail(peer, error);
  }
}

/**
 * The peer of a connection this adapter upgraded, from Bun's `ServerWebSocket` (e.g. `ws.raw`
 * in a Hono `upgradeWebSocket` handler), or `undefined` for another connection.
 */
export function peerOf<Context = unknown>(ws: unknown): Peer<Context> | undefined {
  if (typeof ws !== 'object' || ws === null) return undefined;
  const data = (ws as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return undefined;
  const record = (data as Partial<NativeData<Context>>)[SLOT];
  return record?.peer ?? undefined;
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
  // With the app's own websocket handlers, its router decides which requests upgrade.
  const through = options.websocket !== undefined ? fallback : undefined;
  const server = bun().serve<NativeData<Context>>({
    port,
    hostname: host,
    fetch(request, srv) {
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        return through !== undefined
          ? ws.upgradeThrough(request, srv, through)
          : ws.upgrade(request, srv);
      }
      if (fallback !== undefined) return fallback(request, srv);
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
