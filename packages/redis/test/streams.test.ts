// RedisAdapter in Streams mode (at-least-once) with a real redis-server and real server
// processes: every message arrives, in order; messages published while Redis restarts arrive
// once it is back (the publisher's bounded queue holds them, the reader goes on from its last
// id); readSince replays a topic from an id for a client resuming on another process, and
// tells when trimming (streamMaxLength) left a gap.
import { fileURLToPath } from 'node:url';
import type { BusCountersSnapshot } from '@strata-ws/cluster';
import { NodeProcess, TestClient, until } from '@strata-ws/test-support/procs';
import { RedisServer, redisServerBinaries } from '@strata-ws/test-support/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PEER = fileURLToPath(new URL('./fixtures/redis-peer.mjs', import.meta.url));

interface Peer {
  proc: NodeProcess;
  port: number;
}

async function startPeer(
  url: string,
  name: string,
  env: Record<string, string> = {},
): Promise<Peer> {
  const proc = new NodeProcess(PEER, { REDIS_URL: url, NAME: name, BUS_MODE: 'streams', ...env });
  const port = (await proc.line('port', 30_000)).port as number;
  return { proc, port };
}

const numbers = (client: TestClient) => client.messages().map((f) => f.data.readUInt32BE(0));

describe.each(redisServerBinaries())(
  'RedisAdapter, streams mode, real processes and a real Redis (%s)',
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
      [a, b] = await Promise.all([startPeer(redis.url, 'A'), startPeer(redis.url, 'B')]);
    }, 40_000);

    afterAll(async () => {
      for (const client of clients) client.close();
      await Promise.all([a?.proc.stop(), b?.proc.stop()]);
      await redis?.stop();
    });

    it('delivers every message once, in order, across processes; own entries are not redelivered', async () => {
      const a1 = await connect(a);
      const b1 = await connect(b);
      await b1.request({ sub: 'feed' }, 'subscribed');
      await a1.request({ sub: 'feed' }, 'subscribed');
      await a1.request({ burst: 300, topic: 'feed', size: 64 }, 'burst');
      await until('300 at B', () => (b1.messages().length >= 300 ? true : undefined), 15_000);
      expect(numbers(b1)).toEqual([...Array(300).keys()]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(a1.messages()).toHaveLength(300); // local delivery only, not again from the stream
      const sa = (await a1.request({ stats: true }, 'stats')).stats as BusCountersSnapshot;
      expect(sa.ownDropped).toBe(300);
      expect(sa.received).toBe(0);
    });

    it('messages published while Redis restarts arrive once it is back', async () => {
      const a1 = await connect(a);
      const b1 = await connect(b);
      await b1.request({ sub: 'durable' }, 'subscribed');
      await a1.request(
        { pub: 'durable', data: Buffer.alloc(4).toString('base64'), binary: true },
        'published',
      );
      await until('first message', () => b1.messages()[0]);

      await redis.kill();
      await until('A sees Redis gone', async () =>
        (await a1.request({ stats: true }, 'stats')).connected ? undefined : true,
      );
      const during = (await a1.request({ burst: 50, topic: 'durable', size: 32 }, 'burst'))
        .burst as BusCountersSnapshot;
      expect(during.droppedQueueFull).toBe(0);
      await redis.start();
      await until(
        'the 50 messages at B',
        () => (new Set(numbers(b1).slice(1)).size >= 50 ? true : undefined),
        20_000,
      );
      const got = numbers(b1).slice(1);
      expect(new Set(got)).toEqual(new Set([...Array(50).keys()]));
      // In order (a message may repeat: at-least-once).
      expect(got.filter((n, i) => i === 0 || n !== got[i - 1])).toEqual([...Array(50).keys()]);
    }, 40_000);

    it('readSince replays a topic after an id on another process', async () => {
      const a1 = await connect(a);
      const b1 = await connect(b);
      for (const text of ['one', 'two', 'three', 'four']) {
        await a1.request({ pub: 'resume', data: text }, 'published');
      }
      const all = await until('4 entries', async () => {
        const reply = await b1.request({ replay: 'resume', after: '0-0' }, 'replayed');
        const entries = reply.replayed as { id: string; data: string }[];
        return entries.length === 4 ? entries : undefined;
      });
      expect(all.map((e) => e.data)).toEqual(['one', 'two', 'three', 'four']);
      const rest = await b1.request({ replay: 'resume', after: all[1]?.id }, 'replayed');
      expect((rest.replayed as { data: string }[]).map((e) => e.data)).toEqual(['three', 'four']);
      expect(rest.gap).toBe(false);
    });

    it('readSince reports a gap when entries after the id were trimmed (streamMaxLength)', async () => {
      const c = await startPeer(redis.url, 'C', { STREAM_MAX: '10' });
      try {
        const c1 = await TestClient.connect(c.port);
        clients.push(c1);
        await c1.request({ pub: 'trim', data: 'first' }, 'published');
        const first = await until('first entry', async () => {
          const reply = await c1.request({ replay: 'trim', after: '0-0' }, 'replayed');
          return (reply.replayed as { id: string }[])[0];
        });
        await c1.request({ burst: 400, topic: 'trim', size: 8 }, 'burst');
        await until('the burst in Redis', async () => {
          const now = (await c1.request({ stats: true }, 'stats')).stats as BusCountersSnapshot;
          return now.queuedBytes === 0 ? true : undefined;
        });
        const replay = await until('trimmed', async () => {
          const reply = await c1.request({ replay: 'trim', after: first.id }, 'replayed');
          return reply.gap === true ? reply : undefined;
        });
        expect((replay.replayed as unknown[]).length).toBeLessThan(400);
        const counted = (await c1.request({ stats: true }, 'stats')).stats as BusCountersSnapshot;
        expect(counted.trimmed).toBeGreaterThanOrEqual(1);
        const tail = replay.replayed as { id: string }[];
        const lastButOne = tail.at(-2)?.id;
        const end = await c1.request({ replay: 'trim', after: lastButOne }, 'replayed');
        expect(end.gap).toBe(false);
        expect(end.replayed).toHaveLength(1);
      } finally {
        await c.proc.stop();
      }
    });
  },
);
