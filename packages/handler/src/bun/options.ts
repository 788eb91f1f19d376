/**
 * The Bun adapter's options (both modes). Portable types.
 */
import type { AdapterMode, RuntimeHandler } from '../engine/runtime.js';
import type { HandlerOptions } from '../types.js';

/** Options of the Bun adapter's `createHandler`: the shared {@link HandlerOptions} plus where to listen. */
export interface BunHandlerOptions extends HandlerOptions {
  /**
   * `'strata'` (default): Strata's engine over `Bun.listen`, the same behaviour as on Node.
   * `'native'`: `Bun.serve`'s own WebSocket server (uWebSockets), faster; the README lists what
   * differs (measured).
   */
  mode?: AdapterMode;
  /** Port to listen on (default 3000; `0` picks a free one). */
  port?: number;
  /** Address to bind (default `'0.0.0.0'`). */
  host?: string;
  /**
   * `native` mode: answers requests that are not WebSocket upgrades (default: 426). In
   * `strata` mode the listener speaks only the upgrade (others get 400/426 from the handshake).
   */
  fetch?: (request: Request) => Response | Promise<Response>;
}

/** A running handler on Bun. */
export type BunHandler<Context> = RuntimeHandler<Context>;

/** The option names the Bun adapter adds to {@link HandlerOptions}. */
export const BUN_OPTIONS: readonly string[] = ['mode', 'port', 'host', 'fetch'];
