/**
 * A {@link Peer} over a runtime's WHATWG-style server WebSocket (Deno's `upgradeWebSocket`
 * socket, a Workers `WebSocketPair` end): what the runtime does not give is added here the
 * same way for both — topics through the core's `LocalTopics` (one payload conversion per
 * publish, one `send` per subscriber), `maxMessageSize` checked on arrival (1009), the
 * `maxBufferedAmount` policy and `highWaterMark` against the socket's `bufferedAmount` where
 * the runtime has one (a drain is noticed by polling it: these runtimes have no drain event),
 * and `terminate` reported to the `close` hook as 1006 at once. Portable.
 */
import { CloseCode, encodeClosePayload } from '@strata-ws/codec';
import type { HookRunner } from '../core/hooks.js';
import { createMessage } from '../core/message.js';
import { toPayload } from '../core/send.js';
import { checkTopic, type LocalTopics } from '../core/topics.js';
import type {
  CloseDetails,
  Peer,
  PeerReadyState,
  SendData,
  SendOptions,
  SendStatus,
} from '../types.js';
import type { EngineProfile } from './options.js';

/** The WHATWG WebSocket members the peer uses. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount?: number;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}

/** What a peer needs from its adapter. */
export interface WebPeerHost<Context> {
  readonly runner: HookRunner<Context>;
  readonly profile: EngineProfile;
  readonly topics: LocalTopics<WebSocketPeer<Context>>;
  /** The peer is closed: forget it. */
  release(peer: WebSocketPeer<Context>): void;
}

/** What the adapter knows about one connection when it opens. */
export interface WebPeerInit<Context> {
  readonly id: string;
  readonly request: Request;
  readonly remoteAddress: string | undefined;
  readonly context: Context;
  readonly protocol: string;
  readonly extensions: string;
}

/** How often a backpressured peer's `bufferedAmount` is read to notice a drain. */
const DRAIN_POLL_MS = 5;

/** A peer over a WHATWG-style server WebSocket. */
export class WebSocketPeer<Context = unknown> implements Peer<Context> {
  readonly id: string;
  readonly request: Request;
  readonly remoteAddress: string | undefined;
  context: Context;
  readonly protocol: string;
  readonly extensions: string;
  readonly #socket: WebSocketLike;
  readonly #host: WebPeerHost<Context>;
  #closed = false;
  #drainTimer: ReturnType<typeof setInterval> | undefined;
  // The profile's per-message numbers, copied once (read on every message and send).
  readonly #maxMessageSize: number;
  readonly #maxBufferedAmount: number;
  readonly #highWaterMark: number;
  readonly #runner: HookRunner<Context>;
  /** `bufferedAmount` as read right after the last send (an upper bound of it until the next). */
  #lastBuffered = 0;

  constructor(socket: WebSocketLike, host: WebPeerHost<Context>, init: WebPeerInit<Context>) {
    this.id = init.id;
    this.request = init.request;
    this.remoteAddress = init.remoteAddress;
    this.context = init.context;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.#socket = socket;
    this.#host = host;
    this.#runner = host.runner;
    this.#maxMessageSize = host.profile.limits.maxMessageSize;
    this.#maxBufferedAmount = host.profile.maxBufferedAmount;
    this.#highWaterMark = host.profile.highWaterMark;
  }

