/**
 * `@strata-ws/handler`: one WebSocket server handler — hooks (`upgrade`, `open`, `message`,
 * `close`, `error`, `drain`), peers with topics and backpressure, typed end to end — for Node
 * (`@strata-ws/handler/node`), Bun, Deno and Cloudflare Workers (their subpath exports).
 * This entry is portable: the types, `defineHooks`, and the runtime-independent core the
 * adapters share.
 */

export type { ConnectionHooks } from './core/hooks.js';
export type {
  CloseDetails,
  HandlerOptions,
  HeadersLike,
  Hooks,
  MaybePromise,
  Message,
  MessageType,
  Peer,
  PeerReadyState,
  SendData,
  SendOptions,
  UpgradeAccept,
  UpgradeResult,
} from './types.js';
export { defineHooks, SendStatus } from './types.js';
