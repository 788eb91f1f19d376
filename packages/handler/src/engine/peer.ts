/**
 * One open connection of the `strata` modes: the {@link Peer} the hooks see, driving
 * `@strata-ws/protocol`'s `Connection` over a {@link RawTransport}. Owns the write path
 * (everything produced while handling one read, or in one microtask, leaves in one `write`),
 * backpressure (`highWaterMark` pauses reading and makes `send` answer -1; `maxBufferedAmount`
 * applies `backpressurePolicy`), the close timer, the heartbeat answer and the hook calls
 * (a hook that throws goes to `error`, or closes with 1011 when there is no `error` hook).
 * Portable.
 */
import { CloseCode, failureCloseReason, type ProtocolError } from '@strata-ws/codec';
import {
  Connection,
  type ConnectionHandler,
  type ConnectionOptions,
  type PreparedMessage,
} from '@strata-ws/protocol';
import type { HookRunner } from '../core/hooks.js';
import { createMessage } from '../core/message.js';
import { toPayload } from '../core/send.js';
import type { LocalTopics } from '../core/topics.js';
import type {
  CloseDetails,
  Peer,
  PeerReadyState,
  SendData,
  SendOptions,
  SendStatus,
} from '../types.js';
import type { EngineProfile } from './options.js';
import type { RawTransport } from './transport.js';

/** What a peer needs from the adapter that accepted it. */
export interface PeerHost<Context> {
  readonly hooks: HookRunner<Context>;
  readonly profile: EngineProfile;
  readonly topics: LocalTopics<EnginePeer<Context>>;
  publish(topic: string, data: SendData, options: SendOptions | undefined, except: unknown): void;
  /** The peer is closed: forget it. */
  release(peer: EnginePeer<Context>): void;
}

/** The handshake's outcome for one peer. */
export interface PeerInit<Context> {
  readonly id: string;
  readonly request: Request;
  readonly context: Context;
  readonly protocol: string;
  readonly extensions: string;
  readonly connectionOptions: ConnectionOptions;
}

const IN_RECEIVE = 1;
const NEED_FLUSH = 2;
const FLUSH_QUEUED = 4;
const PAUSE_BACKPRESSURE = 8;
const PAUSE_INPUT = 16;
const WANT_DRAIN = 32;
const RECEIVED = 64;
const AWAITING_PONG = 128;
const CLOSED = 256;
const ENDED = 512;

