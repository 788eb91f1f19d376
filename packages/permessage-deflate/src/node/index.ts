/**
 * `@strata-ws/permessage-deflate/node`: the permessage-deflate engine on node:zlib
 * (Node, Bun, Deno), with the concurrency limiter, the memory budget of kept contexts and the memory modes. The negotiators
 * are re-exported so one import serves a Node facade.
 *
 * @packageDocumentation
 */

export type { ClientDeflateOffer, ClientDeflateOptions } from '../client.js';
export { PerMessageDeflateClient } from '../client.js';
export type { DeflateAgreement, DeflateParam, DeflateParams } from '../params.js';
export { PERMESSAGE_DEFLATE } from '../params.js';
export type { DeflateSelection, ServerDeflateOptions } from '../server.js';
export { PerMessageDeflateServer } from '../server.js';
export type { ContextConfig, ContextHolder } from './context-budget.js';
export {
  contextCost,
  DEFAULT_CONTEXT_BUDGET,
  DeflateContextBudget,
  sharedContextBudget,
} from './context-budget.js';
export type { DeflateEngineOptions, DeflateMemoryMode } from './engine.js';
export { createPerMessageDeflate, PerMessageDeflate } from './engine.js';
export type { ZlibTask } from './limiter.js';
export { sharedZlibLimiter, ZlibLimiter } from './limiter.js';
export type { FreshDeflateOptions } from './one-shot.js';
export { deflateFresh } from './one-shot.js';
export { releasePooledZlibStreams } from './zlib-stream.js';
