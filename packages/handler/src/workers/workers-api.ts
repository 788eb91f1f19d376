/**
 * The part of the Cloudflare Workers runtime the Workers adapter uses, declared here (not
 * `@cloudflare/workers-types`, whose globals would clash with Node's and the DOM's in this
 * repository's typecheck): `WebSocketPair`, the server end's `accept`/attachments, the
 * `Response` init's `webSocket`, and the Durable Object state's hibernation API. Only what the
 * adapter calls, with the documented shapes.
 */

/** A Workers `WebSocket` (either end of a `WebSocketPair`). */
export interface WorkersWebSocket {
  readonly readyState: number;
  /** `'blob'` by default from the `websocket_standard_binary_type` compatibility flag on. */
  binaryType?: string;
  accept(): void;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'message',
    listener: (event: { data: string | ArrayBuffer }) => void,
  ): void;
  addEventListener(
    type: 'close',
    listener: (event: { code: number; reason: string }) => void,
  ): void;
  addEventListener(
    type: 'error',
    listener: (event: { error?: unknown; message?: string }) => void,
  ): void;
  /** Hibernation API: what survives hibernation with the socket (structured-clonable, ≤ 2 KiB). */
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** The Durable Object state's WebSocket (hibernation) API. */
export interface DurableObjectStateLike {
  acceptWebSocket(ws: WorkersWebSocket, tags?: string[]): void;
  getWebSockets(tag?: string): WorkersWebSocket[];
}

/** `new WebSocketPair()`: `[client, server]`. */
type WebSocketPairConstructor = new () => { 0: WorkersWebSocket; 1: WorkersWebSocket };

/**
 * A new `WebSocketPair` of the running Workers runtime.
 *
 * @throws TypeError when this is not a Workers runtime
 */
export function webSocketPair(): [client: WorkersWebSocket, server: WorkersWebSocket] {
  const Pair = (globalThis as { WebSocketPair?: WebSocketPairConstructor }).WebSocketPair;
  if (Pair === undefined) {
    throw new TypeError('@strata-ws/handler/workers runs on Cloudflare Workers (workerd) only');
  }
  const pair = new Pair();
  return [pair[0], pair[1]];
}

/** The 101 answer that hands the client end to the runtime (Workers' `Response` extension). */
export function switchingProtocols(client: WorkersWebSocket, headers: Headers): Response {
  return new Response(null, { status: 101, headers, webSocket: client } as ResponseInit);
}
