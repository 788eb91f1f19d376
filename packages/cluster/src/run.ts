/**
 * `runCluster`: the one-call set-up of a node:cluster with topics across its workers. The
 * same script runs in the primary (which forks the workers with `'advanced'` IPC
 * serialization, relays topic messages and reforks workers that die) and in every worker
 * (which runs the application's `worker()` function, typically a `WebSocketServer` on the
 * shared port with a `ClusterAdapter`).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ClusterRelay } from './relay.js';

/** Options of {@link runCluster}. */
export interface RunClusterOptions {
  /** Workers to fork. Default: `os.availableParallelism()`. */
  workers?: number;
  /** Runs in each worker (start the server here). */
  worker: () => unknown;
  /**
   * Refork a worker that exits without `stop()` having been called. Default true. A worker
   * that dies within 5 s of starting is reforked after a delay that doubles each time (from
   * `respawnDelay` up to 30 s); one that ran longer is reforked after `respawnDelay`.
   */
  respawn?: boolean;
  /** First delay before a refork, ms. Default 500. */
  respawnDelay?: number;
  /** IPC serialization of the workers (default `'advanced'`: bytes travel as bytes). */
  serialization?: 'advanced' | 'json';
  /** Per-worker bound of bytes queued by the relay (see {@link ClusterRelay}). */
  maxQueueBytes?: number;
  /** Extra environment for the workers. */
  env?: Record<string, string>;
}

/** What {@link runCluster} returns in the primary. */
export interface ClusterPrimary {
  readonly isPrimary: true;
  /** The relay (counters, `publish` from the primary). */
  readonly relay: ClusterRelay;
  /** The live workers. */
  workers(): Worker[];
  /** Stops reforking, disconnects every worker (graceful: their servers close) and waits. */
  stop(timeoutMs?: number): Promise<void>;
}

/** What {@link runCluster} returns in a worker. */
export interface ClusterWorker {
  readonly isPrimary: false;
  /** What `worker()` returned (awaited). */
  readonly result: unknown;
}

const QUICK_DEATH_MS = 5_000;
const MAX_RESPAWN_DELAY_MS = 30_000;

/**
 * Runs the primary or a worker, depending on where it is called. In the primary it forks
 * `workers` workers, relays topic messages between them and reforks those that die; in a
 * worker it calls `options.worker()`.
 *
 * ```js
 * import { runCluster, ClusterAdapter } from '@strata-ws/cluster';
 * import { WebSocketServer } from '@strata-ws/server';
 * await runCluster({
 *   workers: 4,
 *   worker: () => new WebSocketServer({ port: 8080, topics: { adapter: new ClusterAdapter() } }),
 * });
 * ```
 */
export async function runCluster(
  options: RunClusterOptions,
): Promise<ClusterPrimary | ClusterWorker> {
  if (typeof options?.worker !== 'function') {
    throw new TypeError('runCluster: options.worker must be a function');
  }
  if (!cluster.isPrimary) return { isPrimary: false, result: await options.worker() };
  const count = options.workers ?? availableParallelism();
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`runCluster: workers must be a positive integer, got ${String(count)}`);
  }
  const baseDelay = options.respawnDelay ?? 500;
  if (!Number.isFinite(baseDelay) || baseDelay < 0) {
    throw new RangeError(`runCluster: respawnDelay must be >= 0 ms, got ${String(baseDelay)}`);
  }
  const serialization = options.serialization ?? 'advanced';
  const relay = new ClusterRelay({ serialization, maxQueueBytes: options.maxQueueBytes });
  cluster.setupPrimary({ serialization });
  let stopping = false;
  let delay = baseDelay;
  const timers = new Set<NodeJS.Timeout>();
  const live = new Set<Worker>();

  const fork = (): void => {
    const worker = cluster.fork(options.env);
    const started = Date.now();
    live.add(worker);
    relay.attach(worker);
    worker.once('exit', () => {
      live.delete(worker);
      if (stopping || options.respawn === false) return;
      const quick = Date.now() - started < QUICK_DEATH_MS;
      const wait = quick ? delay : baseDelay;
      delay = quick ? Math.min(MAX_RESPAWN_DELAY_MS, Math.max(1, delay * 2)) : baseDelay;
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopping) fork();
      }, wait);
      timers.add(timer);
    });
  };
  for (let i = 0; i < count; i++) fork();

  return {
    isPrimary: true,
    relay,
    workers: () => [...live],
    async stop(timeoutMs = 10_000) {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const exits = [...live].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.disconnect();
          }),
      );
      const killer = setTimeout(() => {
        for (const worker of live) worker.process.kill('SIGKILL');
      }, timeoutMs);
      await Promise.all(exits);
      clearTimeout(killer);
    },
  };
}
