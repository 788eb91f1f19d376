/**
 * Topics: publish/subscribe over WebSocket connections (as uWebSockets, Bun and socket.io
 * rooms offer it). A published message is framed once, compressed at most once per window
 * size, and the same bytes are queued on every subscriber; each subscriber's connection
 * coalesces what it was given during one tick into one write and applies its backpressure
 * policy, so a slow subscriber is treated like any other slow peer.
 */
import {
  type MessageData,
  MessagePreparer,
  type MessagePreparerOptions,
  type PreparedFrame,
  toPayload,
} from './prepared-frame.js';

/**
 * What the topic registry needs from a connection. The server's connection class
 * implements it; tests and other transports may too.
 */
export interface TopicSubscriber {
  /**
   * The deflate window bits (9-15) of a shared compressed frame this connection accepts:
   * its `server_max_window_bits` (15 if absent) when it negotiated permessage-deflate with
   * `server_no_context_takeover`; 0 when it takes uncompressed frames only.
   */
  readonly sharedDeflateWindowBits: number;
  /**
   * Queues a complete frame (`frame.bytes`), in order with everything else sent on this
   * connection, coalesced with the other writes of this tick and counted by its
   * backpressure accounting. A connection that cannot take a pre-built frame at this
   * moment (e.g. in the middle of a fragmented message) frames `frame.data` itself.
   * A connection that is closing ignores it.
   */
  sendPrepared(frame: PreparedFrame): void;
}

/** Options of a publish call. */
export interface PublishOptions {
  /** Send a binary message (default: binary for bytes, text for a string). */
  binary?: boolean;
  /**
   * true: compress for every subscriber that accepts a shared compressed frame; false:
   * never; default: when the message reaches the compression threshold.
   */
  compress?: boolean;
}

/** Options of a connection's `publish`. */
export interface ConnectionPublishOptions extends PublishOptions {
  /** Do not deliver to the publishing connection itself, even if subscribed. Default false. */
  excludeSelf?: boolean;
}

/** Options of {@link TopicRegistry}. */
export interface TopicRegistryOptions extends MessagePreparerOptions {}

/** A message as it travels through a {@link PubSubAdapter}: payload bytes and kind. */
export interface PubSubMessage {
  /** The payload (UTF-8 for text). The adapter must not mutate it. */
  readonly data: Uint8Array;
  /** Binary (true) or text (false). */
  readonly isBinary: boolean;
  /** The publisher's compression choice (see {@link PublishOptions.compress}). */
  readonly compress: boolean | undefined;
}

/**
 * The seam that lets topics span processes and machines. The server hands every publish
 * to its adapter; the adapter delivers to this process's subscribers by calling
 * `deliverLocally` (given in {@link PubSubAdapter.attach}) and may forward the message
 * elsewhere; messages from elsewhere are delivered the same way. The default,
 * {@link InProcessAdapter}, only delivers locally.
 */
export interface PubSubAdapter {
  /** Called once by the registry before any other method. */
  attach(deliverLocally: LocalDelivery): void;
  /**
   * Publishes `message` on `topic`. Must deliver to local subscribers (synchronously, so
   * that a publish is ordered with the sends around it) with `exclude` skipped, and may
   * forward it. Returns the number of local subscribers it reached.
   */
  publish(topic: string, message: PubSubMessage, exclude: TopicSubscriber | undefined): number;
  /** The first local subscriber joined `topic` (a distributed adapter subscribes upstream). */
  topicOpened?(topic: string): void;
  /** The last local subscriber left `topic`. */
  topicClosed?(topic: string): void;
  /** Releases the adapter's resources when the server shuts down. */
  close?(): void | Promise<void>;
}

/** Delivers a message to this process's subscribers of a topic; returns how many it reached. */
export type LocalDelivery = (
  topic: string,
  message: PubSubMessage,
  exclude: TopicSubscriber | undefined,
) => number;

/** The default adapter: topics live in this process only. */
export class InProcessAdapter implements PubSubAdapter {
  #deliver: LocalDelivery | null = null;

  /** @inheritDoc */
  attach(deliverLocally: LocalDelivery): void {
    this.#deliver = deliverLocally;
  }

  /** @inheritDoc */
  publish(topic: string, message: PubSubMessage, exclude: TopicSubscriber | undefined): number {
    if (this.#deliver === null) throw new Error('InProcessAdapter used before attach()');
    return this.#deliver(topic, message, exclude);
  }
}

/** An empty list returned for connections without topics (no allocation per call). */
const NO_TOPICS: readonly string[] = Object.freeze([]);

/**
 * The topics of one server: who is subscribed to what, and delivery of published
 * messages with one frame for all subscribers.
 */
export class TopicRegistry<S extends TopicSubscriber = TopicSubscriber> {
  readonly #subscribers = new Map<string, Set<S>>();
  readonly #topicsOf = new Map<S, Set<string>>();
  readonly #preparer: MessagePreparer;
  readonly #preparerOptions: MessagePreparerOptions;
  readonly #adapter: PubSubAdapter;
  #delivering = false;

