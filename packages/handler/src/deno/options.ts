/**
 * The Deno adapter's options (both modes). Portable types.
 */
import type { AdapterMode, RuntimeHandler } from '../engine/runtime.js';
import type { HandlerOptions } from '../types.js';

/** Options of the Deno adapter's `createHandler`: the shared {@link HandlerOptions} plus where to listen. */
export interface DenoHandlerOptions extends HandlerOptions {
  /**
   * `'strata'` (default): Strata's engine over `Deno.listen`, the same behaviour as on Node.
   * `'native'`: `Deno.serve` + `Deno.upgradeWebSocket`; the README lists what differs
   * (measured). Deno's own WebSocket has no permessage-deflate: `perMessageDeflate: true`
   * throws in this mode.
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

/** A running handler on Deno. */
export type DenoHandler<Context> = RuntimeHandler<Context>;

/** The option names the Deno adapter adds to {@link HandlerOptions}. */
export const DENO_OPTIONS: readonly string[] = ['mode', 'port', 'host', 'fetch'];
