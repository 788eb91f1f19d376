// RedisAdapter refuses bad options at construction with an error naming the option (before
// any connection is made), and its reconnect backoff grows, stays bounded and never gives up.
import { describe, expect, it } from 'vitest';
import { RedisAdapter } from '../src/index.js';
import { backoff, resolveOptions } from '../src/options.js';
import { RedisSessionStore } from '../src/sessions.js';

describe('options', () => {
  it('names the bad option', () => {
    expect(() => new RedisAdapter({ maxQueueBytes: 0 })).toThrow(/maxQueueBytes/);
    expect(() => new RedisAdapter({ mode: 'kafka' as 'pubsub' })).toThrow(/mode/);
    expect(() => new RedisAdapter({ url: 'http://x' })).toThrow(/url/);
    expect(() => new RedisAdapter({ streamMaxLength: -1 })).toThrow(/streamMaxLength/);
    expect(() => new RedisAdapter({ reconnectDelay: 500, maxReconnectDelay: 100 })).toThrow(
      /maxReconnectDelay/,
    );
    expect(() => new RedisAdapter({ mode: 'streams', sharded: true })).toThrow(/sharded/);
    expect(() => new RedisAdapter({ nodeId: 'has space' })).toThrow(/nodeId/);
  });

  it('RedisSessionStore names the bad option, and needs a Streams adapter', async () => {
    // Port 9 (discard) on loopback: nothing listens; the adapters are closed at once.
    const pubsub = new RedisAdapter({ url: 'redis://127.0.0.1:9', closeTimeout: 50 });
    const streams = new RedisAdapter({
      url: 'redis://127.0.0.1:9',
      mode: 'streams',
      closeTimeout: 50,
    });
    try {
      expect(() => new RedisSessionStore({ adapter: pubsub })).toThrow(/adapter.*'streams'/);
      expect(
        () => new RedisSessionStore(undefined as unknown as { adapter: RedisAdapter }),
      ).toThrow(/adapter/);
      expect(() => new RedisSessionStore({ adapter: streams, maxLogBytes: 0 })).toThrow(
        /maxLogBytes/,
      );
      expect(() => new RedisSessionStore({ adapter: streams, maxReplayBytes: 1.5 })).toThrow(
        /maxReplayBytes/,
      );
      expect(() => new RedisSessionStore({ adapter: streams, windowMs: -1 })).toThrow(/windowMs/);
      const store = new RedisSessionStore({ adapter: streams });
      store.close();
    } finally {
      await Promise.all([pubsub.close(), streams.close()]);
    }
  });

  it('has safe defaults', () => {
    const o = resolveOptions();
    expect(o.mode).toBe('pubsub');
    expect(o.maxQueueBytes).toBe(8 * 1024 * 1024);
    expect(o.prefix).toBe('strata:');
    expect(o.streamMaxLength).toBe(10_000);
  });

  it('backs off exponentially with jitter, bounded by maxReconnectDelay', () => {
    const delay = backoff(resolveOptions({ reconnectDelay: 100, maxReconnectDelay: 2000 }));
    for (let i = 0; i < 50; i++) {
      expect(delay(0)).toBeGreaterThanOrEqual(50);
      expect(delay(0)).toBeLessThanOrEqual(100);
      expect(delay(3)).toBeGreaterThanOrEqual(400);
      expect(delay(3)).toBeLessThanOrEqual(800);
      expect(delay(1000)).toBeLessThanOrEqual(2000);
      expect(delay(1000)).toBeGreaterThanOrEqual(1000);
    }
  });
});
