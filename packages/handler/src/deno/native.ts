/**
 * Deno, `native` mode: the hooks on `Deno.serve` and `Deno.upgradeWebSocket`. The `upgrade`
 * hook runs in the request handler before the upgrade; the peer wraps Deno's WebSocket
 * (`../engine/web-peer.ts`: topics, the message size limit, the send-queue policy and drain
 * are added there, Deno has none of its own). What Deno cannot do is listed, measured, in the
 * README ("What differs in native mode").
 */
import { type ConnectionHooks, HookRunner, withConnectionHooks } from '../core/hooks.js';
import { nextPeerId } from '../core/peer-id.js';
import { LocalTopics } from '../core/topics.js';
import { offeredProtocols, runUpgrade } from '../core/upgrade.js';
import { resolveEngineProfile } from '../engine/options.js';
import { checkListen, type RuntimeHandler, waitForPeers, withTimeout } from '../engine/runtime.js';
import { publishTo, type WebPeerHost, WebSocketPeer } from '../engine/web-peer.js';
import type { HandlerOptions, Hooks, Peer } from '../types.js';
import { type DenoServeHandlerInfo, deno } from './deno-api.js';
import type { DenoHandlerOptions } from './options.js';

/** One upgrade's own part (see {@link DenoUpgrade.upgrade}). */
export interface DenoConnectionOptions<Context> {
  /** Hooks of this connection only, run after the handler's. */
  readonly hooks?: ConnectionHooks<Context> | undefined;
}

/** What {@link denoUpgrade} returns. */
export interface DenoUpgrade<Context> {
  /**
   * Runs the `upgrade` hook and, when it accepts, `Deno.upgradeWebSocket`: resolves to the
   * response to return from the `Deno.serve` handler (the 101, or the refusal).
   * `connection.hooks` run after the handler's for this connection only (e.g. the events a
   * Hono route gave for this upgrade).
   */
  upgrade(
    request: Request,
    info?: DenoServeHandlerInfo,
    connection?: DenoConnectionOptions<Context>,
  ): Promise<Response>;
  /** The open peers. */
  readonly peers: ReadonlySet<Peer<Context>>;
  /** Sends to every subscriber of `topic`; returns how many peers it went to. */
  publish(topic: string, data: Parameters<Peer['send']>[0]): number;
}

/**
 * The native upgrade for a `Deno.serve` handler you own (e.g. under Hono): call
 * `upgrade(request, info)` for WebSocket requests and return what it resolves to.
 *
 * @throws TypeError / RangeError naming a bad option (`perMessageDeflate: true`: Deno's
 *   WebSocket cannot compress)
 */
export function denoUpgrade<Context = unknown>(
  hooks: Hooks<Context>,
  options: HandlerOptions = {},
  ownOptions: readonly string[] = [],
): DenoUpgrade<Context> {
  const profile = resolveEngineProfile(options, ownOptions);
  if (profile.perMessageDeflate) {
    throw new TypeError(
      "perMessageDeflate: Deno's native WebSocket has no permessage-deflate (use mode: 'strata')",
    );
  }
  const peers = new Set<WebSocketPeer<Context>>();
  const host: WebPeerHost<Context> = {
    runner: new HookRunner(hooks),
    profile,
    topics: new LocalTopics(),
    release: (peer) => {
      peers.delete(peer);
    },
  };
  // Deno closes a connection that answers no ping within idleTimeout seconds (0: off).
  const idleTimeout = Math.ceil(profile.heartbeatInterval / 1000);

  return {
    peers,
    publish: (topic, data) => publishTo(host.topics, topic, data, undefined),
    async upgrade(request, info, connection) {
      // Deno forgets the request's address once the handler has awaited: read it first.
      const remoteAddress = info?.remoteAddr.hostname;
      // Its headers too (only the upgrade itself still works with the original afterwards):
      // the hooks and the peer get a copy of the request's head.
      const head = new Request(request.url, { method: request.method, headers: request.headers });
      const outcome = await withTimeout(
        runUpgrade(hooks, head, offeredProtocols(head), {
          protocols: profile.protocols,
          onError: profile.onError,
        }),
        profile.handshakeTimeout,
      );
      if (outcome.kind === 'refuse') return outcome.response;
      let upgraded: { socket: WebSocket; response: Response };
      try {
        // The subprotocol goes in as a header below: Deno's own check splits the offer on
        // ", " only and refuses a list sent as "a,b" (what `ws` sends).
        upgraded = deno().upgradeWebSocket(request, { idleTimeout });
      } catch (error) {
        return new Response(`Not a valid WebSocket upgrade: ${(error as Error).message}`, {
          status: 400,
        });
      }
      const { socket, response } = upgraded;
      outcome.headers.forEach((value, name) => {
        response.headers.set(name, value);
      });
      if (outcome.protocol !== '') response.headers.set('sec-websocket-protocol', outcome.protocol);
      socket.binaryType = 'arraybuffer';
      const own = connection?.hooks;
      const peerHost =
        own === undefined
          ? host
          : { ...host, runner: new HookRunner(withConnectionHooks(hooks, own)) };
      const peer = new WebSocketPeer<Context>(socket, peerHost, {
        id: nextPeerId(),
        request: head,
        remoteAddress,
        context: outcome.context,
        protocol: outcome.protocol,
        extensions: '',
      });
      socket.onopen = () => {
        peers.add(peer);
        peer.opened();
      };
      socket.onmessage = (event: MessageEvent) => {
        const data = event.data as string | ArrayBuffer;
        if (typeof data === 'string') peer.received(data, false);
        else peer.received(new Uint8Array(data), true);
      };
      socket.onerror = (event: Event) => {
        const message = (event as { message?: string }).message;
        peer.failed(new Error(message ?? 'WebSocket error'));
      };
      socket.onclose = (event: Event) => {
        const { code, reason } = event as Event & { code: number; reason: string };
        peer.closed(code, reason);
      };
      return response;
    },
  };
}

/** `Deno.serve` with the hooks (native mode). */
export function serveNative<Context>(
  hooks: Hooks<Context>,
  options: DenoHandlerOptions,
  ownOptions: readonly string[],
): RuntimeHandler<Context> {
  const { port, host } = checkListen(options.port, options.host);
  const fallback = options.fetch;
  if (fallback !== undefined && typeof fallback !== 'function') {
    throw new TypeError('fetch must be a function');
  }
  const ws = denoUpgrade(hooks, options, ownOptions);
  let bound = 0;
  let listening: (port: number) => void = () => {};
  const ready = new Promise<number>((resolve) => (listening = resolve));
  const server = deno().serve(
    {
      port,
      hostname: host,
      onListen: (addr) => {
        bound = addr.port;
        listening(addr.port);
      },
    },
    (request, info) => {
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') {
        return ws.upgrade(request, info);
      }
      if (fallback !== undefined) return fallback(request);
      return new Response('Upgrade Required', { status: 426, headers: { upgrade: 'websocket' } });
    },
  );
  bound = server.addr.port;
  const closeTimeout = resolveEngineProfile(options, ownOptions).closeTimeout;
  return {
    mode: 'native',
    port: bound,
    ready,
    peers: ws.peers,
    publish(topic, data) {
      ws.publish(topic, data);
    },
    async close() {
      for (const peer of [...ws.peers]) peer.close(1001);
      await waitForPeers(ws.peers, closeTimeout);
      for (const peer of [...ws.peers]) peer.terminate();
      await server.shutdown();
    },
  };
}
