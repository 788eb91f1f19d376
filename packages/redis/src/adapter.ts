/**
 * `RedisAdapter`: topics across processes and machines through Redis (or Valkey). Every
 * publish is delivered to this process's subscribers at once and sent to Redis once, as a
 * binary envelope (`@strata-ws/cluster`'s), through a queue bounded in bytes. The process
 * subscribes to a topic's channel (or reads its stream) only while one of its connections
 * is subscribed, and drops its own messages when they come back. Redis going away does not
 * stop local delivery: the clients reconnect with backoff and resubscribe, and what could
 * not cross is counted.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from '@redis/client';
import {
  type BusCounters,
  BusReporter,
  checkOrigin,
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  packBatch,
  preciseNow,
  unpackBatch,
} from '@strata-ws/cluster';
import type {
  LocalDelivery,
  PubSubAdapter,
  PubSubMessage,
  TopicSubscriber,
} from '@strata-ws/server';
import {
  backoff,
  type RedisAdapterOptions,
  type RedisDeliveryMode,
  type ResolvedRedisOptions,
  resolveOptions,
} from './options.js';
import { type Outbound, OutboundQueue } from './queue.js';
import {
  BUFFERS,
  type Client,
  compareIds,
  parseEntries,
  type RawEntry,
  StreamReader,
} from './streams.js';

/**
 * First byte of a pub/sub message that carries several envelopes (a tick's publishes on one
 * topic): then `[uint32 LE length][envelope]...`. A single envelope starts with its version (1).
 */
const BATCH_MARKER = 0x42;

/** One entry of a topic's stream, decoded (see {@link RedisAdapter.readSince}). */
export interface StreamMessage extends Envelope {
  /** The stream entry id (`<ms>-<seq>`), increasing within a topic. */
  readonly id: string;
}

/** What {@link RedisAdapter.readSince} returns. */
export interface ReadSinceResult {
  /** Entries after the given id, oldest first. */
  readonly messages: StreamMessage[];
  /**
   * True when the entry of the given id is no longer in the stream (trimmed by
   * `streamMaxLength`, or the stream was lost with a Redis that does not persist): entries
   * after it may be missing, and the caller should resynchronise by other means.
   */
  readonly gap: boolean;
}

/**
 * Topics across processes through Redis: `new WebSocketServer({ topics: { adapter: new
 * RedisAdapter({ url }) } })` in every process. See the package README for the delivery
 * guarantees of each `mode` and the failure table.
 */
export class RedisAdapter implements PubSubAdapter {
  /** Counters: published, received, dropped (queue full, lost), reconnects, latency. */
  readonly counters: BusCounters;
  /** This process's id in envelopes. */
  readonly nodeId: string;
  /** The delivery mode. */
  readonly mode: RedisDeliveryMode;
  readonly #options: ResolvedRedisOptions;
  readonly #reporter = new BusReporter('redis');
  readonly #publisher: Client;
  /** pub/sub: the subscriber connection; streams: commands next to the blocked reader. */
  readonly #control: Client;
  readonly #reader: StreamReader | null = null;
  readonly #readerClient: Client | null = null;
  readonly #queue: OutboundQueue;
  readonly #subscribed = new Map<string, Promise<void>>();
  readonly #open = new Set<string>();
  /** pub/sub topics opened while the control connection was down: subscribed when ready. */
  readonly #deferred = new Map<string, () => void>();
  readonly #onMessage = (message: Buffer, channel: Buffer): void =>
    this.#received(message, channel);
  #deliver: LocalDelivery | null = null;
  #closed = false;
  #everReady = false;
  /** pub/sub: envelopes published in this tick, per topic, sent as one PUBLISH per topic. */
  #pending = new Map<string, Uint8Array[]>();
  #pendingBytes = 0;
  #flushScheduled = false;
  /** Streams, once a session store asked: message object -> its entry id (or its XADD). */
  #ids: WeakMap<PubSubMessage, string | Promise<string | null>> | null = null;
  /** Streams: where a topic not yet open should start reading (a session store's replay). */
  readonly #startHints = new Map<string, string>();
  readonly #flush = (): void => this.#flushPending();

