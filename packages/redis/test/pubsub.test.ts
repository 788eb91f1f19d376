// RedisAdapter in its default mode (pub/sub, at-most-once) with a real redis-server and real
// server processes: topics cross processes with their kind and bytes, nobody gets a message
// twice, a process holds a Redis subscription only while it has subscribers, a Redis restart
// is survived (local topics keep working meanwhile), a frozen Redis meets a queue bounded in
// bytes (drop + count), and a peer process that dies leaves the others working.
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import type { BusCountersSnapshot } from '@strata-ws/cluster';
import { NodeProcess, TestClient, until } from '@strata-ws/test-support/procs';
import { RedisServer, redisServerBinaries } from '@strata-ws/test-support/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PEER = fileURLToPath(new URL('./fixtures/redis-peer.mjs', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Peer {
  proc: NodeProcess;
  port: number;
}

async function startPeer(
  url: string,
  name: string,
  env: Record<string, string> = {},
): Promise<Peer> {
  const proc = new NodeProcess(PEER, { REDIS_URL: url, NAME: name, ...env });
  const port = (await proc.line('port', 30_000)).port as number;
  return { proc, port };
}

async function stats(client: TestClient): Promise<BusCountersSnapshot & { connected: boolean }> {
  const reply = await client.request({ stats: true }, 'stats');
  return { ...(reply.stats as BusCountersSnapshot), connected: reply.connected as boolean };
}

async function numsub(url: string, channel: string): Promise<number> {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  const reply = (await client.sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[];
  await client.close();
  return Number(reply[1]);
}

describe.each(redisServerBinaries())(
  'RedisAdapter, pub/sub mode, 2 processes and a real Redis (%s)',
  (binary) => {
    let redis: RedisServer;
    let a: Peer;
    let b: Peer;
    const clients: TestClient[] = [];
    const connect = async (peer: Peer) => {
      const client = await TestClient.connect(peer.port);
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      redis = await RedisServer.start(undefined, binary);
      [a, b] = await Promise.all([
        startPeer(redis.url, 'A', { MAX_QUEUE: '65536' }),
        startPeer(redis.url, 'B'),
      ]);
    }, 40_000);

    afterAll(async () => {
      for (const client of clients) client.close();
      await Promise.all([a?.proc.stop(), b?.proc.stop()]);
      await redis?.stop();
    });

    it('crosses processes: text and binary with exact bytes, excludeSelf, no echo, no duplicate', async () => {
      const a1 = await connect(a);
      const a2 = await connect(a);
      const b1 = await connect(b);
      for (const c of [a1, a2, b1]) await c.request({ sub: 'room' }, 'subscribed');

      await a1.request({ pub: 'room', data: 'grüße aus A', excludeSelf: true }, 'published');
      const atB = await until('text at B', () => b1.messages()[0]);
      expect(atB.isBinary).toBe(false);
      expect(atB.data.toString()).toBe('grüße aus A');
      const atA2 = await until('text at A2', () => a2.messages()[0]);
      expect(atA2.data.toString()).toBe('grüße aus A');

      const bytes = Buffer.from([255, 0, 128, 7, 7, 7]);
      await b1.request(
        { pub: 'room', data: bytes.toString('base64'), binary: true, compress: true },
        'published',
      );
      for (const c of [a1, a2]) {
        const frame = await until('binary on A', () => c.messages().find((f) => f.isBinary));
        expect([...frame.data]).toEqual([...bytes]);
      }
      await sleep(200);
      // Exactly once each: A's own message came back from Redis and was dropped, not redelivered.
      expect(a1.messages().map((f) => f.isBinary)).toEqual([true]);
      expect(a2.messages().map((f) => f.isBinary)).toEqual([false, true]);
      expect(b1.messages().map((f) => f.isBinary)).toEqual([false, true]);
      const sa = await stats(a1);
      expect(sa.published).toBe(1);
      expect(sa.received).toBe(1);
      expect(sa.ownDropped).toBe(1);
      expect(sa.deliveries).toBe(2);
      expect(sa.latencyMaxMs).toBeGreaterThan(0);
    });

    it('holds a Redis subscription only while a local connection is subscribed', async () => {
      const a1 = await connect(a);
      const b1 = await connect(b);
      expect(await numsub(redis.url, 'strata:lonely')).toBe(0);
      await a1.request({ sub: 'lonely' }, 'subscribed');
      await b1.request({ sub: 'lonely' }, 'subscribed');
      expect(await numsub(redis.url, 'strata:lonely')).toBe(2);
      await b1.request({ unsub: 'lonely' }, 'unsubscribed');
      await until('B unsubscribed', async () =>
        (await numsub(redis.url, 'strata:lonely')) === 1 ? true : undefined,
      );
      a1.close();
      await until('A unsubscribed', async () =>
        (await numsub(redis.url, 'strata:lonely')) === 0 ? true : undefined,
      );
    });

    it('a frozen Redis: the queue towards it stays under maxQueueBytes, the rest is dropped and counted', async () => {
      const a1 = await connect(a);
      const b1 = await connect(b);
      await b1.request({ sub: 'flood' }, 'subscribed');
      await a1.request({ sub: 'flood' }, 'subscribed');
      const before = await stats(a1);
      redis.freeze(true);
      try {
        const after = (await a1.request({ burst: 1000, topic: 'flood', size: 1024 }, 'burst'))
          .burst as BusCountersSnapshot;
        const published = after.published - before.published;
        const dropped = after.droppedQueueFull - before.droppedQueueFull;
        expect(published + dropped).toBe(1000);
        expect(published).toBeLessThanOrEqual(64); // 64 KiB of ~1 KiB envelopes
        expect(dropped).toBeGreaterThanOrEqual(936);
        expect(after.queuedBytes).toBeLessThanOrEqual(65536);
        // Local subscribers are not held back by the bus.
        await until('local burst', () => (a1.messages().length === 1000 ? true : undefined));
        redis.freeze(false);
        const got = await until('the forwarded messages at B', () =>
          b1.messages().length >= published ? b1.messages() : undefined,
        );
        await sleep(200);
        expect(b1.messages()).toHaveLength(published);
        expect(got.map((f) => f.data.readUInt32BE(0))).toEqual([...Array(published).keys()]);
      } finally {
        redis.freeze(false);
      }
    });

    it('a Redis restart: local topics keep working, the adapter reconnects, resubscribes and counts', async () => {
      const a1 = await connect(a);
      const a2 = await connect(a);
      const b1 = await connect(b);
      for (const c of [a1, a2, b1]) await c.request({ sub: 'restart' }, 'subscribed');
      const before = await stats(a1);

      await redis.kill();
      await until('A sees Redis gone', async () =>
        (await stats(a1)).connected ? undefined : true,
      );
      // Meanwhile local delivery goes on.
      await a1.request({ pub: 'restart', data: 'while down' }, 'published');
      const local = await until('local delivery while Redis is down', () => a2.messages()[0]);
      expect(local.data.toString()).toBe('while down');

      await redis.start();
      await until(
        'A reconnected',
        async () => ((await stats(a1)).connected ? true : undefined),
        15_000,
      );
      // After resubscribing, messages cross again (the first ones may race the SUBSCRIBE).
      const crossed = await until(
        'a message crossing after the restart',
        async () => {
          await a1.request({ pub: 'restart', data: 'after restart' }, 'published');
          await sleep(50);
          return b1.messages().find((f) => f.data.toString() === 'after restart');
        },
        15_000,
        100,
      );
      expect(crossed.isBinary).toBe(false);
      const after = await stats(a1);
      expect(after.reconnects).toBe(before.reconnects + 1);
      // Every publish is accounted for: it reached Redis, or was dropped, or was lost in flight.
      expect(after.published - before.published).toBeGreaterThanOrEqual(2);
      // B never received a message twice.
      const texts = b1.messages().map((f) => f.data.toString());
      expect(new Set(texts).size).toBe(texts.filter((t) => t !== 'after restart').length + 1);
    }, 40_000);

    it('a peer that dies leaves the others working', async () => {
      const c = await startPeer(redis.url, 'C');
      const c1 = await TestClient.connect(c.port);
      const a1 = await connect(a);
      const b1 = await connect(b);
      for (const x of [c1, a1, b1]) await x.request({ sub: 'survive' }, 'subscribed');
      c1.ws.send(JSON.stringify({ die: true }));
      await until('C exited', () => (c.proc.child.exitCode === 3 ? true : undefined));
      await a1.request({ pub: 'survive', data: 'still' }, 'published');
      const got = await until('B still receives', () => b1.messages()[0]);
      expect(got.data.toString()).toBe('still');
    });
  },
);

