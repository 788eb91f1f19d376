/**
 * Topics: publish/subscribe over WebSocket connections (as uWebSockets, Bun and socket.io
 * rooms offer it), and the `PubSubAdapter` seam that spans them across processes. A
 * published message becomes one `PreparedMessage` (`@strata-ws/protocol`: framed once,
 * compressed at most once per shared deflate encoding by `@strata-ws/permessage-deflate`),
 * handed to every subscriber's engine through `sendPrepared`; each connection keeps it in
 * order with its other sends, coalesces its writes per tick and applies its backpressure
 * policy, so a slow subscriber is treated like any other slow peer.
 */

import { allocateBuffer } from '@strata-ws/node-host';
import { PreparedMessage, type PreparedMessageOptions } from '@strata-ws/protocol';

/**
 * Frames of published messages are Node Buffers: a socket takes a Buffer as it is, while a
 * plain Uint8Array would be wrapped in a new Buffer once per receiver and write.
 */
const HOST_FRAMES: PreparedMessageOptions = Object.freeze({ allocate: allocateBuffer });

/** Data a message can be made of: text (a string) or bytes. */
export type MessageData = string | ArrayBuffer | ArrayBufferView;

/** Turns message data into payload bytes: UTF-8 for strings, a view (no copy) otherwise. */
function toPayload(data: MessageData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('message data must be a string, an ArrayBuffer or an ArrayBufferView');
}

/**
 * What the topic registry needs from a connection. The server's connection class
 * implements it; tests and other transports may too.
 */
export interface TopicSubscriber {
  /**
   * The deflate window bits (9-15) of a shared compressed frame this connection accepts
   * (it negotiated permessage-deflate with a window of 9..15 bits); 0 or absent: it is
   * sent published messages uncompressed (never compressed once per subscriber).
   */
  readonly sharedDeflateWindowBits?: number;
  /**
   * The connection this subscriber acts for (e.g. a resumable session of a connection): a
   * publish that excludes that connection (`excludeSelf`) skips this subscriber too.
   */
  readonly owner?: TopicSubscriber;
  /**
   * Sends a message prepared once for all subscribers (see `ServerWebSocket.sendPrepared`):
   * in order with everything else sent on this connection. A connection that is closing
   * ignores it.
   */
  sendPrepared(message: PreparedMessage): void;
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
export interface TopicRegistryOptions {
  /**
   * A published message shorter than this many bytes is not compressed unless `compress:
   * true` is asked for. Default 1024.
   */
  threshold?: number;
  /**
   * @deprecated Ignored: a published message is compressed with the `level` of the
   * server's `perMessageDeflate` options (one compression per shared encoding, by
   * `@strata-ws/permessage-deflate`). Still checked (0-9).
   */
  level?: number;
  /** @deprecated Ignored, like `level` (the `perMessageDeflate` `memLevel` applies). Checked (1-9). */
  memLevel?: number;
}

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

function checkRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(
      `topics.${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
}

/**
 * The topics of one server: who is subscribed to what, and delivery of published
 * messages with one prepared message for all subscribers.
 */
export class TopicRegistry<S extends TopicSubscriber = TopicSubscriber> {
  readonly #subscribers = new Map<string, Set<S>>();
  readonly #topicsOf = new Map<S, Set<string>>();
  readonly #threshold: number;
  readonly #adapter: PubSubAdapter;

  /**
   * @param options - compression threshold of published messages
   * @param adapter - where publishes go (default: this process only)
   * @throws RangeError for options out of range
   */
  constructor(options: TopicRegistryOptions = {}, adapter: PubSubAdapter = new InProcessAdapter()) {
    checkRange('level', options.level, 0, 9);
    checkRange('memLevel', options.memLevel, 1, 9);
    checkRange('threshold', options.threshold, 0, Number.MAX_SAFE_INTEGER);
    this.#threshold = options.threshold ?? 1024;
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
   * {@link LocalDelivery}): one `PreparedMessage` for all of them.
   */
  deliverLocally(
    topic: string,
    message: PubSubMessage,
    exclude: TopicSubscriber | undefined,
  ): number {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return 0;
    const compress = message.compress ?? message.data.length >= this.#threshold;
    // At most two prepared messages, each made on first use: the one subscribers that take
    // shared compressed frames get (compressed once per encoding by their engines), and the
    // uncompressed one for the others (no compression per subscriber).
    let shared: PreparedMessage | null = null;
    let plain: PreparedMessage | null = null;
    let delivered = 0;
    for (const subscriber of set) {
      if (exclude !== undefined && (subscriber === exclude || subscriber.owner === exclude))
        continue;
      if (compress && (subscriber.sharedDeflateWindowBits ?? 0) >= 9) {
        shared ??= new PreparedMessage(message.data, message.isBinary, true, HOST_FRAMES);
        subscriber.sendPrepared(shared);
      } else {
        plain ??= new PreparedMessage(message.data, message.isBinary, false, HOST_FRAMES);
        subscriber.sendPrepared(plain);
      }
      delivered++;
    }
    return delivered;
  }

  /** Closes the adapter. */
  async close(): Promise<void> {
    await this.#adapter.close?.();
  }
}
