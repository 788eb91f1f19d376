/**
 * `@strata-ws/handler/node`: the handler on Node.js, over `@strata-ws/server` — on its own
 * port, attached to an existing node:http/https server, or called from a framework with
 * `handleUpgrade(req, socket, head)`. The hooks run exactly as on every other adapter; the
 * server brings its limits, backpressure, heartbeats, topics and graceful shutdown.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TlsOptions } from 'node:tls';
import {
  type PerMessageDeflateOptions,
  type ServerWebSocket,
  type ShutdownOptions,
  type ShutdownResult,
  type TopicsOptions,
  type UpgradeDecision,
  type UpgradeInfo,
  WebSocketServer,
  type WebSocketServerOptions,
} from '@strata-ws/server';
import { HookRunner } from '../core/hooks.js';
import { createMessage } from '../core/message.js';
import { nextPeerId } from '../core/peer-id.js';
import { asRefusal, runUpgrade } from '../core/upgrade.js';
import type { HandlerOptions, Hooks, MaybePromise, Peer, SendData, SendOptions } from '../types.js';
import { type AdapterState, NodePeer } from './peer.js';
import { toOutgoing, toRejection, toRequest } from './request.js';

export {
  type CrosswsAdapter,
  type CrosswsOptions,
  crossws,
  crossws as default,
} from './crossws.js';
export { NodePeer } from './peer.js';

/** Options of {@link createHandler}: the shared {@link HandlerOptions} plus where to listen. */
export interface NodeHandlerOptions extends Omit<HandlerOptions, 'perMessageDeflate'> {
  /** Listen on this port (`0` picks a free one); the server's own HTTP/1.1 listener. */
  port?: number;
  /** Host to bind with `port`. */
  host?: string;
  /** With `port`: serve `wss://` with these `node:tls` options. */
  tls?: TlsOptions;
  /** Attach to an existing node:http/https server (its `upgrade` event). */
  server?: HttpServer | HttpsServer;
  /** Only accept upgrades for this path (without the query), with `port` or `server`. */
  path?: string;
  /** permessage-deflate: `false` (default), `true`, or `@strata-ws/server`'s options. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Allowed origins (403 for others); default any. */
  origins?: WebSocketServerOptions['origins'];
  /** Close (1001) a connection with no message either way for this long (default 0: off). */
  idleTimeout?: number;
  /** Topics across processes (`@strata-ws/cluster`, `@strata-ws/redis`) and their compression. */
  topics?: TopicsOptions;
}

/** The handler on Node: the server it runs on and what the application may do with it. */
export interface NodeHandler<Context> {
  /** The `@strata-ws/server` instance (for its counters, diagnostics and advanced options). */
  readonly server: WebSocketServer<NodePeer<Context>>;
  /** The open peers. */
  readonly peers: ReadonlySet<Peer<Context>>;
  /** Resolves once listening (with `port`; at once otherwise) with the bound port (0 when not listening). */
  readonly ready: Promise<number>;
  /**
   * Serves an upgrade request a framework hands over (a node:http `upgrade` event's
   * arguments). Works in every mode; with `server` or `port` the adapter already listens.
   * With `callback`, the caller gets the connection and must emit `connection` itself
   * (`ws`'s `handleUpgrade` contract, which `@hono/node-server` follows); the hooks run then.
   */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback?: (ws: ServerWebSocket<NodePeer<Context>>) => void,
  ): void;
  /** `{ noServer }`: with the members below, what `@hono/node-server` asks of a `websocket.server`. */
  readonly options: { readonly noServer: boolean };
  /** Listens to the server's `connection` / `headers` events (frameworks' seam; returns this). */
  on(event: 'connection' | 'headers', listener: (...args: never[]) => unknown): this;
  /** Removes a listener added with {@link NodeHandler.on}. */
  off(event: 'connection' | 'headers', listener: (...args: never[]) => unknown): this;
  /** Emits `connection` for a connection made with a `handleUpgrade` callback (the hooks then run). */
  emit(event: 'connection', ws: ServerWebSocket<NodePeer<Context>>, req: IncomingMessage): boolean;
  /** Publishes to every subscriber of `topic` (no peer excluded); returns the local count. */
  publish(topic: string, data: SendData, options?: SendOptions): number;
  /** Closes every peer (1001 by default), waits for them (bounded), and stops listening. */
  close(options?: ShutdownOptions): Promise<ShutdownResult>;
}