describe.each(redisServerBinaries())('RedisAdapter, Redis unreachable at start (%s)', (binary) => {
  it('serves local topics at once and joins the bus when Redis appears', async () => {
    const redis = await RedisServer.start(undefined, binary);
    await redis.kill(); // a port where nothing listens (yet)
    const early = await startPeer(redis.url, 'early');
    const clients: TestClient[] = [];
    try {
      const e1 = await TestClient.connect(early.port);
      const e2 = await TestClient.connect(early.port);
      clients.push(e1, e2);
      e1.ws.send(JSON.stringify({ sub: 'boot' })); // its 'subscribed' waits for Redis
      await sleep(100);
      await e2.request({ pub: 'boot', data: 'local only' }, 'published');
      const local = await until('local delivery without Redis', () => e1.messages()[0]);
      expect(local.data.toString()).toBe('local only');
      expect((await e2.request({ stats: true }, 'stats')).connected).toBe(false);

      await redis.start();
      await e1.reply('subscribed', 1, 15_000);
      const late = await startPeer(redis.url, 'late');
      try {
        const l1 = await TestClient.connect(late.port);
        clients.push(l1);
        await l1.request({ pub: 'boot', data: 'from the late peer' }, 'published');
        const crossed = await until('a message crossing', () => e1.messages()[1]);
        expect(crossed.data.toString()).toBe('from the late peer');
      } finally {
        await late.proc.stop();
      }
    } finally {
      for (const client of clients) client.close();
      await early.proc.stop();
      await redis.stop();
    }
  }, 40_000);
});
