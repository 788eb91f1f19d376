/**
 * The public, runtime-independent types of `@strata-ws/handler`: the hooks an application
 * writes once (`upgrade`, `open`, `message`, `close`, `error`, `drain`), the `Peer` each hook
 * receives, the `Message` wrapper, the upgrade hook's possible answers and the options every
 * adapter shares. Portable: no Node types (only the WHATWG `Request` / `Response` / `Headers`).
 */

/**
 * What {@link Peer.send} and {@link Peer.publish} report, as `Bun.serve`'s `ServerWebSocket.send`
 * does: a number greater than 0 is the number of bytes queued (the message will be sent);
 * {@link SendStatus.Backpressure} (-1) means the message was queued but the peer's outgoing
 * queue is now over `highWaterMark` (wait for the `drain` hook before sending more);
 * {@link SendStatus.Dropped} (0) means the message was not queued (connection closing or
 * closed, or the queue over `maxBufferedAmount` under `backpressurePolicy: 'drop'`).
 */
export type SendStatus = number;

/** The named values of {@link SendStatus}. */
export const SendStatus: { readonly Dropped: 0; readonly Backpressure: -1 } = Object.freeze({
  Dropped: 0,
  Backpressure: -1,
});

/**
 * Data a peer can send: text, or bytes (`Uint8Array`, any `ArrayBufferView`, `ArrayBuffer`).
 * Text goes out as a text message, bytes as a binary message.
 */
export type SendData = string | ArrayBuffer | ArrayBufferView;

/** Options of {@link Peer.send} and {@link Peer.publish}. */
export interface SendOptions {
  /**
   * Compress this message when permessage-deflate was negotiated (default: compress when the
   * adapter's `perMessageDeflate` is on and the message is over its threshold).
   */
  compress?: boolean;
}

/** The kind of a received message. */
export type MessageType = 'text' | 'binary';

/**
 * A received message. The bytes are read once; `text()`, `bytes()`, `arrayBuffer()` and
 * `json()` may be called any number of times (`text()` and `json()` decode once and cache).
 */
export interface Message {
  /** `'text'` or `'binary'`, as the peer framed it. */
  readonly type: MessageType;
  /** `true` for a binary message. */
  readonly isBinary: boolean;
  /** The payload as a string (UTF-8; a text message was already validated by the engine). */
  text(): string;
  /** The payload as bytes. The view is the message's own: do not keep it past the hook if you mutate it. */
  bytes(): Uint8Array;
  /** Same as {@link Message.bytes} (crossws's name). */
  uint8Array(): Uint8Array;
  /** The payload in an `ArrayBuffer` of its own (a copy unless the bytes already fill one). */
  arrayBuffer(): ArrayBuffer;
  /** `JSON.parse(text())`; throws `SyntaxError` for invalid JSON. */
  json<T = unknown>(): T;
  /** Same as {@link Message.text} (so a message can be used in template strings). */
  toString(): string;
}

/** The details of a closed connection, as handed to the `close` hook. */
export interface CloseDetails {
  /**
   * The close code: the peer's (or ours, when this end closed first and the peer answered),
   * 1005 when the close frame had none, 1006 when the connection ended without a close frame.
   */
  readonly code: number;
  /** The close reason (UTF-8, at most 123 bytes), `''` when none. */
  readonly reason: string;
}

/** Headers as a `Headers` object, a record, or a list of name/value pairs. */
export type HeadersLike =
  | Headers
  | Record<string, string>
  | ReadonlyArray<readonly [string, string]>;

/** The readyState of a peer's connection, with the WHATWG `WebSocket` values. */
export type PeerReadyState = 1 | 2 | 3;

/**
 * One WebSocket connection, as every hook sees it. The same object is handed to every hook
 * of one connection, from `open` to `close`.
 */
export interface Peer<Context = unknown> {
  /** A unique id for this connection (a string; unique within the process / isolate). */
  readonly id: string;
  /** The upgrade request (method, URL, headers) as a WHATWG `Request` (its body is empty). */
  readonly request: Request;
  /** The peer's IP address, when the runtime tells it (`undefined` otherwise, e.g. on Workers). */
  readonly remoteAddress: string | undefined;
  /** What the `upgrade` hook attached (its `context`), or `{}` when it attached nothing. */
  context: Context;
  /** The subprotocol agreed in the handshake, `''` when none. */
  readonly protocol: string;
  /** The extensions agreed in the handshake (the `Sec-WebSocket-Extensions` value), `''` when none. */
  readonly extensions: string;
  /** 1 open, 2 closing, 3 closed (the WHATWG values; there is no 0: hooks never see a connecting peer). */
  readonly readyState: PeerReadyState;
  /** Bytes queued for this peer and not yet written to the network. */
  readonly bufferedAmount: number;
  /** The topics this peer is subscribed to. */
  readonly topics: ReadonlySet<string>;

  /** Sends a message; see {@link SendStatus} for the answer. */
  send(data: SendData, options?: SendOptions): SendStatus;
  /** Subscribes this peer to a topic (no-op when already subscribed). */
  subscribe(topic: string): void;
  /** Unsubscribes this peer from a topic (no-op when not subscribed). */
  unsubscribe(topic: string): void;
  /** Whether this peer is subscribed to `topic`. */
  isSubscribed(topic: string): boolean;
  /**
   * Sends a message to every subscriber of `topic` except this peer (as `Bun.serve` and
   * crossws do); the message is framed once for all of them.
   */
  publish(topic: string, data: SendData, options?: SendOptions): void;
  /** Starts the closing handshake (default code 1000); a bad code or reason throws `RangeError`. */
  close(code?: number, reason?: string): void;
  /** Ends the connection at once, without a closing handshake (the `close` hook gets 1006). */
  terminate(): void;
}