function onMessage(this: ServerWebSocket<NodePeer<unknown>>, data: Buffer, isBinary: boolean) {
  const peer = this.data;
  peer.adapter.runner.message(peer, createMessage(data, isBinary));
}
function onClose(this: ServerWebSocket<NodePeer<unknown>>, code: number, reason: string) {
  const peer = this.data;
  const state = peer.adapter;
  state.peers.delete(peer);
  state.runner.close(peer, { code, reason });
}
function onError(this: ServerWebSocket<NodePeer<unknown>>, error: Error) {
  const peer = this.data;
  peer.adapter.runner.report(peer, error);
}
function onDrain(this: ServerWebSocket<NodePeer<unknown>>) {
  const peer = this.data;
  peer.adapter.runner.drain(peer);
}

/** What the `upgrade` hook decided for one request, read back when the server negotiates and connects. */
interface Accepted {
  readonly request: Request;
  readonly protocol: string;
  readonly state: AdapterState;
}

/**
 * Hooks chosen per request (crossws's `resolve`, e.g. an h3 app's route): return the hooks for
 * this upgrade, `undefined` for none (refused with 404), or throw / return a refusal `Response`.
 */
export type HooksResolver<Context> = (
  request: Request,
) => MaybePromise<Hooks<Context> | Response | undefined>;

const notFound = (): Response => new Response('Not Found', { status: 404 });

/**
 * Creates the handler on Node, for one set of hooks or hooks resolved per request. Every
 * option is checked here (a `TypeError` / `RangeError` naming it, from `@strata-ws/server`'s
 * validation and the engine's limits table).
 *
 * @example
 * ```ts
 * import { createHandler } from '@strata-ws/handler/node';
 * const handler = createHandler(hooks, { port: 8080 });
 * ```
 */
