/**
 * The worker side of topics across node:cluster workers: a `PubSubAdapter` that delivers
 * every publish to this worker's subscribers at once and sends it, as one envelope, straight
 * to the workers with subscribers of the topic over direct links (`mesh.ts`; the primary only
 * tells each worker where the others listen), or with `direct: false` to the primary, which
 * relays it. The queue towards the other workers is bounded in bytes; beyond the bound a
 * message is dropped (counted) rather than buffered without end.
 */
import { randomBytes } from 'node:crypto';
import type {
  LocalDelivery,
  PubSubAdapter,
  PubSubMessage,
  TopicSubscriber,
} from '@strata-ws/server';
import { type BusCounters, BusReporter } from './bus.js';
import { checkOrigin, decodeEnvelope, encodeEnvelope, preciseNow } from './envelope.js';
import {
  advancedSerialization,
  fromIpcData,
  type IpcBusMessage,
  isBusMessage,
  packBatch,
  toIpcData,
  unpackBatch,
} from './ipc.js';
import { Mesh } from './mesh.js';

/** Default bound of bytes queued towards the primary (per worker). */
export const DEFAULT_MAX_QUEUE_BYTES: number = 8 * 1024 * 1024;

/** Options of {@link ClusterAdapter}. */
export interface ClusterAdapterOptions {
  /**
   * Bytes (envelopes) sent to the primary and not yet written to the IPC channel; a publish
   * that would exceed it is not forwarded (local subscribers still get it) and counts in
   * `counters.droppedQueueFull`. Default 8 MiB.
   */
  maxQueueBytes?: number;
  /** This process's id in envelopes. Default: `w<worker id>-<random>`. */
  nodeId?: string;
  /**
   * Send messages straight to the other workers over direct links (a Unix domain socket per
   * worker, a named pipe on Windows; the primary only hands out the addresses), default true.
   * `false`: through the primary's IPC relay (one more process hop, for platforms where a
   * worker cannot listen on a local socket). All workers of a cluster must use the same.
   */
  direct?: boolean;
}

