/**
 * The primary's side of topics across node:cluster workers: it tells each worker where the
 * workers started before it listen (so they link directly, `mesh.ts`), knows which workers
 * have subscribers of which topic, and relays the envelopes of workers with `direct: false`
 * and of its own `publish` to those workers only, never back to the sender. Each worker's queue is bounded in bytes; a worker that does not
 * read its IPC channel loses messages (counted) instead of growing the primary's memory.
 */
import type { Worker } from 'node:cluster';
import type { PubSubMessage } from '@strata-ws/server';
import { checkBytes, DEFAULT_MAX_QUEUE_BYTES } from './adapter.js';
import { type BusCounters, BusReporter } from './bus.js';
import { checkOrigin, encodeEnvelope } from './envelope.js';
import {
  fromIpcData,
  type IpcBatch,
  type IpcBusMessage,
  ipcDataLength,
  isBusMessage,
  packBatch,
  toIpcData,
  unpackBatch,
} from './ipc.js';
import { type PeerAddress, removeLinkAddress } from './mesh.js';

/** Options of {@link ClusterRelay}. */
export interface ClusterRelayOptions {
  /**
   * Bytes relayed to one worker and not yet written to its IPC channel; beyond it messages
   * for that worker are dropped and counted (`counters.droppedQueueFull`). Default 8 MiB.
   */
  maxQueueBytes?: number;
  /** The IPC serialization the workers were forked with (default `'advanced'`). */
  serialization?: 'advanced' | 'json';
}

interface WorkerState {
  readonly topics: Set<string>;
  /** Where the worker's direct links listen, once it said hello. */
  link: PeerAddress | null;
  queuedBytes: number;
  readonly onMessage: (message: unknown) => void;
  readonly onExit: () => void;
}

/**
 * Relays topic messages between the workers of a node:cluster (run it in the primary; use
 * {@link ClusterRelay.attach} for each worker, or `runCluster` which does). Its counters:
 * `received` counts envelopes from workers, `deliveries` the copies sent to workers.
 */
export class ClusterRelay {
  /** Relay counters. */
  readonly counters: BusCounters;
  readonly #reporter = new BusReporter('cluster-relay');
  readonly #maxQueueBytes: number;
  readonly #advanced: boolean;
  readonly #workers = new Map<Worker, WorkerState>();
  readonly #subscribers = new Map<string, Set<Worker>>();

