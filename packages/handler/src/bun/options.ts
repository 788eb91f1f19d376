/**
 * The Bun adapter's options (both modes). Portable types.
 */
import type { AdapterMode, RuntimeHandler } from '../engine/runtime.js';
import type { HandlerOptions } from '../types.js';
import type { BunAppFetch, BunAppWebSocket } from './native.js';

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
   * `native` mode: answers requests that are not WebSocket upgrades (default: 426), called as
   * `Bun.serve` calls it (`fetch(request, server)`), so an app such as Hono's `app.fetch` fits.
   * With {@link BunHandlerOptions.websocket}, upgrade requests go through it too (the hooks run
   * first). In `strata` mode the listener speaks only the upgrade (others get 400/426 from the
   * handshake).
   */
  fetch?: BunAppFetch;
  /**
   * `native` mode: the app's own `Bun.serve` `websocket` handlers (e.g. Hono's `websocket` from
   * `hono/bun`). Upgrade requests then go through `fetch`, whose `server.upgrade` upgrades with
   * the `upgrade` hook's answer; the app's handlers run after the hooks on the same socket.
   */
  websocket?: BunAppWebSocket;
}

/** A running handler on Bun. */
export type BunHandler<Context> = RuntimeHandler<Context>;

/** The option names the Bun adapter adds to {@link HandlerOptions}. */
export const BUN_OPTIONS: readonly string[] = ['mode', 'port', 'host', 'fetch', 'websocket'];