/** A process with an IPC channel to its parent (`process` in a node:cluster worker). */
interface IpcProcess {
  send?: (
    message: unknown,
    handle?: undefined,
    options?: object,
    cb?: (e: Error | null) => void,
  ) => boolean;
  connected?: boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** Checks a byte bound option: a positive safe integer. */
export function checkBytes(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `${name} must be a positive integer number of bytes, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Topics across the workers of a node:cluster: pass one to each worker's server as
 * `topics: { adapter: new ClusterAdapter() }`; the primary runs a {@link ClusterRelay}
 * (`runCluster` sets both up). Delivery is at-most-once: a message published while a
 * worker's subscription is still on its way to the primary, or while the IPC queue is over
 * `maxQueueBytes`, does not reach that worker.
 */
export class ClusterAdapter implements PubSubAdapter {
  /** The counters of this adapter (published, received, dropped, latency). */
  readonly counters: BusCounters;
  /** This process's id in envelopes. */
  readonly nodeId: string;
  readonly #reporter = new BusReporter('cluster');
  readonly #maxQueueBytes: number;
  readonly #advanced = advancedSerialization();
  readonly #process: IpcProcess;
  readonly #pending = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  readonly #open = new Set<string>();
  #deliver: LocalDelivery | null = null;
  #closed = false;
  /** The direct links (null: through the primary's relay). */
  #mesh: Mesh | null = null;
  /** Settles once the primary said which workers to link to (and those links are up). */
  readonly #linked: Promise<void>;
  #resolveLinked: () => void = () => {};
  /** Envelopes published in this tick, sent together at its end. */
  #batch: { topic: string; envelope: Uint8Array }[] = [];
  #batchBytes = 0;
  #flushScheduled = false;
  readonly #flush = (): void => this.#sendBatch();
  readonly #onMessage = (message: unknown): void => this.#receive(message);

  constructor(options: ClusterAdapterOptions = {}) {
    const ipc = process as unknown as IpcProcess;
    if (typeof ipc.send !== 'function') {
      throw new Error(
        'ClusterAdapter needs an IPC channel to the primary: create it in a node:cluster worker',
      );
    }
    this.#process = ipc;
    this.#maxQueueBytes = checkBytes(
      'maxQueueBytes',
      options.maxQueueBytes,
      DEFAULT_MAX_QUEUE_BYTES,
    );
    const workerId = process.env.NODE_UNIQUE_ID ?? String(process.pid);
    this.nodeId = checkOrigin(options.nodeId ?? `w${workerId}-${randomBytes(4).toString('hex')}`);
    this.counters = this.#reporter.counters;
    ipc.on('message', this.#onMessage);
    this.#linked = new Promise<void>((resolve) => {
      this.#resolveLinked = resolve;
    });
    if (options.direct === false) this.#resolveLinked();
    else this.#link();
  }

  /** Resolves once this worker's links to the other workers are up (direct mode). */
  get ready(): Promise<void> {
    return this.#linked;
  }

  #link(): void {
    const reporter = this.#reporter;
    const mesh = new Mesh(this.nodeId, this.#maxQueueBytes, {
      message: (bytes) => this.#deliverEnvelope(bytes, preciseNow()),
      malformed: () => reporter.dropped('', 'malformed'),
      lost: (topic, count) => reporter.dropped(topic, 'connection-lost', count),
      full: (topic, count) => reporter.dropped(topic, 'queue-full', count),
    });
    this.#mesh = mesh;
    // A worker whose IPC channel closed (the primary disconnected it) lets its links go.
    process.once('disconnect', () => mesh.shutdown());
    mesh.listen().then(
      (address) => {
        if (this.#closed) mesh.shutdown();
        else this.#send({ strataBus: 'hello', topic: '', address, nodeId: this.nodeId });
      },
      () => {
        // No local socket here: fall back to the primary's relay.
        this.#mesh = null;
        this.#resolveLinked();
      },
    );
  }

  /** @inheritDoc */
  attach(deliverLocally: LocalDelivery): void {
    this.#deliver = deliverLocally;
  }

  /** @inheritDoc */
  publish(topic: string, message: PubSubMessage, exclude: TopicSubscriber | undefined): number {
    if (this.#deliver === null) throw new Error('ClusterAdapter used before attach()');
    const delivered = this.#deliver(topic, message, exclude);
    if (!this.#closed) this.#forward(topic, message);
    return delivered;
  }

  /** @inheritDoc */
  topicOpened(topic: string): void {
    this.#open.add(topic);
    this.#mesh?.open(topic);
    this.#send({ strataBus: 'sub', topic });
  }

  /** @inheritDoc */
  topicClosed(topic: string): void {
    this.#open.delete(topic);
    this.#pending.get(topic)?.resolve();
    this.#pending.delete(topic);
    this.#mesh?.close(topic);
    this.#send({ strataBus: 'unsub', topic });
  }

  /**
   * Resolves once every other worker (direct mode) and the primary know that this worker
   * has subscribers of `topic` (at once if no local connection is subscribed): messages
   * published elsewhere after that reach this worker's subscribers.
   */
  async subscribed(topic: string): Promise<void> {
    await this.#pending.get(topic)?.promise;
    await this.#linked;
    if (this.#open.has(topic)) await this.#mesh?.subscribed(topic);
  }

  /** Sends what this tick published, then stops listening to the primary. */
  close(): void {
    if (this.#closed) return;
    this.#sendBatch();
    this.#closed = true;
    this.#mesh?.shutdown();
    this.#resolveLinked();
    this.#process.off('message', this.#onMessage);
    for (const pending of this.#pending.values()) pending.resolve();
    this.#pending.clear();
  }

  #forward(topic: string, message: PubSubMessage): void {
    const mesh = this.#mesh;
    if (mesh !== null) {
      // Direct: only when another worker has subscribers of the topic.
      if (!mesh.wants(topic)) return;
      const envelope = encodeEnvelope(this.nodeId, topic, message);
      if (mesh.queue(topic, envelope)) this.#reporter.published(topic, envelope.length);
      else this.#reporter.dropped(topic, 'queue-full');
      this.counters.queuedBytes = mesh.queuedBytes;
      return;
    }
    const envelope = encodeEnvelope(this.nodeId, topic, message);
    const length = 4 + envelope.length;
    const counters = this.counters;
    if (counters.queuedBytes + length > this.#maxQueueBytes) {
      this.#reporter.dropped(topic, 'queue-full');
      return;
    }
    counters.queuedBytes += length;
    this.#reporter.published(topic, envelope.length);
    this.#batch.push({ topic, envelope });
    this.#batchBytes += length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  /** Sends what was published in this tick: one IPC message (a batch when several). */
  #sendBatch(): void {
    this.#flushScheduled = false;
    const items = this.#batch;
    const bytes = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    const first = items[0];
    if (first === undefined) return;
    const counters = this.counters;
    const message: IpcBusMessage =
      items.length === 1
        ? { strataBus: 'msg', topic: first.topic, data: toIpcData(first.envelope, this.#advanced) }
        : {
            strataBus: 'batch',
            topic: '',
            topics: items.map((item) => item.topic),
            data: toIpcData(packBatch(items.map((item) => item.envelope)), this.#advanced),
          };
    const sent = this.#send(message, (error) => {
      counters.queuedBytes -= bytes;
      if (error) this.#reporter.dropped(first.topic, 'connection-lost', items.length);
    });
    if (!sent) counters.queuedBytes -= bytes;
  }

  /** Sends on the IPC channel; false (and the callback never called) when it is closed. */
  #send(message: IpcBusMessage, cb?: (error: Error | null) => void): boolean {
    if (message.strataBus === 'sub' && !this.#pending.has(message.topic)) {
      let resolve = (): void => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.#pending.set(message.topic, { promise, resolve });
    }
    if (this.#closed || this.#process.connected === false) {
      this.#lost(message);
      return false;
    }
    try {
      (this.#process.send as NonNullable<IpcProcess['send']>)(message, undefined, {}, cb ?? noop);
      return true;
    } catch {
      this.#lost(message);
      return false;
    }
  }

  #lost(message: IpcBusMessage): void {
    if (message.strataBus === 'msg') this.#reporter.dropped(message.topic, 'connection-lost');
    else if (message.strataBus === 'batch') {
      this.#reporter.dropped(message.topics[0] ?? '', 'connection-lost', message.topics.length);
    }
  }

  #receive(raw: unknown): void {
    if (!isBusMessage(raw)) return;
    if (raw.strataBus === 'peers') {
      const mesh = this.#mesh;
      if (mesh !== null) {
        mesh.join(raw.peers);
        void mesh.ready.then(this.#resolveLinked);
      }
      return;
    }
    if (this.#deliver === null) return;
    if (raw.strataBus === 'subscribed') {
      if (this.#open.has(raw.topic)) {
        this.#pending.get(raw.topic)?.resolve();
        this.#pending.delete(raw.topic);
      }
      return;
    }
    if (raw.strataBus !== 'msg' && raw.strataBus !== 'batch') return;
    const bytes = fromIpcData(raw.data);
    const envelopes =
      bytes === null ? null : raw.strataBus === 'msg' ? [bytes] : unpackBatch(bytes);
    if (envelopes === null) {
      this.#reporter.dropped(raw.topic, 'malformed');
      return;
    }
    const now = preciseNow();
    for (const bytes of envelopes) this.#deliverEnvelope(bytes, now);
  }

  #deliverEnvelope(bytes: Uint8Array, now: number): void {
    const envelope = decodeEnvelope(bytes);
    if (envelope === null) {
      this.#reporter.dropped('', 'malformed');
      return;
    }
    if (envelope.origin === this.nodeId) {
      this.counters.ownDropped++;
      return;
    }
    const delivered = (this.#deliver as LocalDelivery)(envelope.topic, envelope.message, undefined);
    this.#reporter.received(envelope.topic, envelope.origin, envelope.sentAt, now, delivered);
  }
}

function noop(): void {}