  constructor(options: RedisAdapterOptions = {}) {
    this.#options = resolveOptions(options);
    const o = this.#options;
    this.mode = o.mode;
    this.nodeId = checkOrigin(o.nodeId ?? `n-${randomBytes(8).toString('hex')}`);
    this.counters = this.#reporter.counters;
    const base = {
      ...o.client,
      url: o.url,
      RESP: 2 as const,
      socket: { ...(o.client.socket ?? {}), reconnectStrategy: backoff(o) },
    };
    // The publisher refuses commands while disconnected: the adapter's own bounded queue
    // holds them instead of the client's unbounded offline queue.
    this.#publisher = createClient({ ...base, disableOfflineQueue: true });
    // The control connection keeps its (small) offline queue: SUBSCRIBE / XREVRANGE issued
    // while Redis is away go out once it is back.
    this.#control = createClient(base);
    this.#queue = new OutboundQueue(o.maxQueueBytes, {
      ready: () => this.#publisher.isReady && !this.#closed,
      send: (item) => this.#sendOne(item),
      failed: (item) => {
        if (this.mode === 'streams' && !this.#closed) return true;
        this.#reporter.dropped(item.topic, 'connection-lost', item.count);
        return false;
      },
      changed: (bytes) => {
        this.counters.queuedBytes = bytes;
      },
    });
    this.#watch(this.#publisher, 'publisher', () => this.#queue.pump());
    this.#watch(this.#control, 'control', () => this.#subscribeDeferred());
    if (o.mode === 'streams') {
      const readerClient = createClient(base);
      this.#readerClient = readerClient;
      this.#watch(readerClient, 'reader');
      this.#reader = new StreamReader(
        readerClient,
        this.#control,
        {
          entries: (key, entries) => this.#streamEntries(key, entries),
          readFailed: (error) => this.#reporter.state('disconnected', error),
        },
        o.readCount,
        o.blockMs,
      );
      this.#connect(readerClient);
      this.#reader.start();
    }
    this.#connect(this.#publisher);
    this.#connect(this.#control);
    this.#reporter.state('connecting');
  }

  /** Whether the publishing connection is up. */
  get connected(): boolean {
    return this.#publisher.isReady;
  }

  /** Bytes queued towards Redis or in flight. */
  get queuedBytes(): number {
    return this.#queue.bytes;
  }

  /** @inheritDoc */
  attach(deliverLocally: LocalDelivery): void {
    this.#deliver = deliverLocally;
  }

  /** @inheritDoc */
  publish(topic: string, message: PubSubMessage, exclude: TopicSubscriber | undefined): number {
    if (this.#deliver === null) throw new Error('RedisAdapter used before attach()');
    let settle: ((reply: unknown) => void) | undefined;
    if (this.#ids !== null) {
      // Known before local delivery, so a session store sees where this message will be.
      this.#ids.set(
        message,
        new Promise<string | null>((resolve) => {
          settle = (reply) => resolve(typeof reply === 'string' ? reply : null);
        }),
      );
    }
    const delivered = this.#deliver(topic, message, exclude);
    if (this.#closed) {
      settle?.(null);
      return delivered;
    }
    const envelope = encodeEnvelope(this.nodeId, topic, message);
    if (this.#reader !== null) {
      // Streams: one entry per message (each gets its own id).
      const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
      if (this.#queue.push({ topic, bytes, count: 1, settle })) {
        this.#reporter.published(topic, bytes.length);
      } else {
        settle?.(null);
        this.#reporter.dropped(topic, 'queue-full');
      }
      return delivered;
    }
    // pub/sub: the publishes of this tick on one topic leave in one PUBLISH.
    const size = 4 + envelope.length;
    if (!this.#queue.fits(this.#pendingBytes, size + 1)) {
      this.#reporter.dropped(topic, 'queue-full');
      return delivered;
    }
    this.#pendingBytes += size;
    const list = this.#pending.get(topic);
    if (list === undefined) this.#pending.set(topic, [envelope]);
    else list.push(envelope);
    this.#reporter.published(topic, envelope.length);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return delivered;
  }

  /** @inheritDoc */
  topicOpened(topic: string): void {
    if (this.#closed) return;
    this.#open.add(topic);
    const key = this.#options.prefix + topic;
    let ready: Promise<void>;
    const hint = this.#startHints.get(topic);
    if (this.#reader !== null && hint !== undefined) {
      this.#startHints.delete(topic);
      this.#reader.add(key, this.#reader.lastId(key) ?? hint);
      ready = Promise.resolve();
    } else if (this.#reader !== null) {
      const reader = this.#reader;
      ready = this.#control
        .sendCommand<unknown>(['XREVRANGE', key, '+', '-', 'COUNT', '1'], BUFFERS)
        .then((reply) => {
          const last = parseEntries(reply)[0];
          if (this.#open.has(topic)) reader.add(key, reader.lastId(key) ?? last?.id ?? '0-0');
        });
    } else if (this.#control.isReady) {
      ready = this.#subscribeChannel(key);
    } else {
      // A SUBSCRIBE queued while disconnected is answered but its listener is never called
      // (seen with @redis/client 6.4): subscribe once the connection is ready instead.
      ready = new Promise<void>((resolve) => {
        this.#deferred.set(topic, resolve);
      });
    }
    const settled = ready.catch(() => {});
    this.#subscribed.set(topic, settled);
    void settled.then(() => {
      if (this.#subscribed.get(topic) === settled) this.#subscribed.delete(topic);
    });
  }

  /** @inheritDoc */
  topicClosed(topic: string): void {
    this.#open.delete(topic);
    this.#deferred.get(topic)?.();
    this.#deferred.delete(topic);
    this.#subscribed.delete(topic);
    if (this.#closed) return;
    const key = this.#options.prefix + topic;
    if (this.#reader !== null) this.#reader.remove(key);
    else if (this.#options.sharded)
      this.#control.sUnsubscribe(key, this.#onMessage, true).catch(() => {});
    else this.#control.unsubscribe(key, this.#onMessage, true).catch(() => {});
  }

  /**
   * Resolves once messages published on `topic` by other processes reach this process
   * (the SUBSCRIBE was answered, or the stream's starting id is known); at once when no local
   * connection is subscribed. While Redis is unreachable it waits for it.
   */
  subscribed(topic: string): Promise<void> {
    return this.#subscribed.get(topic) ?? Promise.resolve();
  }

  /**
   * Streams mode: the id of the last entry of `topic` read by this process (undefined
   * before any, or in pub/sub mode). A client that resumes elsewhere passes it to
   * {@link RedisAdapter.readSince} there.
   */
  lastId(topic: string): string | undefined {
    return this.#reader?.lastId(this.#options.prefix + topic);
  }

  /** The prefix of channel / stream keys (the `prefix` option). */
  get keyPrefix(): string {
    return this.#options.prefix;
  }

  /**
   * Streams mode, for session stores (`RedisSessionStore`): from now on remember the stream
   * entry id of every message this adapter delivers, for {@link RedisAdapter.entryId}.
   */
  trackEntryIds(): void {
    if (this.#reader === null) throw new Error("trackEntryIds needs mode: 'streams'");
    this.#ids ??= new WeakMap();
  }

  /**
   * The stream entry id of a message this adapter delivered (after
   * {@link RedisAdapter.trackEntryIds}): the id itself for a message read from Redis, a
   * promise of it for one published here (null if it never reached Redis), undefined when
   * unknown.
   */
  entryId(message: PubSubMessage): string | Promise<string | null> | undefined {
    return this.#ids?.get(message);
  }

  /**
   * Streams mode: where this process reads `topic`: the id of the last entry read (entries
   * after it will be delivered), null while the starting id is being looked up, undefined
   * when no local subscriber has the topic open.
   */
  position(topic: string): string | null | undefined {
    if (this.#reader === null || !this.#open.has(topic)) return undefined;
    return this.#reader.lastId(this.#options.prefix + topic) ?? null;
  }

  /**
   * Streams mode: when `topic` is next opened (and only if it is not open), read it from
   * after `afterId` instead of from its end — a session store that replayed up to `afterId`
   * lets the live messages follow on without a gap. The hint is forgotten after one turn of
   * the event loop.
   */
  startAt(topic: string, afterId: string): void {
    if (this.#reader === null || this.#open.has(topic)) return;
    this.#startHints.set(topic, afterId);
    setImmediate(() => {
      if (this.#startHints.get(topic) === afterId) this.#startHints.delete(topic);
    });
  }

  /** Sends a command on the adapter's control connection (session stores keep their keys). */
  command(args: readonly string[]): Promise<unknown> {
    return this.#control.sendCommand([...args]);
  }

  /**
   * Streams mode: the entries of `topic` after `afterId` (exclusive), oldest first, at most
   * `limit` — a replay for a client that resumes on this process after seeing `afterId`
   * elsewhere. `gap` tells whether entries after `afterId` were already trimmed.
   */
  async readSince(topic: string, afterId: string, limit = 1000): Promise<ReadSinceResult> {
    if (this.#reader === null) throw new Error("readSince needs mode: 'streams'");
    if (!/^\d+-\d+$/.test(afterId))
      throw new RangeError(`afterId must be a stream id, got ${afterId}`);
    const key = this.#options.prefix + topic;
    const [first, reply] = await Promise.all([
      this.#control.sendCommand<unknown>(['XRANGE', key, '-', '+', 'COUNT', '1'], BUFFERS),
      this.#control.sendCommand<unknown>(
        ['XRANGE', key, `(${afterId}`, '+', 'COUNT', String(limit)],
        BUFFERS,
      ),
    ]);
    // Trimming removes the oldest entries: if the entry `afterId` itself is gone (the
    // stream now starts after it, or is gone altogether), entries after it may be missing.
    const firstId = parseEntries(first)[0]?.id;
    const gap = afterId !== '0-0' && (firstId === undefined || compareIds(firstId, afterId) > 0);
    if (gap) this.#reporter.dropped(topic, 'trimmed');
    const messages: StreamMessage[] = [];
    for (const entry of parseEntries(reply)) {
      const envelope = decodeEnvelope(entry.bytes);
      if (envelope !== null) messages.push({ ...envelope, id: entry.id });
    }
    return { messages, gap };
  }

  /**
   * Sends what is queued (waiting up to `closeTimeout`), then closes the connections (again
   * waiting at most `closeTimeout` for replies, then destroying them). Messages still queued
   * after that are counted lost.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flushPending();
    await this.#queue.drained(this.#options.closeTimeout);
    this.#closed = true;
    for (const item of this.#queue.clear()) {
      this.#reporter.dropped(item.topic, 'connection-lost', item.count);
    }
    this.#reader?.stop();
    // A polite close waits for the replies of commands in flight: bounded by closeTimeout
    // (a frozen Redis never answers), then the sockets are destroyed.
    const clients = [this.#publisher, this.#control, this.#readerClient];
    await Promise.all(
      clients.map(async (client) => {
        if (client === null) return;
        if (client.isOpen) {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<void>((resolve) => {
            timer = setTimeout(resolve, this.#options.closeTimeout);
          });
          await Promise.race([client.close().catch(() => {}), late]);
          clearTimeout(timer);
        }
        if (client.isOpen) client.destroy();
      }),
    );
    for (const item of this.#queue.abandon()) {
      this.#reporter.dropped(item.topic, 'connection-lost', item.count);
    }
    this.#reporter.state('closed');
  }

  #flushPending(): void {
    this.#flushScheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    this.#pendingBytes = 0;
    for (const [topic, envelopes] of pending) {
      let bytes: Buffer;
      if (envelopes.length === 1) {
        const e = envelopes[0] as Uint8Array;
        bytes = Buffer.from(e.buffer, e.byteOffset, e.byteLength);
      } else {
        const packed = packBatch(envelopes);
        bytes = Buffer.allocUnsafe(1 + packed.length);
        bytes[0] = BATCH_MARKER;
        bytes.set(packed, 1);
      }
      this.#queue.push({ topic, bytes, count: envelopes.length }, true);
    }
  }

  #subscribeChannel(key: string): Promise<void> {
    return this.#options.sharded
      ? this.#control.sSubscribe(key, this.#onMessage, true)
      : this.#control.subscribe(key, this.#onMessage, true);
  }

  #subscribeDeferred(): void {
    if (this.#reader !== null || this.#closed) return;
    const deferred = [...this.#deferred];
    this.#deferred.clear();
    for (const [topic, resolve] of deferred) {
      if (!this.#open.has(topic)) {
        resolve();
        continue;
      }
      this.#subscribeChannel(this.#options.prefix + topic).then(resolve, resolve);
    }
  }

  #sendOne(item: Outbound): Promise<unknown> {
    const key = this.#options.prefix + item.topic;
    if (this.#reader !== null) {
      return this.#publisher.sendCommand([
        'XADD',
        key,
        'MAXLEN',
        '~',
        String(this.#options.streamMaxLength),
        '*',
        'm',
        item.bytes,
      ]);
    }
    return this.#options.sharded
      ? this.#publisher.sPublish(key, item.bytes)
      : this.#publisher.publish(key, item.bytes);
  }

  #received(bytes: Buffer, channel: Buffer): void {
    const parts = bytes[0] === BATCH_MARKER ? unpackBatch(bytes.subarray(1)) : [bytes];
    for (const part of parts ?? [bytes]) {
      const envelope = decodeEnvelope(part);
      if (envelope === null) {
        this.#reporter.dropped(channel.toString().slice(this.#options.prefix.length), 'malformed');
        continue;
      }
      this.#deliverEnvelope(envelope, undefined);
    }
  }

  #streamEntries(key: string, entries: RawEntry[]): void {
    const topic = key.slice(this.#options.prefix.length);
    for (const entry of entries) {
      const envelope = decodeEnvelope(entry.bytes);
      if (envelope === null) this.#reporter.dropped(topic, 'malformed');
      else this.#deliverEnvelope(envelope, entry.id);
    }
  }

  #deliverEnvelope(envelope: Envelope, id: string | undefined): void {
    if (envelope.origin === this.nodeId) {
      this.counters.ownDropped++;
      return;
    }
    if (this.#deliver === null || !this.#open.has(envelope.topic)) return;
    if (id !== undefined) this.#ids?.set(envelope.message, id);
    const delivered = this.#deliver(envelope.topic, envelope.message, undefined);
    this.#reporter.received(
      envelope.topic,
      envelope.origin,
      envelope.sentAt,
      preciseNow(),
      delivered,
      id,
    );
  }

  #watch(client: Client, role: string, onReady?: () => void): void {
    client.on('error', (error: Error) => {
      if (!this.#closed) this.#reporter.state('disconnected', error);
    });
    client.on('ready', () => {
      if (role === 'publisher') {
        if (this.#everReady) this.counters.reconnects++;
        this.#everReady = true;
        this.#reporter.state('ready');
      }
      onReady?.();
    });
  }

  #connect(client: Client): void {
    client.connect().catch((error: Error) => {
      if (!this.#closed) this.#reporter.state('disconnected', error);
    });
  }
}
