/**
 * `@strata-ws/reconnect/server`: resumable topic sessions on a `@strata-ws/server`
 * `WebSocketServer`, built on its public API only: a pub/sub adapter that sees every topic
 * message delivered in this process (numbering and buffering it per session), and a
 * `connection` listener that reads the resume request from the URL, restores the session's
 * subscriptions and replays what its client missed. Owns the sessions' memory bounds and the
 * one expiry timer. Node only.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  type AuthenticateHook,
  InProcessAdapter,
  type LocalDelivery,
  type PubSubAdapter,
  type PubSubMessage,
  type SendOptions,
  type ServerWebSocket,
  type TopicSubscriber,
  WebSocketServer,
  type WebSocketServerOptions,
} from '@strata-ws/server';
import { ENTRY_OVERHEAD, MemorySessionStore, ResumeSession, type SessionStore } from './session.js';
import {
  DIRECT_HEADER,
  formatNotice,
  numberedHeader,
  parseResumeRequest,
  RESUME_PARAM,
  RESUME_VERSION,
  type ResumeRequest,
} from './wire.js';

/** The resume request in a handshake's URL, or null (a plain connection). */
function resumeRequestOf(request: IncomingMessage): ResumeRequest | null {
  const query = (request.url ?? '').split('?')[1];
  if (query === undefined) return null;
  return parseResumeRequest(new URLSearchParams(query).get(RESUME_PARAM));
}

export {
  type BufferedMessage,
  ENTRY_OVERHEAD,
  MemorySessionStore,
  ResumeSession,
  type SessionMessage,
  type SessionStore,
} from './session.js';

