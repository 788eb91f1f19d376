// Observability: two servers in this process, each with its own RedisAdapter on a real
// redis-server, and a real WebSocket client. The strata:bus:* diagnostics channels report the
// publish, the receive (with latency, origin and local deliveries), a drop when a message does
// not fit the byte bound, and the connection state; the counters agree, also as the servers'
// own `wss.counters.bus`.
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { BusChannelName } from '@strata-ws/cluster';
import { createResumableServer } from '@strata-ws/reconnect/server';
import { WebSocketServer } from '@strata-ws/server';
import { until } from '@strata-ws/test-support/procs';
import { RedisServer } from '@strata-ws/test-support/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RedisAdapter } from '../src/index.js';
import { RedisSessionStore } from '../src/sessions.js';

describe('diagnostics channels and counters', () => {
  let redis: RedisServer;
  const events: { channel: string; message: Record<string, unknown> }[] = [];
  const listeners = Object.values(BusChannelName).map((channel) => {
    const listener = (message: unknown) =>
      events.push({ channel, message: message as Record<string, unknown> });
    diagnosticsChannel.subscribe(channel, listener);
    return () => diagnosticsChannel.unsubscribe(channel, listener);
  });

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    for (const off of listeners) off();
    await redis?.stop();
  });

  it('reports publish, receive, drop and state', async () => {
    const a = new RedisAdapter({ url: redis.url, nodeId: 'node-a' });
    const b = new RedisAdapter({ url: redis.url, nodeId: 'node-b', maxQueueBytes: 1024 });
    const wssA = new WebSocketServer({ port: 0, host: '127.0.0.1', topics: { adapter: a } });
    const wssB = new WebSocketServer({ port: 0, host: '127.0.0.1', topics: { adapter: b } });
    try {
      await Promise.all([once(wssA, 'listening'), once(wssB, 'listening')]);
      const { port } = wssA.address() as { port: number };
      const client = new WebSocket(`ws://127.0.0.1:${port}/`);
      const received: Buffer[] = [];
      client.on('message', (data: Buffer) => received.push(data));
      const connected = once(wssA, 'connection');
      await once(client, 'open');
      const [ws] = (await connected) as [{ subscribe(topic: string): boolean }];
      ws.subscribe('metrics');
      await a.subscribed('metrics');
      await until('B connected', () => (b.connected ? true : undefined));

      expect(wssB.publish('metrics', 'small')).toBe(0);
      await until('delivery', () => received[0]);
      expect(received[0]?.toString()).toBe('small');
      expect(wssB.publish('metrics', 'x'.repeat(2000))).toBe(0); // over B's 1 KiB bound

      const publish = events.find((e) => e.channel === BusChannelName.publish);
      expect(publish?.message).toMatchObject({ bus: 'redis', topic: 'metrics' });
      expect(publish?.message.bytes).toBe(13 + 'node-b'.length + 'metrics'.length + 5);
      const receive = events.find((e) => e.channel === BusChannelName.receive);
      expect(receive?.message).toMatchObject({
        bus: 'redis',
        topic: 'metrics',
        origin: 'node-b',
        delivered: 1,
      });
      expect(receive?.message.latencyMs).toBeGreaterThanOrEqual(0);
      const drop = events.find((e) => e.channel === BusChannelName.drop);
      expect(drop?.message).toEqual({
        bus: 'redis',
        topic: 'metrics',
        reason: 'queue-full',
        count: 1,
      });
      expect(
        events.some((e) => e.channel === BusChannelName.state && e.message.state === 'ready'),
      ).toBe(true);

      expect(b.counters.snapshot()).toMatchObject({ published: 1, droppedQueueFull: 1 });
      expect(a.counters.snapshot()).toMatchObject({ received: 1, deliveries: 1, published: 0 });
      expect(a.counters.latencyMaxMs).toBeGreaterThanOrEqual(a.counters.latencyMeanMs);
      // The servers' own counters carry their adapters' bus counters (live, in snapshots).
      expect(wssB.counters.bus).toBe(b.counters);
      expect(wssB.counters.snapshot().bus).toMatchObject({ published: 1, droppedQueueFull: 1 });
      expect(wssA.counters.snapshot().bus).toMatchObject({ received: 1, deliveries: 1 });
      expect(wssA.counters.snapshot().bus?.latencyMaxMs).toBe(a.counters.latencyMaxMs);
      client.terminate();
    } finally {
      await Promise.all([wssA.shutdown({ timeout: 500 }), wssB.shutdown({ timeout: 500 })]);
    }
    expect(
      events.some((e) => e.channel === BusChannelName.state && e.message.state === 'closed'),
    ).toBe(true);
  });

  it('bus counters reach wss.counters through resumable sessions; none with the in-process adapter', async () => {
    const plain = new WebSocketServer({ noServer: true });
    expect(plain.counters.bus).toBeNull();
    expect(plain.counters.snapshot().bus).toBeNull();
    const adapter = new RedisAdapter({ url: redis.url, mode: 'streams', nodeId: 'node-s' });
    const { wss } = createResumableServer({
      port: 0,
      host: '127.0.0.1',
      resume: { adapter, store: new RedisSessionStore({ adapter }) },
    });
    try {
      await once(wss, 'listening');
      expect(wss.counters.bus).toBe(adapter.counters);
      wss.publish('anything', 'x');
      expect(wss.counters.snapshot().bus).toMatchObject({ published: 1 });
    } finally {
      await wss.shutdown({ timeout: 500 });
      await plain.shutdown({ timeout: 100 });
    }
  });

  it('sharded pub/sub (SPUBLISH/SSUBSCRIBE) crosses processes the same way', async () => {
    const a = new RedisAdapter({ url: redis.url, sharded: true });
    const b = new RedisAdapter({ url: redis.url, sharded: true });
    const wssA = new WebSocketServer({ port: 0, host: '127.0.0.1', topics: { adapter: a } });
    const wssB = new WebSocketServer({ port: 0, host: '127.0.0.1', topics: { adapter: b } });
    try {
      await Promise.all([once(wssA, 'listening'), once(wssB, 'listening')]);
      const { port } = wssA.address() as { port: number };
      const client = new WebSocket(`ws://127.0.0.1:${port}/`);
      const received: { data: Buffer; isBinary: boolean }[] = [];
      client.on('message', (data: Buffer, isBinary: boolean) => received.push({ data, isBinary }));
      const connected = once(wssA, 'connection');
      await once(client, 'open');
      const [ws] = (await connected) as [{ subscribe(topic: string): boolean }];
      ws.subscribe('shard');
      await a.subscribed('shard');
      await until('B connected', () => (b.connected ? true : undefined));
      wssB.publish('shard', new Uint8Array([1, 2, 3]));
      const got = await until('delivery', () => received[0]);
      expect(got.isBinary).toBe(true);
      expect([...got.data]).toEqual([1, 2, 3]);
      client.terminate();
    } finally {
      await Promise.all([wssA.shutdown({ timeout: 500 }), wssB.shutdown({ timeout: 500 })]);
    }
  });

  it('close() is bounded when Redis stops answering (frozen): queued messages are counted lost', async () => {
    const adapter = new RedisAdapter({ url: redis.url, closeTimeout: 300 });
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', topics: { adapter } });
    await once(wss, 'listening');
    await until('connected', () => (adapter.connected ? true : undefined));
    redis.freeze(true);
    try {
      for (let i = 0; i < 5; i++) wss.publish('frozen', `m${i}`);
      const started = Date.now();
      await wss.shutdown({ timeout: 100 });
      expect(Date.now() - started).toBeLessThan(3000);
      // Sent but never answered: counted lost, nothing left queued.
      expect(adapter.counters.published).toBe(5);
      expect(adapter.counters.lost).toBe(5);
      expect(adapter.queuedBytes).toBe(0);
    } finally {
      redis.freeze(false);
    }
  });
});