/** A peer of the engine-driven (`strata`) adapters. */
export class EnginePeer<Context = unknown> implements Peer<Context> {
  readonly id: string;
  readonly request: Request;
  readonly remoteAddress: string | undefined;
  context: Context;
  readonly protocol: string;
  readonly extensions: string;
  readonly #transport: RawTransport;
  readonly #host: PeerHost<Context>;
  readonly #conn: Connection;
  #flags = 0;
  #code: number = CloseCode.AbnormalClosure;
  #reason = '';
  #closeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(transport: RawTransport, host: PeerHost<Context>, init: PeerInit<Context>) {
    this.id = init.id;
    this.request = init.request;
    this.remoteAddress = transport.remoteAddress;
    this.context = init.context;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.#transport = transport;
    this.#host = host;
    this.#conn = new Connection(this.#engineHandler(), init.connectionOptions);
  }

  get readyState(): PeerReadyState {
    if (this.#flags & CLOSED) return 3;
    return this.#conn.state === 1 ? 1 : 2;
  }

  get bufferedAmount(): number {
    return this.#transport.queuedBytes + this.#conn.outputLength + this.#conn.pendingLength;
  }

  get topics(): ReadonlySet<string> {
    return this.#host.topics.topicsOf(this);
  }

  send(data: SendData, options?: SendOptions): SendStatus {
    const payload = toPayload(data);
    if (!this.#canSend()) return 0;
    const compress = options?.compress;
    const engineOptions = compress === undefined ? undefined : { compress };
    const body = payload.data;
    if (typeof body === 'string') this.#conn.sendText(body, engineOptions);
    else this.#conn.sendBinary(body, engineOptions);
    return this.#afterSend(body.length);
  }

  /** Sends a message framed once for many peers (a publish). */
  sendPrepared(message: PreparedMessage): void {
    if (!this.#canSend()) return;
    this.#conn.sendPrepared(message);
    this.#afterSend(message.data.length);
  }

  subscribe(topic: string): void {
    if (this.#flags & CLOSED) return;
    this.#host.topics.subscribe(this, topic);
  }

  unsubscribe(topic: string): void {
    this.#host.topics.unsubscribe(this, topic);
  }

  isSubscribed(topic: string): boolean {
    return this.#host.topics.isSubscribed(this, topic);
  }

  publish(topic: string, data: SendData, options?: SendOptions): void {
    this.#host.publish(topic, data, options, this);
  }

  close(code?: number, reason?: string): void {
    if (this.#flags & CLOSED) return;
    this.#conn.close(code, reason);
    this.#scheduleFlush();
  }

  terminate(): void {
    if (this.#flags & CLOSED) return;
    this.#transport.destroy();
  }

  /** Starts the connection: `open`, then the bytes that came after the request head. */
  start(rest: Uint8Array): void {
    this.#host.hooks.open(this);
    if (rest.length > 0 && !(this.#flags & CLOSED)) this.data(rest);
    else this.#flush();
  }

  // ---- transport events (the runtime adapter calls these) ----

  /** Bytes from the peer. */
  data(chunk: Uint8Array): void {
    if (this.#flags & CLOSED) return;
    this.#flags = (this.#flags | IN_RECEIVE | RECEIVED) & ~AWAITING_PONG;
    try {
      this.#conn.receive(chunk);
    } catch (error) {
      // Only a bug of ours gets here (hooks are called under their own guard): the engine
      // has failed the connection with 1011 already.
      this.#report(error);
    } finally {
      this.#flags &= ~IN_RECEIVE;
    }
    if (!this.#conn.wantsInput && !(this.#flags & PAUSE_INPUT)) {
      this.#flags |= PAUSE_INPUT;
      this.#transport.pause();
    }
    this.#flush();
  }

  /** The peer ended its side. */
  eof(): void {
    if (this.#flags & (CLOSED | ENDED)) return;
    this.#conn.receiveEof();
    this.#flush();
    if (!(this.#flags & ENDED)) this.#end();
  }

  /** The transport's queue emptied. */
  drained(): void {
    if (!(this.#flags & (PAUSE_BACKPRESSURE | WANT_DRAIN))) return;
    if (this.bufferedAmount > this.#host.profile.highWaterMark) return;
    const wanted = this.#flags & WANT_DRAIN;
    if (this.#flags & PAUSE_BACKPRESSURE) {
      this.#flags &= ~PAUSE_BACKPRESSURE;
      if (!(this.#flags & PAUSE_INPUT)) this.#transport.resume();
    }
    this.#flags &= ~WANT_DRAIN;
    if (wanted && !(this.#flags & CLOSED)) this.#host.hooks.drain(this);
  }

  /** The transport is closed: the `close` hook, once. */
  closed(): void {
    if (this.#flags & CLOSED) return;
    if (this.#conn.state !== 3) {
      // Ended without the closing handshake: the engine records the abnormal closure.
      this.#conn.receiveEof();
    }
    this.#flags |= CLOSED;
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer);
    this.#host.topics.unsubscribeAll(this);
    this.#host.release(this);
    const details: CloseDetails = { code: this.#code, reason: this.#reason };
    this.#host.hooks.close(this, details);
  }

  /**
   * One heartbeat tick: a peer that sent nothing since the last tick gets a ping; one that
   * did not answer the previous ping either is terminated.
   */
  heartbeat(): void {
    const flags = this.#flags;
    if (flags & CLOSED || this.#conn.state !== 1) return;
    if (flags & RECEIVED) {
      this.#flags &= ~RECEIVED;
      return;
    }
    if (flags & AWAITING_PONG) {
      this.terminate();
      return;
    }
    this.#flags |= AWAITING_PONG;
    this.#conn.ping();
    this.#scheduleFlush();
  }

  // ---- internals ----

  #canSend(): boolean {
    if (this.#flags & CLOSED || this.#conn.state !== 1) return false;
    const profile = this.#host.profile;
    if (this.bufferedAmount < profile.maxBufferedAmount) return true;
    if (profile.backpressurePolicy === 'close')
      this.close(CloseCode.PolicyViolation, 'Send queue full');
    return false;
  }

  #afterSend(length: number): SendStatus {
    this.#scheduleFlush();
    if (this.bufferedAmount <= this.#host.profile.highWaterMark) return Math.max(length, 1);
    this.#flags |= WANT_DRAIN;
    if (!(this.#flags & PAUSE_BACKPRESSURE)) {
      this.#flags |= PAUSE_BACKPRESSURE;
      this.#transport.pause();
    }
    return -1;
  }

  #scheduleFlush(): void {
    const flags = this.#flags;
    if (flags & IN_RECEIVE) {
      this.#flags = flags | NEED_FLUSH;
      return;
    }
    if (flags & FLUSH_QUEUED) return;
    this.#flags = flags | FLUSH_QUEUED;
    queueMicrotask(() => this.#flush());
  }

  /** Writes the engine's output; closes the transport when the engine says so. */
  #flush(): void {
    this.#flags &= ~(NEED_FLUSH | FLUSH_QUEUED);
    if (this.#flags & (CLOSED | ENDED)) return;
    const conn = this.#conn;
    const chunks = conn.takeOutput();
    if (chunks.length > 0) this.#transport.write(chunks);
    if (conn.transportShouldClose) {
      this.#end();
      return;
    }
    if (conn.state !== 1 && this.#closeTimer === undefined) {
      // This end sent its close frame: the peer has closeTimeout to answer.
      this.#closeTimer = setTimeout(
        () => this.#transport.destroy(),
        this.#host.profile.closeTimeout,
      );
    }
    // The queue may be back under highWaterMark without the transport ever reporting a drain:
    // a send counted while its message waited for compression, then the (smaller) frames went
    // to the kernel at once. Reading must not stay paused waiting for a drain that never comes.
    if (this.#flags & (PAUSE_BACKPRESSURE | WANT_DRAIN)) this.drained();
  }

  #end(): void {
    this.#flags |= ENDED;
    this.#transport.end();
    // A peer that never reads could hold the FIN behind a full queue: the close timer ends it.
    if (this.#closeTimer === undefined) {
      this.#closeTimer = setTimeout(
        () => this.#transport.destroy(),
        this.#host.profile.closeTimeout,
      );
    }
  }

  #report(error: unknown): void {
    console.error(`[@strata-ws/handler] peer ${this.id}:`, error);
  }

  #engineHandler(): ConnectionHandler {
    return {
      onMessage: (data, isBinary) => {
        // A message inflated after the transport closed is not delivered after `close`.
        if (!(this.#flags & CLOSED)) this.#host.hooks.message(this, createMessage(data, isBinary));
      },
      onPing: () => {},
      onPong: () => {},
      onClose: (code, reason) => {
        this.#code = code;
        this.#reason = reason;
      },
      onFail: (error: ProtocolError) => {
        this.#code = error.closeCode;
        this.#reason = failureCloseReason(error.closeCode, error.message);
        this.#host.hooks.report(this, error);
      },
      onOutput: () => this.#scheduleFlush(),
      onResumeInput: () => {
        if (!(this.#flags & PAUSE_INPUT)) return;
        this.#flags &= ~PAUSE_INPUT;
        if (!(this.#flags & PAUSE_BACKPRESSURE)) this.#transport.resume();
      },
    };
  }
}
