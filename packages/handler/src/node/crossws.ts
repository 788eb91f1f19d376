/**
 * crossws's Node adapter shape over this handler, so an app written for crossws (or for h3,
 * whose WebSocket routes are crossws hooks) switches by changing one import:
 * `import crossws from 'crossws/adapters/node'` → `import crossws from '@strata-ws/handler/node'`.
 * The hooks run as on every adapter of this package (see the README for what differs from
 * crossws: its `peer.send(object)` JSON encoding, `peer.websocket`, namespaces).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hooks, Peer, SendData, SendOptions } from '../types.js';
import {
  createHandler,
  type HooksResolver,
  type NodeHandler,
  type NodeHandlerOptions,
} from './index.js';

/** Options of {@link crossws}: crossws's `hooks` / `resolve` plus the handler's options. */
export interface CrosswsOptions<Context> extends Omit<NodeHandlerOptions, 'port' | 'server'> {
  /** The hooks (crossws: `hooks`); with `resolve`, the defaults its answer is merged over. */
  hooks?: Hooks<Context>;
  /** Hooks per request (crossws: `resolve`, e.g. an h3 app's WebSocket route). */
  resolve?: HooksResolver<Context>;
}

/** What {@link crossws} returns: crossws's Node adapter members. */
export interface CrosswsAdapter<Context> {
  /** For `server.on('upgrade', ws.handleUpgrade)`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  /** The open peers. */
  readonly peers: ReadonlySet<Peer<Context>>;
  /** Publishes to every subscriber of `topic`. */
  publish(topic: string, data: SendData, options?: SendOptions): void;
  /** Closes every peer (default 1001) without waiting. */
  closeAll(code?: number, reason?: string): void;
  /** Closes every peer (default 1001) and waits for them (bounded by `closeTimeout`). */
  close(code?: number, reason?: string): Promise<void>;
  /** The handler underneath. */
  readonly handler: NodeHandler<Context>;
}

/**
 * crossws's `nodeAdapter` signature over `@strata-ws/handler`: the default export of
 * `@strata-ws/handler/node`.
 */
export function crossws<Context = unknown>(
  options: CrosswsOptions<Context> = {},
): CrosswsAdapter<Context> {
  const { hooks, resolve, ...rest } = options;
  let source: Hooks<Context> | HooksResolver<Context> = hooks ?? {};
  if (resolve !== undefined) {
    source = async (request: Request) => {
      const resolved = await resolve(request);
      if (resolved === undefined || resolved instanceof Response || hooks === undefined) {
        return resolved;
      }
      return { ...hooks, ...resolved };
    };
  }
  const handler = createHandler(source, rest);
  const closeAll = (code = 1001, reason?: string): void => {
    for (const peer of [...handler.peers]) peer.close(code, reason);
  };
  return {
    handler,
    peers: handler.peers,
    handleUpgrade(req, socket, head) {
      handler.handleUpgrade(req, socket, head);
      return Promise.resolve();
    },
    publish(topic, data, publishOptions) {
      handler.publish(topic, data, publishOptions);
    },
    closeAll,
    async close(code = 1001, reason = '') {
      await handler.close({ code, reason, timeout: handler.server.options.closeTimeout });
    },
  };
}
