/**
 * `@strata-ws/handler/bun`: the handler on Bun, in two modes. `strata` (default) runs
 * Strata's engine over `Bun.listen`, so limits, compression, topics, backpressure and close
 * rules are those of the Node adapter; `native` hands the connections to `Bun.serve`'s own
 * WebSocket server for its speed (what differs is listed in the README). `bunWebSocket` gives
 * the native pieces for a `Bun.serve` you own (e.g. under Hono).
 */
import { checkMode } from '../engine/runtime.js';
import type { Hooks } from '../types.js';
import { serveNative } from './native.js';
import { BUN_OPTIONS, type BunHandler, type BunHandlerOptions } from './options.js';
import { serveStrata } from './strata.js';

export type { AdapterMode, RuntimeHandler } from '../engine/runtime.js';
export {
  type BunAppFetch,
  type BunAppWebSocket,
  type BunWebSocket,
  type BunWebSocketOptions,
  bunWebSocket,
  type NativeData,
  peerOf,
} from './native.js';
export type { BunHandler, BunHandlerOptions } from './options.js';

/**
 * Serves the hooks on Bun. Every option is checked here (a `TypeError` / `RangeError` naming it).
 *
 * @example
 * ```ts
 * import { createHandler } from '@strata-ws/handler/bun';
 * const handler = createHandler(hooks, { port: 8080 });            // mode: 'strata'
 * const fast = createHandler(hooks, { port: 8081, mode: 'native' }); // Bun.serve
 * ```
 */
export function createHandler<Context = unknown>(
  hooks: Hooks<Context>,
  options: BunHandlerOptions = {},
): BunHandler<Context> {
  const mode = checkMode(options.mode);
  return mode === 'native'
    ? serveNative(hooks, options, BUN_OPTIONS)
    : serveStrata(hooks, options, BUN_OPTIONS);
}