/** Timers and time of the session expiry (injectable for tests). */
export interface ServerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of {@link ResumableSessions} (the server's `resume` option). */
export interface ResumeOptions {
  /** How long (ms) a session stays resumable after its client went away. Default 30 000. */
  windowMs?: number;
  /** Bytes buffered per session (payload + 64 per message); older messages are dropped. Default 1 MiB. */
  maxBytes?: number;
  /** Bytes buffered by all sessions together. Default 64 MiB. */
  maxTotalBytes?: number;
  /** Most sessions held (attached or not). Default 10 000; beyond it new ones are refused with 1013. */
  maxSessions?: number;
  /** The pub/sub adapter to wrap (e.g. a cluster adapter). Default: this process only. */
  adapter?: PubSubAdapter;
  /** Where sessions live. Default: {@link MemorySessionStore}. */
  store?: SessionStore;
  /** Time and timers (tests). */
  clock?: ServerClock;
}

/** Close code for a connection refused a session because `maxSessions` is reached (Try Again Later). */
export const TRY_AGAIN_LATER = 1013;

/** Close code for the older connection of a session a newer connection took over. */
export const SESSION_TAKEN_OVER = 4001;

const nodeClock: ServerClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`resume.${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

type Send = (data: string | Uint8Array, options?: SendOptions) => boolean;

/** The wrapper adapter: every delivery reaches the server's subscribers and the sessions. */
class ResumeAdapter implements PubSubAdapter {
  readonly #inner: PubSubAdapter;
  readonly #sessions: ResumableSessions;
  /** Topics with a plain (server-registry) subscriber. */
  readonly #serverTopics = new Set<string>();

  constructor(inner: PubSubAdapter, sessions: ResumableSessions) {
    this.#inner = inner;
    this.#sessions = sessions;
  }

  attach(deliverLocally: LocalDelivery): void {
    this.#inner.attach(
      (topic, message, exclude) =>
        deliverLocally(topic, message, exclude) +
        this.#sessions.deliver(topic, message, exclude as unknown),
    );
  }

  publish(topic: string, message: PubSubMessage, exclude: TopicSubscriber | undefined): number {
    return this.#inner.publish(topic, message, exclude);
  }

  topicOpened(topic: string): void {
    this.#serverTopics.add(topic);
    if (this.#sessions.subscriberCount(topic) === 0) this.#inner.topicOpened?.(topic);
  }

  topicClosed(topic: string): void {
    this.#serverTopics.delete(topic);
    if (this.#sessions.subscriberCount(topic) === 0) this.#inner.topicClosed?.(topic);
  }

  /** A session subscribed to the first (session) subscriber of `topic`. */
  sessionTopicOpened(topic: string): void {
    if (!this.#serverTopics.has(topic)) this.#inner.topicOpened?.(topic);
  }

  sessionTopicClosed(topic: string): void {
    if (!this.#serverTopics.has(topic)) this.#inner.topicClosed?.(topic);
  }

  close(): void | Promise<void> {
    return this.#inner.close?.();
  }

  /** The wrapped adapter's counters (e.g. a bus adapter's), so the server's counters show them. */
  get counters(): unknown {
    return (this.#inner as { counters?: unknown }).counters;
  }
}

/**
 * The server side of resumable sessions. Pass {@link ResumableSessions.adapter} as the
 * server's `topics.adapter`, then {@link ResumableSessions.attach} the server (or use
 * {@link createResumableServer}). On a connection that asked for resumption, `ws.subscribe`,
 * `ws.unsubscribe`, `ws.isSubscribed`, `ws.topics` and `ws.send` act on its session (messages
 * wrapped as the resume protocol says); other connections are untouched.
 */
export class ResumableSessions {
  /** The adapter to give the server as `topics.adapter`. */
  readonly adapter: PubSubAdapter;
  readonly #resumeAdapter: ResumeAdapter;
  readonly #windowMs: number;
  readonly #maxBytes: number;
  readonly #maxTotalBytes: number;
  readonly #maxSessions: number;
  readonly #store: SessionStore;
  readonly #clock: ServerClock;
  readonly #subscribers = new Map<string, Set<ResumeSession>>();
  readonly #bySocket = new WeakMap<object, { session: ResumeSession; send: Send }>();
  /** Sessions without a connection, in the order they lost it (= expiry order). */
  readonly #detached = new Map<string, ResumeSession>();
  #totalBytes = 0;
  #timer: unknown = null;
  #timerDue = 0;

  constructor(options: ResumeOptions = {}) {
    this.#windowMs = positive('windowMs', options.windowMs, 30_000);
    this.#maxBytes = positive('maxBytes', options.maxBytes, 1024 * 1024);
    this.#maxTotalBytes = positive('maxTotalBytes', options.maxTotalBytes, 64 * 1024 * 1024);
    this.#maxSessions = positive('maxSessions', options.maxSessions, 10_000);
    this.#store = options.store ?? new MemorySessionStore();
    this.#clock = options.clock ?? nodeClock;
    this.#resumeAdapter = new ResumeAdapter(options.adapter ?? new InProcessAdapter(), this);
    this.adapter = this.#resumeAdapter;
  }

  /** Handles the server's connections (its listener runs before the application's). */
  attach(wss: WebSocketServer<never> | WebSocketServer<unknown>): void {
    (wss as WebSocketServer<unknown>).prependListener('connection', (ws, request) =>
      this.handleConnection(ws, request),
    );
  }

  /** Sessions held (attached or waiting for their client). */
  get sessionCount(): number {
    return this.#store.size;
  }

  /** Bytes buffered by all sessions. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** The session of a connection that asked for resumption. */
  sessionOf(ws: ServerWebSocket<unknown>): ResumeSession | undefined {
    return this.#bySocket.get(ws)?.session;
  }

  /** Sessions subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /**
   * Takes a new connection: a plain one is left alone; one with `strata-resume` in its URL
   * gets a new session or its old one back (subscriptions restored, missed messages replayed).
   * `attach` calls this; call it yourself with `handleUpgrade`-style wiring.
   */
  handleConnection(ws: ServerWebSocket<unknown>, request: IncomingMessage): void {
    const resume = resumeRequestOf(request);
    if (resume === null) return;
    let session: ResumeSession | undefined;
    let resync = false;
    let from = 0;
    if (resume.kind === 'resume') {
      const old = this.#store.get(resume.id);
      if (old !== undefined && resume.seq <= old.seq && resume.seq >= old.firstSeq - 1) {
        session = old;
        from = resume.seq;
      } else {
        resync = true;
        if (old !== undefined) this.#drop(old);
      }
    }
    if (session === undefined) {
      session = this.#create();
      if (session === undefined) {
        ws.close(TRY_AGAIN_LATER, 'too many resumable sessions');
        return;
      }
    }
    const previous = session.ws;
    if (previous !== null && previous !== ws) {
      this.#bySocket.delete(previous);
      previous.close(SESSION_TAKEN_OVER, 'session resumed elsewhere');
    }
    this.#detached.delete(session.id);
    session.ws = ws;
    this.#totalBytes -= session.dropThrough(from);
    const send = this.#wrapConnection(ws, session);
    this.#bySocket.set(ws, { session, send });
    this.#store.attached?.(session);
    send(
      formatNotice({
        v: RESUME_VERSION,
        id: session.id,
        resumed: resume.kind === 'resume' && !resync,
        resync,
        seq: from,
      }),
    );
    for (const message of session.after(from)) {
      send(numbered(message.seq, message.data), {
        binary: message.isBinary,
        compress: message.compress,
      });
    }
    ws.on('close', () => this.#socketClosed(ws, session));
  }

  /**
   * Wraps an authentication hook (or none) so that, before the 101, a resume request for a
   * session this process does not hold is looked up with the store's `load` (a store shared
   * across processes). `createResumableServer` installs it when the store has `load`.
   */
  authenticate<Data>(hook?: AuthenticateHook<Data>): AuthenticateHook<Data> {
    return async (request, info) => {
      await this.preload(request);
      return hook === undefined ? true : hook(request, info);
    };
  }

  /** Loads the session a handshake asks to resume from the store's `load`, if needed. */
  async preload(request: IncomingMessage): Promise<void> {
    const store = this.#store;
    if (store.load === undefined) return;
    const resume = resumeRequestOf(request);
    if (resume?.kind !== 'resume' || store.get(resume.id) !== undefined) return;
    // A copy held here that the store no longer vouches for (e.g. the session went on in
    // another process since): forget it, the store's version replaces it.
    const stale = this.#detached.get(resume.id);
    if (stale !== undefined) this.#drop(stale);
    let session: ResumeSession | undefined;
    try {
      session = await store.load(resume.id, resume.seq);
    } catch {
      return; // unavailable: the client will be told to resynchronise
    }
    if (session === undefined || session.id !== resume.id || store.get(resume.id) !== undefined) {
      return;
    }
    if (store.size >= this.#maxSessions) {
      const oldest = this.#detached.values().next();
      if (oldest.done === true) return;
      this.#drop(oldest.value);
    }
    session.ws = null;
    session.detachedAt = this.#clock.now();
    store.set(session);
    this.#detached.set(session.id, session);
    this.#totalBytes += session.bytes;
    for (const topic of session.topics) this.#addSubscriber(session, topic);
    while (session.bytes > this.#maxBytes && session.length > 0) {
      this.#totalBytes -= session.dropOldest();
    }
    this.#schedule();
  }

  #addSubscriber(session: ResumeSession, topic: string): void {
    let set = this.#subscribers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(topic, set);
      this.#resumeAdapter.sessionTopicOpened(topic);
    }
    set.add(session);
  }

  /** Subscribes the session of `ws` (or `ws` itself when it has none) to `topic`. */
  subscribe(ws: ServerWebSocket<unknown>, topic: string): boolean {
    const entry = this.#bySocket.get(ws);
    if (entry === undefined) return ws.subscribe(topic);
    if (typeof topic !== 'string') throw new TypeError('topic must be a string');
    const session = entry.session;
    if (session.topics.has(topic)) return false;
    session.topics.add(topic);
    this.#addSubscriber(session, topic);
    this.#store.subscribed?.(session, topic);
    return true;
  }

  /** Unsubscribes the session of `ws` (or `ws` itself) from `topic`. */
  unsubscribe(ws: ServerWebSocket<unknown>, topic: string): boolean {
    const entry = this.#bySocket.get(ws);
    if (entry === undefined) return ws.unsubscribe(topic);
    return this.#unsubscribe(entry.session, topic);
  }

  #unsubscribe(session: ResumeSession, topic: string): boolean {
    if (!session.topics.delete(topic)) return false;
    this.#store.unsubscribed?.(session, topic);
    const set = this.#subscribers.get(topic);
    if (set?.delete(session) && set.size === 0) {
      this.#subscribers.delete(topic);
      this.#resumeAdapter.sessionTopicClosed(topic);
    }
    return true;
  }

  /**
   * Numbers, buffers and sends a topic message to every session subscribed to `topic`
   * (the adapter's local delivery calls it). Returns how many sessions took it.
   */
  deliver(topic: string, message: PubSubMessage, exclude: unknown): number {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return 0;
    let copy: Uint8Array | null = null;
    let count = 0;
    const store = this.#store;
    for (const session of set) {
      if (session.ws !== null && session.ws === exclude) {
        store.skipped?.(session, topic, message);
        continue;
      }
      if (store.accept !== undefined && !store.accept(session, topic, message)) continue;
      // One copy per publish, shared by every session (the publisher may reuse its buffer).
      copy ??= Uint8Array.prototype.slice.call(message.data);
      const seq = ++session.seq;
      this.#totalBytes += session.push({
        seq,
        data: copy,
        isBinary: message.isBinary,
        compress: message.compress,
        size: copy.byteLength + ENTRY_OVERHEAD,
      });
      store.delivered?.(session, seq, topic, message);
      while (session.bytes > this.#maxBytes && session.length > 0) {
        this.#totalBytes -= session.dropOldest();
      }
      const ws = session.ws;
      if (ws !== null) {
        this.#bySocket.get(ws)?.send(numbered(seq, copy), {
          binary: message.isBinary,
          compress: message.compress,
        });
      }
      count++;
      if (this.#totalBytes > this.#maxTotalBytes) this.#shed(session);
    }
    return count;
  }

  /** Over the total bound: evict sessions without a client (oldest first), then trim `current`. */
  #shed(current: ResumeSession): void {
    for (const session of this.#detached.values()) {
      if (this.#totalBytes <= this.#maxTotalBytes) return;
      this.#drop(session);
    }
    while (this.#totalBytes > this.#maxTotalBytes && current.length > 0) {
      this.#totalBytes -= current.dropOldest();
    }
  }

  #create(): ResumeSession | undefined {
    if (this.#store.size >= this.#maxSessions) {
      const oldest = this.#detached.values().next();
      if (oldest.done === true) return undefined;
      this.#drop(oldest.value);
    }
    let id = randomBytes(16).toString('base64url');
    while (this.#store.get(id) !== undefined) id = randomBytes(16).toString('base64url');
    const session = new ResumeSession(id);
    this.#store.set(session);
    return session;
  }

  /** Forgets a session: its subscriptions, its buffer, its id. */
  #drop(session: ResumeSession): void {
    this.#store.delete(session.id);
    this.#detached.delete(session.id);
    for (const topic of [...session.topics]) this.#unsubscribe(session, topic);
    this.#totalBytes -= session.clear();
    if (session.ws !== null) this.#bySocket.delete(session.ws);
    session.ws = null;
  }

  #socketClosed(ws: ServerWebSocket<unknown>, session: ResumeSession): void {
    if (this.#bySocket.get(ws)?.session === session) this.#bySocket.delete(ws);
    if (session.ws !== ws) return; // taken over by a newer connection, or dropped
    session.ws = null;
    session.detachedAt = this.#clock.now();
    this.#detached.set(session.id, session);
    this.#store.detached?.(session);
    this.#schedule();
  }

  #schedule(): void {
    const first = this.#detached.values().next();
    if (first.done === true) return;
    const due = first.value.detachedAt + this.#windowMs;
    if (this.#timer !== null) {
      if (this.#timerDue <= due) return;
      this.#clock.clearTimeout(this.#timer);
    }
    this.#timerDue = due;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = null;
        this.#expire();
      },
      Math.max(0, due - this.#clock.now()),
    );
  }

  #expire(): void {
    const now = this.#clock.now();
    for (const session of this.#detached.values()) {
      if (session.detachedAt + this.#windowMs > now) break;
      this.#drop(session);
    }
    this.#schedule();
  }

  /** On a resumable connection: subscriptions and sends go through the session. */
  #wrapConnection(ws: ServerWebSocket<unknown>, session: ResumeSession): Send {
    const rawSend = ws.send.bind(ws) as (
      data: unknown,
      options?: SendOptions,
      callback?: unknown,
    ) => boolean;
    let continuing = false;
    const target = ws as unknown as Record<string, unknown>;
    target.send = (data: unknown, options?: unknown, callback?: unknown): boolean => {
      const opts = typeof options === 'function' ? undefined : (options as SendOptions | undefined);
      const cb = typeof options === 'function' ? options : callback;
      const binary = opts?.binary ?? typeof data !== 'string';
      const body = continuing ? data : direct(data);
      continuing = opts?.fin === false;
      return rawSend(body, { ...opts, binary }, cb);
    };
    target.subscribe = (topic: string): boolean => this.subscribe(ws, topic);
    target.unsubscribe = (topic: string): boolean => this.unsubscribe(ws, topic);
    target.isSubscribed = (topic: string): boolean => session.topics.has(topic);
    Object.defineProperty(ws, 'topics', {
      configurable: true,
      get: (): readonly string[] => [...session.topics],
    });
    return (data, options) => rawSend(data, options);
  }

  /** Drops every session and stops the expiry timer. */
  close(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    for (const session of [...this.#store.values()]) this.#drop(session);
  }
}

const textEncoder = new TextEncoder();

function numbered(seq: number, data: Uint8Array): Uint8Array {
  const header = textEncoder.encode(numberedHeader(seq));
  const out = new Uint8Array(header.length + data.byteLength);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

function direct(data: unknown): unknown {
  if (typeof data === 'string') return DIRECT_HEADER + data;
  let bytes: Uint8Array;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else return data;
  const out = new Uint8Array(2 + bytes.byteLength);
  out[0] = 0x64; // d
  out[1] = 0x3a; // :
  out.set(bytes, 2);
  return out;
}

/** Server options with the `resume` option of {@link createResumableServer}. */
export interface ResumableServerOptions<Data = unknown> extends WebSocketServerOptions<Data> {
  /** Resumable sessions: `{ windowMs, maxBytes, ... }` (see {@link ResumeOptions}). */
  resume: ResumeOptions;
}

/**
 * A `WebSocketServer` with resumable sessions: `new WebSocketServer(options)` with the
 * sessions' adapter wrapped around `topics.adapter`, and the sessions attached.
 */
export function createResumableServer<Data = unknown>(
  options: ResumableServerOptions<Data>,
  callback?: () => void,
): { wss: WebSocketServer<Data>; sessions: ResumableSessions } {
  const { resume, ...serverOptions } = options;
  const sessions = new ResumableSessions({
    ...resume,
    adapter: resume.adapter ?? serverOptions.topics?.adapter,
  });
  const authenticate =
    resume.store?.load === undefined
      ? serverOptions.authenticate
      : sessions.authenticate(serverOptions.authenticate);
  const wss = new WebSocketServer<Data>(
    {
      ...serverOptions,
      authenticate,
      topics: { ...serverOptions.topics, adapter: sessions.adapter },
    },
    callback,
  );
  sessions.attach(wss as unknown as WebSocketServer<unknown>);
  return { wss, sessions };
}
