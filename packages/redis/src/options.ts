/**
 * The options of {@link RedisAdapter}, their defaults and their checks (a bad value is a
 * `RangeError`/`TypeError` naming the option, at construction).
 */
import type { RedisClientOptions } from '@redis/client';

/** Delivery modes of {@link RedisAdapter}. */
export type RedisDeliveryMode = 'pubsub' | 'streams';

/** Options of `RedisAdapter`. */
export interface RedisAdapterOptions {
  /** Redis (or Valkey) URL, e.g. `redis://127.0.0.1:6379`. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * Further `@redis/client` options (TLS, credentials, database...). `url`, the reconnect
   * strategy, the offline queue and the RESP version are the adapter's own.
   */
  client?: Omit<RedisClientOptions, 'url' | 'RESP' | 'disableOfflineQueue'>;
  /**
   * `'pubsub'` (default): Redis pub/sub, at-most-once. `'streams'`: one Redis Stream per
   * topic (XADD bounded by `streamMaxLength`, XREAD from the last id read), at-least-once
   * while entries are within the bound.
   */
  mode?: RedisDeliveryMode;
  /** Prefix of the Redis channel / stream key of a topic. Default `'strata:'`. */
  prefix?: string;
  /** Use sharded pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7+ / Valkey) in `'pubsub'` mode. Default false. */
  sharded?: boolean;
  /** This process's id in envelopes. Default: random. */
  nodeId?: string;
  /**
   * Bytes queued towards Redis or in flight (unanswered); a publish beyond it is not
   * forwarded (local subscribers still get it) and counts in `counters.droppedQueueFull`.
   * Default 8 MiB.
   */
  maxQueueBytes?: number;
  /** First reconnect delay, ms (doubles per attempt, with jitter). Default 100. */
  reconnectDelay?: number;
  /** Largest reconnect delay, ms. Default 5000. */
  maxReconnectDelay?: number;
  /** Streams: approximate maximum entries kept per topic (`XADD MAXLEN ~`). Default 10000. */
  streamMaxLength?: number;
  /** Streams: entries read per XREAD. Default 500. */
  readCount?: number;
  /** Streams: how long one XREAD blocks waiting for entries, ms. Default 5000. */
  blockMs?: number;
  /** Time `close()` waits for queued messages to reach Redis, ms. Default 2000. */
  closeTimeout?: number;
}

/** Resolved options. @internal */
export interface ResolvedRedisOptions {
  readonly url: string;
  readonly client: Omit<RedisClientOptions, 'url' | 'RESP' | 'disableOfflineQueue'>;
  readonly mode: RedisDeliveryMode;
  readonly prefix: string;
  readonly sharded: boolean;
  readonly nodeId: string | undefined;
  readonly maxQueueBytes: number;
  readonly reconnectDelay: number;
  readonly maxReconnectDelay: number;
  readonly streamMaxLength: number;
  readonly readCount: number;
  readonly blockMs: number;
  readonly closeTimeout: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`RedisAdapter: ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Fills in defaults and checks every option. @internal */
export function resolveOptions(options: RedisAdapterOptions = {}): ResolvedRedisOptions {
  const mode = options.mode ?? 'pubsub';
  if (mode !== 'pubsub' && mode !== 'streams') {
    throw new RangeError(`RedisAdapter: mode must be 'pubsub' or 'streams', got ${String(mode)}`);
  }
  const prefix = options.prefix ?? 'strata:';
  if (typeof prefix !== 'string') throw new TypeError('RedisAdapter: prefix must be a string');
  const url = options.url ?? 'redis://127.0.0.1:6379';
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) {
    throw new RangeError(
      `RedisAdapter: url must be a redis:// or rediss:// URL, got ${String(url)}`,
    );
  }
  const reconnectDelay = positiveInteger('reconnectDelay', options.reconnectDelay, 100);
  const maxReconnectDelay = positiveInteger('maxReconnectDelay', options.maxReconnectDelay, 5000);
  if (maxReconnectDelay < reconnectDelay) {
    throw new RangeError('RedisAdapter: maxReconnectDelay must be >= reconnectDelay');
  }
  if (options.sharded && mode !== 'pubsub') {
    throw new RangeError("RedisAdapter: sharded applies to mode 'pubsub' only");
  }
  return {
    url,
    client: options.client ?? {},
    mode,
    prefix,
    sharded: options.sharded ?? false,
    nodeId: options.nodeId,
    maxQueueBytes: positiveInteger('maxQueueBytes', options.maxQueueBytes, 8 * 1024 * 1024),
    reconnectDelay,
    maxReconnectDelay,
    streamMaxLength: positiveInteger('streamMaxLength', options.streamMaxLength, 10_000),
    readCount: positiveInteger('readCount', options.readCount, 500),
    blockMs: positiveInteger('blockMs', options.blockMs, 5000),
    closeTimeout: positiveInteger('closeTimeout', options.closeTimeout, 2000),
  };
}

/** The reconnect strategy: exponential backoff with jitter, never giving up. @internal */
export function backoff(options: ResolvedRedisOptions): (retries: number) => number {
  return (retries) => {
    const base = Math.min(
      options.maxReconnectDelay,
      options.reconnectDelay * 2 ** Math.min(retries, 20),
    );
    return Math.round(base / 2 + Math.random() * (base / 2));
  };
}
