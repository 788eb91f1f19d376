/**
 * `@strata-ws/redis`: topics of `@strata-ws/server` across processes and machines through
 * Redis or Valkey — pub/sub (at-most-once, the default) or Streams (at-least-once, with
 * replay from an id).
 */
export type { ReadSinceResult, StreamMessage } from './adapter.js';
export { RedisAdapter } from './adapter.js';
export type { RedisAdapterOptions, RedisDeliveryMode } from './options.js';