  constructor(options: ClusterRelayOptions = {}) {
    this.#maxQueueBytes = checkBytes(
      'maxQueueBytes',
      options.maxQueueBytes,
      DEFAULT_MAX_QUEUE_BYTES,
    );
    const serialization = options.serialization ?? 'advanced';
    if (serialization !== 'advanced' && serialization !== 'json') {
      throw new RangeError(
        `serialization must be 'advanced' or 'json', got ${String(serialization)}`,
      );
    }
    this.#advanced = serialization === 'advanced';
    this.counters = this.#reporter.counters;
  }

  /** Relays for `worker` from now on; forgets it (and its subscriptions) when it exits. */
  attach(worker: Worker): void {
    if (this.#workers.has(worker)) return;
    const state: WorkerState = {
      topics: new Set(),
      link: null,
      queuedBytes: 0,
      onMessage: (message) => this.#receive(worker, message),
      onExit: () => this.detach(worker),
    };
    this.#workers.set(worker, state);
    worker.on('message', state.onMessage);
    worker.once('exit', state.onExit);
  }

  /** Stops relaying for `worker`. */
  detach(worker: Worker): void {
    const state = this.#workers.get(worker);
    if (state === undefined) return;
    this.#workers.delete(worker);
    worker.off('message', state.onMessage);
    worker.off('exit', state.onExit);
    for (const topic of state.topics) this.#removeSubscriber(topic, worker);
    // A worker that was killed could not remove its socket file.
    if (state.link !== null) removeLinkAddress(state.link.address);
  }

  /** The workers with subscribers of `topic` right now. */
  subscribersOf(topic: string): readonly Worker[] {
    return [...(this.#subscribers.get(topic) ?? [])];
  }

  /**
   * Publishes from the primary to every worker's subscribers of `topic`. Returns the
   * number of workers it was sent to.
   */
  publish(
    topic: string,
    data: string | Uint8Array,
    options: { binary?: boolean; compress?: boolean } = {},
  ): number {
    const message: PubSubMessage = {
      data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
      isBinary: options.binary ?? typeof data !== 'string',
      compress: options.compress,
    };
    const envelope = encodeEnvelope(checkOrigin('primary'), topic, message);
    this.#reporter.published(topic, envelope.length);
    return this.#relay(undefined, {
      strataBus: 'msg',
      topic,
      data: toIpcData(envelope, this.#advanced),
    });
  }

  #receive(worker: Worker, raw: unknown): void {
    if (!isBusMessage(raw)) return;
    const state = this.#workers.get(worker);
    if (state === undefined) return;
    switch (raw.strataBus) {
      case 'hello': {
        // The workers that said hello before link to nothing new: this one connects to them.
        const peers: PeerAddress[] = [];
        for (const other of this.#workers.values()) {
          if (other !== state && other.link !== null) peers.push(other.link);
        }
        state.link = { address: raw.address, nodeId: raw.nodeId };
        this.#send(worker, state, { strataBus: 'peers', topic: '', peers });
        break;
      }
      case 'sub': {
        state.topics.add(raw.topic);
        let set = this.#subscribers.get(raw.topic);
        if (set === undefined) {
          set = new Set();
          this.#subscribers.set(raw.topic, set);
        }
        set.add(worker);
        this.#send(worker, state, { strataBus: 'subscribed', topic: raw.topic });
        break;
      }
      case 'unsub':
        state.topics.delete(raw.topic);
        this.#removeSubscriber(raw.topic, worker);
        break;
      case 'msg':
        this.counters.received++;
        this.#relay(worker, raw);
        break;
      case 'batch':
        this.counters.received += raw.topics.length;
        this.#relayBatch(worker, raw);
        break;
      default:
        break;
    }
  }

  #relay(from: Worker | undefined, message: IpcBusMessage & { strataBus: 'msg' }): number {
    const set = this.#subscribers.get(message.topic);
    if (set === undefined) return 0;
    let sent = 0;
    for (const worker of set) {
      if (worker === from) continue;
      const state = this.#workers.get(worker);
      if (state === undefined) continue;
      if (this.#send(worker, state, message)) sent++;
    }
    this.counters.deliveries += sent;
    return sent;
  }

  /**
   * Relays a batch: each worker gets the messages of its topics, the original batch
   * untouched when that is all of them (the usual case: one topic, or workers that share
   * their topics), a smaller batch otherwise.
   */
  #relayBatch(from: Worker, batch: IpcBatch): void {
    const targets = new Map<Worker, number[]>();
    batch.topics.forEach((topic, index) => {
      const set = this.#subscribers.get(topic);
      if (set === undefined) return;
      for (const worker of set) {
        if (worker === from) continue;
        let list = targets.get(worker);
        if (list === undefined) {
          list = [];
          targets.set(worker, list);
        }
        list.push(index);
      }
    });
    let envelopes: Uint8Array[] | null | undefined;
    for (const [worker, indices] of targets) {
      const state = this.#workers.get(worker);
      if (state === undefined) continue;
      let message: IpcBatch = batch;
      if (indices.length < batch.topics.length) {
        if (envelopes === undefined) {
          const bytes = fromIpcData(batch.data);
          envelopes = bytes === null ? null : unpackBatch(bytes);
        }
        if (envelopes === null || envelopes.length !== batch.topics.length) {
          this.#reporter.dropped(batch.topics[0] ?? '', 'malformed', indices.length);
          continue;
        }
        const all = envelopes;
        message = {
          strataBus: 'batch',
          topic: '',
          topics: indices.map((i) => batch.topics[i] as string),
          data: toIpcData(packBatch(indices.map((i) => all[i] as Uint8Array)), this.#advanced),
        };
      }
      if (this.#send(worker, state, message)) this.counters.deliveries += indices.length;
    }
  }

  #send(worker: Worker, state: WorkerState, message: IpcBusMessage): boolean {
    const length =
      message.strataBus === 'msg' || message.strataBus === 'batch'
        ? ipcDataLength(message.data)
        : 0;
    const count = message.strataBus === 'batch' ? message.topics.length : 1;
    if (length > 0 && state.queuedBytes + length > this.#maxQueueBytes) {
      this.#reporter.dropped(message.topic, 'queue-full', count);
      return false;
    }
    if (!worker.isConnected()) {
      if (length > 0) this.#reporter.dropped(message.topic, 'connection-lost', count);
      return false;
    }
    state.queuedBytes += length;
    this.counters.queuedBytes += length;
    try {
      worker.send(message, undefined, {}, (error: Error | null) => {
        state.queuedBytes -= length;
        this.counters.queuedBytes -= length;
        if (error && length > 0) this.#reporter.dropped(message.topic, 'connection-lost', count);
      });
      return true;
    } catch {
      state.queuedBytes -= length;
      this.counters.queuedBytes -= length;
      if (length > 0) this.#reporter.dropped(message.topic, 'connection-lost', count);
      return false;
    }
  }

  #removeSubscriber(topic: string, worker: Worker): void {
    const set = this.#subscribers.get(topic);
    if (set === undefined) return;
    set.delete(worker);
    if (set.size === 0) this.#subscribers.delete(topic);
  }
}