  constructor(options: TopicRegistryOptions = {}, adapter: PubSubAdapter = new InProcessAdapter()) {
    this.#preparerOptions = options;
    this.#preparer = new MessagePreparer(options);
    this.#adapter = adapter;
    adapter.attach((topic, message, exclude) => this.deliverLocally(topic, message, exclude));
  }

  /** The adapter publishes go through. */
  get adapter(): PubSubAdapter {
    return this.#adapter;
  }

  /** Subscribes `subscriber` to `topic`; returns false if it already was. */
  subscribe(subscriber: S, topic: string): boolean {
    if (typeof topic !== 'string') throw new TypeError('topic must be a string');
    let set = this.#subscribers.get(topic);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(topic, set);
      this.#adapter.topicOpened?.(topic);
    } else if (set.has(subscriber)) {
      return false;
    }
    set.add(subscriber);
    let topics = this.#topicsOf.get(subscriber);
    if (topics === undefined) {
      topics = new Set();
      this.#topicsOf.set(subscriber, topics);
    }
    topics.add(topic);
    return true;
  }

  /** Unsubscribes `subscriber` from `topic`; returns false if it was not subscribed. */
  unsubscribe(subscriber: S, topic: string): boolean {
    const set = this.#subscribers.get(topic);
    if (set === undefined || !set.delete(subscriber)) return false;
    if (set.size === 0) {
      this.#subscribers.delete(topic);
      this.#adapter.topicClosed?.(topic);
    }
    const topics = this.#topicsOf.get(subscriber);
    if (topics !== undefined) {
      topics.delete(topic);
      if (topics.size === 0) this.#topicsOf.delete(subscriber);
    }
    return true;
  }

  /** Removes `subscriber` from every topic (call it when its connection closes). */
  unsubscribeAll(subscriber: S): void {
    const topics = this.#topicsOf.get(subscriber);
    if (topics === undefined) return;
    for (const topic of [...topics]) this.unsubscribe(subscriber, topic);
  }

  /** Whether `subscriber` is subscribed to `topic`. */
  isSubscribed(subscriber: S, topic: string): boolean {
    return this.#subscribers.get(topic)?.has(subscriber) ?? false;
  }

  /** The topics `subscriber` is subscribed to, in subscription order (a fresh array). */
  topicsOf(subscriber: S): readonly string[] {
    const topics = this.#topicsOf.get(subscriber);
    return topics === undefined ? NO_TOPICS : [...topics];
  }

  /** How many local connections are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /** The topics with at least one local subscriber. */
  get topics(): readonly string[] {
    return [...this.#subscribers.keys()];
  }

  /**
   * Publishes `data` on `topic` through the adapter. `exclude` (usually the sender) does
   * not receive it. Returns the number of local subscribers reached.
   */
  publish(topic: string, data: MessageData, options?: PublishOptions, exclude?: S): number {
    if (typeof topic !== 'string') throw new TypeError('topic must be a string');
    const isBinary = options?.binary ?? typeof data !== 'string';
    const message: PubSubMessage = {
      data: toPayload(data),
      isBinary,
      compress: options?.compress,
    };
    return this.#adapter.publish(topic, message, exclude);
  }

  /**
   * Delivers `message` to this process's subscribers of `topic` (the adapter's
   * {@link LocalDelivery}): one frame for all, compressed once per window size for those
   * that accept shared compressed frames.
   */
  deliverLocally(
    topic: string,
    message: PubSubMessage,
    exclude: TopicSubscriber | undefined,
  ): number {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return 0;
    // A subscriber's sendPrepared may publish again (e.g. a close callback): use a fresh
    // preparer for re-entrant calls so the outer message's frames stay intact.
    const reentrant = this.#delivering;
    const preparer = reentrant ? new MessagePreparer(this.#preparerOptions) : this.#preparer;
    preparer.reset(message.data, message.isBinary, message.compress);
    this.#delivering = true;
    let delivered = 0;
    try {
      for (const subscriber of set) {
        if (subscriber === exclude) continue;
        subscriber.sendPrepared(preparer.frameFor(subscriber.sharedDeflateWindowBits));
        delivered++;
      }
    } finally {
      if (!reentrant) {
        this.#delivering = false;
        preparer.clear();
      }
    }
    return delivered;
  }

  /** Closes the adapter. */
  async close(): Promise<void> {
    await this.#adapter.close?.();
  }
}
