/**
 * The part of Deno's API the Deno adapter uses, declared here (not Deno's `lib.deno.d.ts`,
 * whose globals would clash with Node's in this repository's typecheck): `Deno.serve`,
 * `Deno.upgradeWebSocket`, `Deno.listen` and its connections. Only what the adapter calls,
 * with Deno's documented shapes. The runtime value is read from `globalThis.Deno`.
 */

/** A TCP address. */
export interface DenoNetAddr {
  readonly transport: 'tcp' | 'udp';
  readonly hostname: string;
  readonly port: number;
}

/** A TCP connection of `Deno.listen`. */
export interface DenoConn {
  readonly remoteAddr: DenoNetAddr;
  readonly readable: ReadableStream<Uint8Array>;
  write(data: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay(noDelay?: boolean): void;
}

/** What `Deno.listen` returns. */
export interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: DenoNetAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}

/** The second argument of a `Deno.serve` handler. */
export interface DenoServeHandlerInfo {
  readonly remoteAddr: DenoNetAddr;
}

/** What `Deno.serve` returns. */
export interface DenoHttpServer {
  readonly addr: DenoNetAddr;
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
}

/** Options of `Deno.upgradeWebSocket`. */
export interface DenoUpgradeOptions {
  protocol?: string;
  idleTimeout?: number;
}

/** The `Deno` global, as far as the adapter uses it. */
export interface DenoGlobal {
  serve(
    options: {
      port: number;
      hostname: string;
      onListen?: (addr: DenoNetAddr) => void;
    },
    handler: (request: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>,
  ): DenoHttpServer;
  upgradeWebSocket(
    request: Request,
    options?: DenoUpgradeOptions,
  ): { socket: WebSocket; response: Response };
  listen(options: { hostname: string; port: number; transport?: 'tcp' }): DenoListener;
}

/**
 * The running Deno.
 *
 * @throws TypeError when this is not Deno
 */
export function deno(): DenoGlobal {
  const value = (globalThis as { Deno?: DenoGlobal }).Deno;
  if (value === undefined) throw new TypeError('@strata-ws/handler/deno runs on Deno only');
  return value;
}