export function createHandler<Context = unknown>(
  hooks: Hooks<Context> | HooksResolver<Context>,
  options: NodeHandlerOptions = {},
): NodeHandler<Context> {
  const peers = new Set<Peer<unknown>>();
  const resolve = typeof hooks === 'function' ? hooks : undefined;
  const fixed =
    resolve === undefined
      ? { runner: new HookRunner(hooks as Hooks<Context>) as HookRunner<unknown>, peers }
      : undefined;
  const states = new WeakMap<Hooks<Context>, AdapterState>();
  const stateFor = (resolved: Hooks<Context>): AdapterState => {
    let state = states.get(resolved);
    if (state === undefined) {
      state = { runner: new HookRunner(resolved) as HookRunner<unknown>, peers };
      states.set(resolved, state);
    }
    return state;
  };
  const { onError: reportError, port, server: httpServer, protocols, ...rest } = options;
  const report = (error: unknown, request: Request): void => {
    const err = error instanceof Error ? error : new Error(String(error));
    if (reportError !== undefined) reportError(err, request);
    else console.error('@strata-ws/handler: upgrade failed:', err);
  };
  const accepted = new WeakMap<IncomingMessage, Accepted>();

  const serverOptions: WebSocketServerOptions<NodePeer<Context>> = {
    ...rest,
    clientTracking: false,
  };
  if (port !== undefined) serverOptions.port = port;
  else if (httpServer !== undefined) serverOptions.server = httpServer;
  else serverOptions.noServer = true;

  if (fixed !== undefined && (hooks as Hooks<Context>).upgrade === undefined) {
    // No hook: the server picks the subprotocol from `protocols`, no Request is built before it is read.
    if (protocols !== undefined) serverOptions.protocols = protocols;
  } else {
    const authenticate = async (
      req: IncomingMessage,
      info: UpgradeInfo,
    ): Promise<UpgradeDecision<NodePeer<Context>>> => {
      const request = toRequest(req, info.secure);
      let state = fixed;
      let chosen = hooks as Hooks<Context>;
      if (resolve !== undefined) {
        let resolved: Hooks<Context> | Response | undefined;
        try {
          resolved = await resolve(request);
        } catch (error) {
          if (!(error instanceof Response)) report(error, request);
          resolved =
            error instanceof Response
              ? error
              : new Response('Internal Server Error', { status: 500 });
        }
        if (resolved === undefined || resolved === null) resolved = notFound();
        if (resolved instanceof Response) return { reject: await toRejection(asRefusal(resolved)) };
        chosen = resolved;
        try {
          state = stateFor(chosen);
        } catch (error) {
          report(error, request);
          return { reject: { status: 500, body: 'Internal Server Error' } };
        }
      }
      const outcome = await runUpgrade(chosen, request, info.protocols, {
        protocols,
        onError: reportError,
      });
      if (outcome.kind === 'refuse') return { reject: await toRejection(outcome.response) };
      accepted.set(req, { request, protocol: outcome.protocol, state: state! });
      // The context travels as the connection's data until the peer replaces it.
      return {
        accept: {
          data: outcome.context as unknown as NodePeer<Context>,
          headers: toOutgoing(outcome.headers),
        },
      };
    };
    serverOptions.authenticate = authenticate;
    serverOptions.handleProtocols = (_offered, req) => accepted.get(req)?.protocol || false;
  }

  const wss = new WebSocketServer<NodePeer<Context>>(serverOptions);

  const connect = (ws: ServerWebSocket<NodePeer<Context>>, req: IncomingMessage): void => {
    const decided = accepted.get(req);
    accepted.delete(req);
    const state = decided?.state ?? fixed;
    if (state === undefined) {
      ws.terminate();
      return;
    }
    const context = (decided === undefined ? {} : ws.data) as Context;
    const peer = new NodePeer<Context>(
      nextPeerId(),
      ws as ServerWebSocket<unknown>,
      req,
      decided?.request,
      context,
      state,
    );
    ws.data = peer;
    peers.add(peer as Peer<unknown>);
    ws.on('message', onMessage as never);
    ws.on('close', onClose as never);
    ws.on('error', onError as never);
    ws.on('drain', onDrain as never);
    state.runner.open(peer as Peer<unknown>);
  };
  wss.on('connection', connect);
  // Refused or failed handshakes are answered by the server; nothing more to do here.
  wss.on('error', () => {});

  const ready =
    port === undefined
      ? Promise.resolve(0)
      : new Promise<number>((resolve, reject) => {
          wss.once('listening', () => {
            const address = wss.address();
            resolve(typeof address === 'object' && address !== null ? address.port : 0);
          });
          wss.once('error', reject);
        });

  const handler: NodeHandler<Context> = {
    server: wss,
    peers: peers as ReadonlySet<Peer<Context>>,
    ready,
    options: { noServer: port === undefined && httpServer === undefined },
    handleUpgrade(req, socket, head, callback) {
      wss.handleUpgrade(req, socket as never, head, (ws) =>
        callback === undefined ? wss.emit('connection', ws, req) : callback(ws),
      );
    },
    on(event, listener) {
      wss.on(event, listener as never);
      return handler;
    },
    off(event, listener) {
      wss.off(event, listener as never);
      return handler;
    },
    emit(event, ws, req) {
      return wss.emit(event, ws, req);
    },
    publish(topic, data, publishOptions) {
      return wss.publish(topic, data, { compress: publishOptions?.compress });
    },
    close(shutdownOptions) {
      return wss.shutdown(shutdownOptions);
    },
  };
  return handler;
}

/**
 * The peer of a connection this adapter accepted, from the server's connection object (e.g.
 * `ws.raw` in a Hono `upgradeWebSocket` handler), or `undefined` for another connection.
 */
export function peerOf<Context = unknown>(ws: unknown): Peer<Context> | undefined {
  if (typeof ws !== 'object' || ws === null) return undefined;
  const peer = (ws as { data?: unknown }).data;
  return peer instanceof NodePeer && peer.ws === ws ? (peer as Peer<Context>) : undefined;
}
