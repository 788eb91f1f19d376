/**
 * What every bus adapter (node:cluster, Redis) shares: its counters and its events on
 * `node:diagnostics_channel`, next to the server's own `strata:server:*` channels. Events
 * cost one `hasSubscribers` check when nobody listens.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { BusCountersView, BusCountersViewSnapshot } from '@strata-ws/server';

/** Names of the channels the bus adapters publish on. */
export const BusChannelName: {
  readonly publish: 'strata:bus:publish';
  readonly receive: 'strata:bus:receive';
  readonly drop: 'strata:bus:drop';
  readonly state: 'strata:bus:state';
} = Object.freeze({
  publish: 'strata:bus:publish',
  receive: 'strata:bus:receive',
  drop: 'strata:bus:drop',
  state: 'strata:bus:state',
} as const);

/** Message of `strata:bus:publish`: a local publish was handed to the bus. */
export interface BusPublishMessage {
  /** The adapter (e.g. `'cluster'`, `'redis'`). */
  readonly bus: string;
  readonly topic: string;
  /** Envelope size in bytes. */
  readonly bytes: number;
}

/** Message of `strata:bus:receive`: a message from another process was delivered here. */
export interface BusReceiveMessage {
  readonly bus: string;
  readonly topic: string;
  /** The publishing process's id. */
  readonly origin: string;
  /** Publish-to-receive time in ms (clocks of two machines: only as good as their sync). */
  readonly latencyMs: number;
  /** Local subscribers it reached. */
  readonly delivered: number;
  /** Stream entry id (Redis Streams mode only). */
  readonly id?: string;
}

/** Why a message did not cross the bus. */
export type BusDropReason =
  /** The bounded queue towards the bus was full (bytes). */
  | 'queue-full'
  /** Sent while the bus connection broke: it may or may not have arrived. */
  | 'connection-lost'
  /** Bytes on the bus that are not an envelope of this version. */
  | 'malformed'
  /** A Streams replay started from an entry already trimmed (MAXLEN): there may be a gap. */
  | 'trimmed';

/** Message of `strata:bus:drop`. */
export interface BusDropMessage {
  readonly bus: string;
  readonly topic: string;
  readonly reason: BusDropReason;
  /** Messages dropped by this event. */
  readonly count: number;
}

/** Message of `strata:bus:state`: the bus connection changed state. */
export interface BusStateMessage {
  readonly bus: string;
  readonly state: 'connecting' | 'ready' | 'disconnected' | 'closed';
  /** Why, when it broke. */
  readonly error?: Error;
}

const publishChannel = diagnosticsChannel.channel(BusChannelName.publish);
const receiveChannel = diagnosticsChannel.channel(BusChannelName.receive);
const dropChannel = diagnosticsChannel.channel(BusChannelName.drop);
const stateChannel = diagnosticsChannel.channel(BusChannelName.state);

/**
 * Counters of one bus adapter (plain integer fields: free to read and update). Latency is
 * kept as a sum, a count and a maximum; subscribe to `strata:bus:receive` for a histogram.
 */
export class BusCounters implements BusCountersView {
  /** Messages handed to the bus (one per publish, whatever the number of processes). */
  published = 0;
  /** Envelope bytes handed to the bus. */
  publishedBytes = 0;
  /** Messages received from other processes and delivered locally. */
  received = 0;
  /** Local deliveries of received messages (one per subscriber reached). */
  deliveries = 0;
  /** This process's own messages coming back from the bus, dropped (never delivered twice). */
  ownDropped = 0;
  /** Messages dropped because the queue towards the bus was full. */
  droppedQueueFull = 0;
  /** Messages in flight or queued when the bus connection broke (at-most-once mode). */
  lost = 0;
  /** Received bytes that were not an envelope. */
  malformed = 0;
  /** Streams mode: replays (`readSince`) whose starting entry was already trimmed (a gap). */
  trimmed = 0;
  /** Times the bus connection became ready again after a break. */
  reconnects = 0;
  /** Bytes queued towards the bus or in flight right now. */
  queuedBytes = 0;
  /** Sum of publish-to-delivery latencies of received messages, ms. */
  latencySumMs = 0;
  /** Largest publish-to-delivery latency seen, ms. */
  latencyMaxMs = 0;

  /** Mean publish-to-delivery latency, ms (0 before anything was received). */
  get latencyMeanMs(): number {
    return this.received === 0 ? 0 : this.latencySumMs / this.received;
  }

  /** A plain-object copy, e.g. for JSON. */
  snapshot(): BusCountersSnapshot {
    return {
      published: this.published,
      publishedBytes: this.publishedBytes,
      received: this.received,
      deliveries: this.deliveries,
      ownDropped: this.ownDropped,
      droppedQueueFull: this.droppedQueueFull,
      lost: this.lost,
      malformed: this.malformed,
      trimmed: this.trimmed,
      reconnects: this.reconnects,
      queuedBytes: this.queuedBytes,
      latencyMeanMs: this.latencyMeanMs,
      latencyMaxMs: this.latencyMaxMs,
    };
  }
}

/**
 * A copy of {@link BusCounters}' values: the server's view of bus counters
 * (`wss.counters.bus`, {@link BusCountersView}) plus `trimmed`.
 */
export interface BusCountersSnapshot extends Readonly<BusCountersViewSnapshot> {
  readonly trimmed: number;
}

/**
 * Updates counters and publishes diagnostics events for one adapter.
 * @internal shared by the adapters of `@strata-ws/cluster` and `@strata-ws/redis`.
 */
export class BusReporter {
  readonly counters: BusCounters = new BusCounters();
  readonly #bus: string;

  constructor(bus: string) {
    this.#bus = bus;
  }

  published(topic: string, bytes: number): void {
    this.counters.published++;
    this.counters.publishedBytes += bytes;
    if (publishChannel.hasSubscribers) {
      publishChannel.publish({ bus: this.#bus, topic, bytes } satisfies BusPublishMessage);
    }
  }

  received(
    topic: string,
    origin: string,
    sentAt: number,
    now: number,
    delivered: number,
    id?: string,
  ): void {
    const c = this.counters;
    const latencyMs = Math.max(0, now - sentAt);
    c.received++;
    c.deliveries += delivered;
    c.latencySumMs += latencyMs;
    if (latencyMs > c.latencyMaxMs) c.latencyMaxMs = latencyMs;
    if (receiveChannel.hasSubscribers) {
      const message: BusReceiveMessage =
        id === undefined
          ? { bus: this.#bus, topic, origin, latencyMs, delivered }
          : { bus: this.#bus, topic, origin, latencyMs, delivered, id };
      receiveChannel.publish(message);
    }
  }

  dropped(topic: string, reason: BusDropReason, count = 1): void {
    const c = this.counters;
    if (reason === 'queue-full') c.droppedQueueFull += count;
    else if (reason === 'connection-lost') c.lost += count;
    else if (reason === 'malformed') c.malformed += count;
    else c.trimmed += count;
    if (dropChannel.hasSubscribers) {
      dropChannel.publish({ bus: this.#bus, topic, reason, count } satisfies BusDropMessage);
    }
  }

  state(state: BusStateMessage['state'], error?: Error): void {
    if (stateChannel.hasSubscribers) {
      const message: BusStateMessage =
        error === undefined ? { bus: this.#bus, state } : { bus: this.#bus, state, error };
      stateChannel.publish(message);
    }
  }
}
