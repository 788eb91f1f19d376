/**
 * `@strata-ws/handler/deno`: the handler on Deno, in two modes. `strata` (default) runs
 * Strata's engine over `Deno.listen`, so limits, compression, topics, backpressure and close
 * rules are those of the Node adapter; `native` uses `Deno.serve` and `Deno.upgradeWebSocket`
 * (what differs is listed in the README). `denoUpgrade` gives the native upgrade for a
 * `Deno.serve` handler you own (e.g. under Hono).
 */
import { checkMode } from '../engine/runtime.js';
import type { Hooks } from '../types.js';
import { serveNative } from './native.js';
import { DENO_OPTIONS, type DenoHandler, type DenoHandlerOptions } from './options.js';
import { serveStrata } from './strata.js';

export type { AdapterMode, RuntimeHandler } from '../engine/runtime.js';
export { type DenoConnectionOptions, type DenoUpgrade, denoUpgrade } from './native.js';
export type { DenoHandler, DenoHandlerOptions } from './options.js';

/**
 * Serves the hooks on Deno. Every option is checked here (a `TypeError` / `RangeError` naming it).
 *
 * @example
 * ```ts
 * import { createHandler } from '@strata-ws/handler/deno';
 * const handler = createHandler(hooks, { port: 8080 });             // mode: 'strata'
 * const fast = createHandler(hooks, { port: 8081, mode: 'native' }); // Deno.upgradeWebSocket
 * ```
 */
export function createHandler<Context = unknown>(
  hooks: Hooks<Context>,
  options: DenoHandlerOptions = {},
): DenoHandler<Context> {
  const mode = checkMode(options.mode);
  return mode === 'native'
    ? serveNative(hooks, options, DENO_OPTIONS)
    : serveStrata(hooks, options, DENO_OPTIONS);
}
