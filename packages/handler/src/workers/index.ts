/**
 * `@strata-ws/handler/workers`: the handler on Cloudflare Workers. `defineDurableObject`
 * makes a Durable Object class on the WebSocket hibernation API (one room for many clients,
 * connections kept while the object sleeps); `createWorkersHandler` serves the hooks from a
 * plain Worker `fetch` with a `WebSocketPair`. What the Workers runtime cannot do (no
 * buffered amount, so no backpressure answer; no TCP drop) is listed in the README.
 */
export {
  defineDurableObject,
  type HandlerDurableObject,
  type HandlerDurableObjectClass,
} from './durable.js';
export { createWorkersHandler, type WorkersHandler } from './fetch.js';
export type { DurableObjectStateLike, WorkersWebSocket } from './workers-api.js';
