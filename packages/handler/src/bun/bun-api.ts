/**
 * The part of Bun's API the Bun adapter uses, declared here (not `@types/bun`, whose globals
 * would leak into every package's typecheck): `Bun.serve` with its `websocket` handler and
 * `ServerWebSocket`, `Bun.listen` with its TCP `Socket`. Only what the adapter calls, with
 * Bun's documented shapes. The runtime value is read from `globalThis.Bun`.
 */

/** Bun's `ServerWebSocket` (uWebSockets inside). */
export interface BunServerWebSocket<Data> {
  data: Data;
  readonly readyState: 0 | 1 | 2 | 3;
  readonly remoteAddress: string;
  send(data: string | ArrayBufferView | ArrayBuffer, compress?: boolean): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  isSubscribed(topic: string): boolean;
  publish(topic: string, data: string | ArrayBufferView | ArrayBuffer, compress?: boolean): number;
  getBufferedAmount(): number;
}

/** The `websocket` object of `Bun.serve`. */
export interface BunWebSocketHandler<Data> {
  open?(ws: BunServerWebSocket<Data>): void;
  message(ws: BunServerWebSocket<Data>, message: string | Uint8Array): void;
  close?(ws: BunServerWebSocket<Data>, code: number, reason: string): void;
  drain?(ws: BunServerWebSocket<Data>): void;
  maxPayloadLength?: number;
  backpressureLimit?: number;
  closeOnBackpressureLimit?: boolean;
  idleTimeout?: number;
  sendPings?: boolean;
  perMessageDeflate?: boolean;
  publishToSelf?: boolean;
}

/** Bun's `Server` (what `Bun.serve` returns and `fetch` receives). */
export interface BunServer {
  readonly port: number;
  readonly hostname: string;
  upgrade<Data>(request: Request, options?: { data?: Data; headers?: Headers }): boolean;
  publish(topic: string, data: string | ArrayBufferView | ArrayBuffer, compress?: boolean): number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

/** Options of `Bun.serve` the adapter passes. */
export interface BunServeOptions<Data> {
  port: number;
  hostname: string;
  fetch(request: Request, server: BunServer): Response | undefined | Promise<Response | undefined>;
  websocket: BunWebSocketHandler<Data>;
}

/** A TCP socket of `Bun.listen` (`data` is ours). */
export interface BunSocket<Data> {
  data: Data;
  readonly remoteAddress: string;
  write(data: Uint8Array): number;
  end(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

/** The handlers of `Bun.listen`. */
export interface BunSocketHandler<Data> {
  open(socket: BunSocket<Data>): void;
  data(socket: BunSocket<Data>, chunk: Uint8Array): void;
  drain(socket: BunSocket<Data>): void;
  end(socket: BunSocket<Data>): void;
  close(socket: BunSocket<Data>, error?: Error): void;
  error(socket: BunSocket<Data>, error: Error): void;
}

/** What `Bun.listen` returns. */
export interface BunTcpListener {
  readonly port: number;
  readonly hostname: string;
  stop(closeActiveConnections?: boolean): void;
}

/** The `Bun` global, as far as the adapter uses it. */
export interface BunGlobal {
  serve<Data>(options: BunServeOptions<Data>): BunServer;
  listen<Data>(options: {
    hostname: string;
    port: number;
    socket: BunSocketHandler<Data>;
  }): BunTcpListener;
}

/**
 * The running Bun.
 *
 * @throws TypeError when this is not Bun
 */
export function bun(): BunGlobal {
  const value = (globalThis as { Bun?: BunGlobal }).Bun;
  if (value === undefined) throw new TypeError('@strata-ws/handler/bun runs on Bun only');
  return value;
}