/**
 * The `upgrade` hook's answer that accepts the connection. Every field is optional: returning
 * nothing (or `{}`) accepts with no subprotocol and an empty context.
 */
export interface UpgradeAccept<Context> {
  /** Attached to the peer as `peer.context` (e.g. the authenticated user). */
  context?: Context;
  /**
   * The subprotocol to agree, which must be one the client offered
   * (`Sec-WebSocket-Protocol`); otherwise the upgrade fails with 500 and the `error` option is
   * called. Without it, the adapter's `protocols` option (if any) picks.
   */
  protocol?: string;
  /** Extra headers for the 101 response (e.g. `set-cookie`). */
  headers?: HeadersLike;
}

/**
 * What the `upgrade` hook may return: nothing or {@link UpgradeAccept} to accept, or a
 * `Response` to refuse (its status, headers and body are what the client gets; a status below
 * 400 is treated as 403). Throwing (or rejecting with) a `Response` refuses the same way;
 * throwing anything else refuses with 500 and reports the error to the `onError` option.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing (implicitly) accepts
export type UpgradeResult<Context> = UpgradeAccept<Context> | Response | undefined | void;

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The hooks of a handler. All are optional. A hook may be asynchronous; a hook that throws
 * or rejects calls `error(peer, error)` — and closes the connection with 1011 when there is
 * no `error` hook, so that no failure goes unnoticed.
 *
 * Order for one connection: `upgrade` → `open` → `message`* (in wire order; an async
 * `message` hook is not awaited before the next message is delivered) → `close` exactly once.
 * `error` may come between them; `drain` after a `send` that returned `SendStatus.Backpressure`
 * once the queue is back under `highWaterMark`.
 */
export interface Hooks<Context = unknown> {
  /**
   * Runs before the 101 response, with the request as a WHATWG `Request`: authenticate,
   * choose a subprotocol, attach context, or refuse by returning or throwing a `Response`.
   * Covered by the adapter's `handshakeTimeout`.
   */
  upgrade?(request: Request): MaybePromise<UpgradeResult<Context>>;
  /** The connection is open: the peer can send and subscribe. */
  open?(peer: Peer<Context>): MaybePromise<void>;
  /** A whole message arrived. */
  message?(peer: Peer<Context>, message: Message): MaybePromise<void>;
  /** The connection is closed (called once per opened peer, whatever ended it). */
  close?(peer: Peer<Context>, details: CloseDetails): MaybePromise<void>;
  /** A hook failed, or the connection failed (a protocol error: the error has a `closeCode`). */
  error?(peer: Peer<Context>, error: Error): MaybePromise<void>;
  /** The peer's outgoing queue went back under `highWaterMark` after a backpressured send. */
  drain?(peer: Peer<Context>): MaybePromise<void>;
}

/**
 * Declares a handler's hooks with their types: `Context` is what `upgrade` attaches and what
 * `peer.context` is in every other hook. Returns the same object (no wrapping), so the hooks
 * can be handed to any adapter.
 *
 * @example
 * ```ts
 * const hooks = defineHooks<{ user: string }>({
 *   upgrade(request) {
 *     const user = request.headers.get('x-user');
 *     if (!user) return new Response('who are you?', { status: 401 });
 *     return { context: { user } };
 *   },
 *   message(peer, message) {
 *     peer.send(`${peer.context.user}: ${message.text()}`);
 *   },
 * });
 * ```
 */
export function defineHooks<Context = unknown>(hooks: Hooks<Context>): Hooks<Context> {
  return hooks;
}

/**
 * Options every adapter in `strata` mode understands, with the same names and defaults as
 * `@strata-ws/server` (the receive limits come from the engine's one table in
 * `@strata-ws/protocol`: `LIMIT_DEFAULTS.server`). Each is validated when the adapter is
 * created (a `TypeError` / `RangeError` naming the option).
 */
export interface HandlerOptions {
  /** Subprotocols this server speaks, in order of preference (used when `upgrade` picks none). */
  protocols?: readonly string[];
  /** permessage-deflate (RFC 7692): `false` (default) or `true`. */
  perMessageDeflate?: boolean;
  /** Largest frame payload in bytes (default 16 MiB); larger frames close with 1009. */
  maxPayload?: number;
  /** Largest (decompressed) message in bytes (default 16 MiB); larger messages close with 1009. */
  maxMessageSize?: number;
  /** Opt-in: most frames per message (default `Infinity`); more close with 1008. */
  maxFragments?: number;
  /** Received bytes held while an asynchronous decode runs (default 1 MiB; 1008 at twice it). */
  maxBufferedInput?: number;
  /** Max time from the upgrade request to the 101, including the `upgrade` hook (default 10 000 ms). */
  handshakeTimeout?: number;
  /** Time a peer has to answer our close frame before the connection is destroyed (default 5 000 ms). */
  closeTimeout?: number;
  /** Ping a silent connection every this many ms; terminate it if still silent at the next (default 30 000; 0 off). */
  heartbeatInterval?: number;
  /** Stop reading from a peer while its outgoing queue holds more than this many bytes; `send` returns -1 above it (default 1 MiB). */
  highWaterMark?: number;
  /** Outgoing queue size beyond which `backpressurePolicy` applies (default 8 MiB). */
  maxBufferedAmount?: number;
  /** `'close'` (default): close with 1008; `'drop'`: drop the message (`send` returns 0). */
  backpressurePolicy?: 'close' | 'drop';
  /**
   * Called with errors that have no peer to go to: an `upgrade` hook that threw something
   * other than a `Response`, or an `upgrade` answer naming a subprotocol the client did not
   * offer. Default: `console.error`.
   */
  onError?: (error: Error, request: Request) => void;
}