  get readyState(): PeerReadyState {
    if (this.#closed) return 3;
    const state = this.#socket.readyState;
    return state === 1 || state === 2 ? state : 3;
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount ?? 0;
  }

  get topics(): ReadonlySet<string> {
    return this.#host.topics.topicsOf(this);
  }

  send(data: SendData, _options?: SendOptions): SendStatus {
    // Strings and Uint8Arrays as they are (the hot path); the rest through toPayload.
    return this.sendPayload(
      typeof data === 'string' || data instanceof Uint8Array ? data : toPayload(data).data,
    );
  }

  /** Sends an already converted payload (a publish converts once for every subscriber). */
  sendPayload(payload: string | Uint8Array): SendStatus {
    const socket = this.#socket;
    if (this.#closed || socket.readyState !== 1) return 0;
    // The queue only grows by our own sends and shrinks on its own: while the amount read after
    // the last send is under the bound, it still is (one getter call per send, not two).
    if (
      this.#lastBuffered >= this.#maxBufferedAmount &&
      (socket.bufferedAmount ?? 0) >= this.#maxBufferedAmount
    ) {
      if (this.#host.profile.backpressurePolicy === 'close')
        this.close(CloseCode.PolicyViolation, 'Send queue full');
      return 0;
    }
    socket.send(payload);
    const buffered = socket.bufferedAmount ?? 0;
    this.#lastBuffered = buffered;
    if (buffered <= this.#highWaterMark) return payload.length || 1;
    this.#watchDrain();
    return -1;
  }

  subscribe(topic: string): void {
    if (this.readyState === 3) return;
    this.#host.topics.subscribe(this, topic);
  }

  unsubscribe(topic: string): void {
    this.#host.topics.unsubscribe(this, topic);
  }

  isSubscribed(topic: string): boolean {
    return this.#host.topics.isSubscribed(this, topic);
  }

  publish(topic: string, data: SendData, _options?: SendOptions): void {
    publishTo(this.#host.topics, topic, data, this);
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    // The codec's rules for a sendable close code and reason (RangeError otherwise).
    encodeClosePayload(code, reason);
    if (this.readyState === 1) this.#socket.close(code, reason);
  }

  /**
   * These runtimes cannot drop a connection without a close frame: the socket is closed with
   * 1001, and the `close` hook runs at once with 1006 (as after a dropped connection).
   */
  terminate(): void {
    if (this.#closed) return;
    try {
      if (this.#socket.readyState <= 1) this.#socket.close(CloseCode.GoingAway, '');
    } catch {
      // already closing
    }
    this.closed(CloseCode.AbnormalClosure, '');
  }

  // ---- socket events (the adapter calls these) ----

  /** The socket opened: the `open` hook. */
  opened(): void {
    this.#host.runner.open(this);
  }

  /** A message arrived (text as a string, binary as bytes). */
  received(data: string | Uint8Array, isBinary: boolean): void {
    if (this.#closed) return;
    const limit = this.#maxMessageSize;
    // A string's UTF-8 size is at least its length and at most three times it.
    if (
      data.length > limit ||
      (typeof data === 'string' && data.length * 3 > limit && byteLength(data) > limit)
    ) {
      this.close(CloseCode.MessageTooBig, 'Message too big');
      return;
    }
    this.#runner.message(this, createMessage(data, isBinary));
  }

  /** The runtime reported an error on the socket. */
  failed(error: Error): void {
    if (!this.#closed) this.#host.runner.report(this, error);
  }

  /** The socket is closed: the `close` hook, once. */
  closed(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#drainTimer !== undefined) clearInterval(this.#drainTimer);
    this.#host.topics.unsubscribeAll(this);
    this.#host.release(this);
    // Deno reports 0 for a connection that ended without a close frame.
    const details: CloseDetails = { code: code >= 1000 ? code : CloseCode.AbnormalClosure, reason };
    this.#host.runner.close(this, details);
  }

  #watchDrain(): void {
    if (this.#drainTimer !== undefined) return;
    this.#drainTimer = setInterval(() => {
      if (this.#closed) return;
      if (this.bufferedAmount > this.#host.profile.highWaterMark) return;
      clearInterval(this.#drainTimer);
      this.#drainTimer = undefined;
      this.#host.runner.drain(this);
    }, DRAIN_POLL_MS);
  }
}

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Sends `data` to every subscriber of `topic` but `except` (converted once). Returns how many
 * peers it was handed to.
 */
export function publishTo<Context>(
  topics: LocalTopics<WebSocketPeer<Context>>,
  topic: string,
  data: SendData,
  except: unknown,
): number {
  checkTopic(topic);
  const subscribers = topics.subscribers(topic);
  if (subscribers === undefined) return 0;
  const payload = toPayload(data).data;
  let count = 0;
  // A send may close a peer (backpressure), which unsubscribes it: walk a copy.
  for (const peer of [...subscribers]) {
    if (peer === except) continue;
    peer.sendPayload(payload);
    count++;
  }
  return count;
}
