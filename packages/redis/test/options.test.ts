// RedisAdapter refuses bad options at construction with an error naming the option (before
// any connection is made), and its reconnect backoff grows, stays bounded and never gives up.
import { describe, expect, it } from 'vitest';
import { RedisAdapter } from '../src/index.js';
import { backoff, resolveOptions } from '../src/options.js';

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
