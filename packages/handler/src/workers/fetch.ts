/**
 * Cloudflare Workers, fetch-handler mode: the hooks on a `WebSocketPair` accepted in the
 * Worker itself (`server.accept()` and event listeners). Peers live as long as the request;
 * topics reach the peers of the same isolate only (use the Durable Object helper,
 * `./durable.ts`, for one room across clients). Also the upgrade step both modes share.
 * Portable (Web APIs and the Workers globals only).
 */
import { HookRunner } from '../core/hooks.js';
import { nextPeerId } from '../core/peer-id.js';
import { LocalTopics } from '../core/topics.js';
import { offeredProtocols, runUpgrade, type UpgradeOutcome } from '../core/upgrade.js';
import { type EngineProfile, resolveEngineProfile } from '../engine/options.js';
import { withTimeout } from '../engine/runtime.js';
import { publishTo, type WebPeerHost, WebSocketPeer } from '../engine/web-peer.js';
import type { HandlerOptions, Hooks, Peer, SendData } from '../types.js';
import { switchingProtocols, type WorkersWebSocket, webSocketPair } from './workers-api.js';

/** The accepted upgrade: the pair's server end and the 101 to return. */
export interface AcceptedUpgrade<Context> {
  readonly outcome: Extract<UpgradeOutcome<Context>, { kind: 'accept' }>;
  readonly server: WorkersWebSocket;
  readonly response: Response;
}

/** The Workers runtime has no permessage-deflate to agree: the option cannot be honoured. */
export function resolveWorkersProfile(options: HandlerOptions | undefined): EngineProfile {
  const profile = resolveEngineProfile(options);
  if (profile.perMessageDeflate) {
    throw new TypeError(
      'perMessageDeflate: the Workers runtime agrees permessage-deflate by itself when the compatibility date allows it; the option is not supported here',
    );
  }
  return profile;
}

/**
 * Runs the `upgrade` hook (under `handshakeTimeout`) and, when it accepts, makes the
 * `WebSocketPair` and the 101; a refusal comes back as its `Response`.
 */
export async function acceptUpgrade<Context>(
  hooks: Hooks<Context>,
  profile: EngineProfile,
  request: Request,
): Promise<AcceptedUpgrade<Context> | Response> {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return new Response('Upgrade Required', { status: 426, headers: { upgrade: 'websocket' } });
  }
  const outcome = await withTimeout(
    runUpgrade(hooks, request, offeredProtocols(request), {
      protocols: profile.protocols,
      onError: profile.onError,
    }),
    profile.handshakeTimeout,
  );
  if (outcome.kind === 'refuse') return outcome.response;
  const [client, server] = webSocketPair();
  const headers = new Headers(outcome.headers);
  if (outcome.protocol !== '') headers.set('sec-websocket-protocol', outcome.protocol);
  return { outcome, server, response: switchingProtocols(client, headers) };
}

/** The peer's address as Cloudflare tells it (`CF-Connecting-IP`), when present. */
export function remoteAddressOf(request: Request): string | undefined {
  return request.headers.get('cf-connecting-ip') ?? undefined;
}

/** What {@link createWorkersHandler} returns. */
export interface WorkersHandler<Context> {
  /** The Worker's `fetch`: upgrades WebSocket requests, answers others with 426. */
  fetch(request: Request): Promise<Response>;
  /** The open peers (of this isolate). */
  readonly peers: ReadonlySet<Peer<Context>>;
  /** Sends to every subscriber of `topic` in this isolate; returns how many peers it went to. */
  publish(topic: string, data: SendData): number;
}

/**
 * The hooks as a Worker `fetch` handler (no Durable Object).
 *
 * @example
 * ```ts
 * import { createWorkersHandler } from '@strata-ws/handler/workers';
 * const handler = createWorkersHandler(hooks);
 * export default { fetch: (request: Request) => handler.fetch(request) };
 * ```
 * @throws TypeError / RangeError naming a bad option
 */
export function createWorkersHandler<Context = unknown>(
  hooks: Hooks<Context>,
  options?: HandlerOptions,
): WorkersHandler<Context> {
  const profile = resolveWorkersProfile(options);
  const peers = new Set<WebSocketPeer<Context>>();
  const host: WebPeerHost<Context> = {
    runner: new HookRunner(hooks),
    profile,
    topics: new LocalTopics(),
    release: (peer) => peers.delete(peer),
  };
  return {
    peers,
    publish: (topic, data) => publishTo(host.topics, topic, data, undefined),
    async fetch(request) {
      const accepted = await acceptUpgrade(hooks, profile, request);
      if (accepted instanceof Response) return accepted;
      const { outcome, server, response } = accepted;
      // Binary messages as ArrayBuffer (newer compatibility dates default to Blob).
      server.binaryType = 'arraybuffer';
      server.accept();
      const peer = new WebSocketPeer<Context>(server, host, {
        id: nextPeerId(),
        request,
        remoteAddress: remoteAddressOf(request),
        context: outcome.context,
        protocol: outcome.protocol,
        extensions: response.headers.get('sec-websocket-extensions') ?? '',
      });
      server.addEventListener('message', (event) => {
        const data = event.data;
        if (typeof data === 'string') peer.received(data, false);
        else peer.received(new Uint8Array(data), true);
      });
      server.addEventListener('close', (event) => {
        closeBack(server, event.code, event.reason);
        peer.closed(event.code, event.reason);
      });
      server.addEventListener('error', (event) => {
        peer.failed(new Error(event.message ?? String(event.error ?? 'WebSocket error')));
      });
      peers.add(peer);
      peer.opened();
      return response;
    },
  };
}

/**
 * Answers the peer's close frame (runtimes before the `web_socket_auto_reply_to_close`
 * compatibility flag do not; after it this is a no-op).
 */
export function closeBack(ws: WorkersWebSocket, code: number, reason: string): void {
  try {
    // 1005/1006 cannot be sent: answer with an empty close.
    if (code === 1005 || code === 1006 || code < 1000) ws.close();
    else ws.close(code, reason);
  } catch {
    // already closed
  }
}
