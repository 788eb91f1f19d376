// RedisSessionStore with a real redis-server and real server processes: a reconnecting client
// (@strata-ws/reconnect) holds a resumable session on process A while a third process publishes
// numbered messages on two topics; A is killed (SIGKILL) or the client is moved, the client
// resumes on process B and gets exactly what it missed, in order, then the live messages:
// every message published (acknowledged by Redis) arrives once, nothing twice.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  ReconnectingWebSocket,
  type ReconnectingWebSocket as RWS,
} from '@strata-ws/reconnect/node';
import { NodeProcess, until } from '@strata-ws/test-support/procs';
import { RedisServer } from '@strata-ws/test-support/redis-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PEER = fileURLToPath(new URL('./fixtures/session-peer.mjs', import.meta.url));

interface Peer {
  proc: NodeProcess;
  port: number;
}

async function startPeer(url: string, name: string, env: Record<string, string> = {}) {
  const proc = new NodeProcess(PEER, { REDIS_URL: url, NAME: name, ...env });
  const port = (await proc.line('port', 30_000)).port as number;
  return { proc, port } satisfies Peer;
}

/** A resuming client whose URL provider points at `target.port`. */
function client(target: { port: number }) {
  const ws = new ReconnectingWebSocket(() => `ws://127.0.0.1:${target.port}/`, undefined, {
    resume: true,
    minReconnectionDelay: 20,
    maxReconnectionDelay: 100,
    connectionTimeout: 3000,
  });
  const received: string[] = [];
  const events: string[] = [];
  /** How many messages had arrived when each event fired (the last time it fired). */
  const at = new Map<string, number>();
  ws.addEventListener('message', (e) => received.push(String((e as MessageEvent).data)));
  for (const type of ['session', 'resumed', 'resync']) {
    ws.addEventListener(type, () => {
      events.push(type);
      at.set(type, received.length);
    });
  }
  return { ws, received, events, at };
}

/** Per `<origin>:<topic>`, the numbers received, in arrival order. */
function byStream(received: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const message of received) {
    const [origin, topic, n] = message.split(':');
    const key = `${origin}:${topic}`;
    const list = out.get(key) ?? [];
    list.push(Number(n));
    out.set(key, list);
  }
  return out;
}

/** Asserts each stream's numbers run from its first without a gap or a repeat, up to `last`. */
function expectContiguous(list: number[] | undefined, last: number): void {
  expect(list).toBeDefined();
  const first = list![0]!;
  expect(list).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
}

/** A TCP proxy to `port` that can stop passing the server's bytes on (the client then misses them). */
async function proxy(port: number) {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server: Server = createServer((down) => {
    const up = createConnection(port, '127.0.0.1');
    sockets.add(down).add(up);
    down.on('data', (chunk) => up.write(chunk));
    up.on('data', (chunk) => {
      if (!frozen) down.write(chunk);
    });
    for (const socket of [up, down])
      socket.on('error', () => {}).on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => {
      frozen = true;
    },
    cut: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisSessionStore: a session resumes on another process', () => {
  let redis: RedisServer;
  const peers: Peer[] = [];
  const sockets: RWS[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  }, 20_000);

  afterAll(async () => {
    for (const ws of sockets) ws.close();
    await Promise.all(peers.map((peer) => peer.proc.stop()));
    await redis?.stop();
  });

  const peer = async (name: string, env: Record<string, string> = {}) => {
    const started = await startPeer(redis.url, name, env);
    peers.push(started);
    return started;
  };

  /** A resuming client with a session on `a`, through a proxy (`viaProxy`) or directly. */
  const sessionOn = async (a: Peer, viaProxy: boolean) => {
    const toA = viaProxy ? await proxy(a.port) : null;
    const target = { port: toA?.port ?? a.port };
    const c = client(target);
    sockets.push(c.ws);
    await until('a session', () => (c.events.includes('session') ? true : undefined));
    return { toA: toA!, target, c };
  };

  it('process A is killed mid-stream: on B the client gets every missed message once, in order', async () => {
    const [a, b] = await Promise.all([peer('A'), peer('B')]);
    const { toA, target, c } = await sessionOn(a, true);
    const publisher = await peer('P', { PUBLISH_EVERY: '2' });
    await until('messages on A', () => (c.received.length > 100 ? true : undefined));
    // A goes on numbering and sending what the client will never see, then dies.
    toA.freeze();
    await settle(150);
    const missedAtA = c.received.length;
    target.port = b.port;
    a.proc.child.kill('SIGKILL'); // no close frame, no goodbye
    toA.cut();
    await until('resumed on B', () => (c.events.includes('resumed') ? true : undefined), 15_000);
    const atResume = c.received.length;
    expect(missedAtA).toBeLessThan(atResume); // some were replayed
    await until('live messages on B', () =>
      c.received.length > atResume + 100 ? true : undefined,
    );
    publisher.proc.child.kill('SIGUSR2');
    const done = (await publisher.proc.line('published')).published as {
      feed: number;
      news: number;
    };
    await until(
      'every message',
      () => {
        const streams = byStream(c.received);
        return streams.get('P:feed')?.at(-1) === done.feed &&
          streams.get('P:news')?.at(-1) === done.news
          ? true
          : undefined;
      },
      10_000,
    );
    await settle(200);
    expect(c.events).toEqual(['session', 'resumed']);
    const streams = byStream(c.received);
    expectContiguous(streams.get('P:feed'), done.feed);
    expectContiguous(streams.get('P:news'), done.news);
    expect(c.received).toHaveLength(new Set(c.received).size);
    c.ws.close();
  }, 60_000);

  it('the client is moved from A to B and back; own and excluded publishes stay exactly once', async () => {
    const [a, b] = await Promise.all([peer('A2'), peer('B2')]);
    const { target, c } = await sessionOn(a, false);
    const publisher = await peer('Q', { PUBLISH_EVERY: '3' });
    // Publishes from the session's own connection: one it receives, one it is excluded from.
    const sent: string[] = [];
    for (let i = 1; i <= 20; i++) {
      c.ws.send(JSON.stringify({ pub: 'feed', text: `self:feed:${i}` }));
      c.ws.send(JSON.stringify({ pub: 'news', text: `hidden:news:${i}`, excludeSelf: true }));
      sent.push(`self:feed:${i}`);
    }
    await until('own messages on A2', () =>
      sent.every((m) => c.received.includes(m)) ? true : undefined,
    );
    for (const port of [b.port, a.port]) {
      const before = c.received.length;
      await until('flowing', () => (c.received.length > before + 30 ? true : undefined));
      target.port = port;
      c.ws.reconnect(); // a clean close; the session resumes elsewhere
      await until('resumed', () =>
        c.events.filter((e) => e === 'resumed').length === (port === b.port ? 1 : 2)
          ? true
          : undefined,
      );
    }
    const before = c.received.length;
    await until('live again', () => (c.received.length > before + 30 ? true : undefined));
    publisher.proc.child.kill('SIGUSR2');
    const done = (await publisher.proc.line('published')).published as {
      feed: number;
      news: number;
    };
    await until('every message', () =>
      byStream(c.received).get('Q:news')?.at(-1) === done.news &&
      byStream(c.received).get('Q:feed')?.at(-1) === done.feed
        ? true
        : undefined,
    );
    await settle(200);
    expect(c.events).toEqual(['session', 'resumed', 'resumed']);
    const streams = byStream(c.received);
    expectContiguous(streams.get('Q:feed'), done.feed);
    expectContiguous(streams.get('Q:news'), done.news);
    expectContiguous(streams.get('self:feed'), 20);
    expect(streams.get('hidden:news')).toBeUndefined();
    expect(c.received).toHaveLength(new Set(c.received).size);
    c.ws.close();
  }, 60_000);

  it('a replay larger than maxReplayBytes is refused: the client is told to resync, then goes on live', async () => {
    // B3 replays at most ~25 messages of ~16 bytes (+64 each).
    const [a, b] = await Promise.all([peer('A3'), peer('B3', { REPLAY_MAX: '2048' })]);
    const { toA, target, c } = await sessionOn(a, true);
    const publisher = await peer('R', { PUBLISH_EVERY: '2' });
    await until('messages on A3', () => (c.received.length > 20 ? true : undefined));
    toA.freeze();
    await settle(400); // ~200 messages missed: far over 2048 bytes
    target.port = b.port;
    toA.cut();
    await until('resync on B3', () => (c.events.includes('resync') ? true : undefined), 15_000);
    const atResync = c.at.get('resync')!;
    await until('live on B3', () => (c.received.length > atResync + 50 ? true : undefined));
    publisher.proc.child.kill('SIGUSR2');
    expect(c.events).toEqual(['session', 'resync']);
    // Nothing was gap-filled silently: the numbers jump exactly where the resync was signalled.
    const before = byStream(c.received.slice(0, atResync)).get('R:feed')!;
    const after = byStream(c.received.slice(atResync)).get('R:feed')!;
    expect(after[0]! - before.at(-1)!).toBeGreaterThan(25);
    expectContiguous(after, after.at(-1)!);
    c.ws.close();
  }, 60_000);

  it('a client behind the part of the log trimmed by maxLogBytes: resync', async () => {
    const [a, b] = await Promise.all([peer('A6', { LOG_MAX: '4096' }), peer('B6')]);
    const { toA, target, c } = await sessionOn(a, true);
    const publisher = await peer('U', { PUBLISH_EVERY: '2' });
    await until('messages on A6', () => (c.received.length > 20 ? true : undefined));
    toA.freeze();
    await settle(600); // ~300 numbered and logged meanwhile: far more than 4 KiB of log
    target.port = b.port;
    toA.cut();
    await until('resync on B6', () => (c.events.includes('resync') ? true : undefined), 15_000);
    publisher.proc.child.kill('SIGUSR2');
    expect(c.events).toEqual(['session', 'resync']);
    c.ws.close();
  }, 60_000);

  it('a topic the client saw nothing of, trimmed meanwhile by streamMaxLength: resync, not a silent gap', async () => {
    const env = { PREFIX: 'trim:', STREAM_MAX: '50' }; // fresh, empty streams
    const [a, b] = await Promise.all([peer('A5', env), peer('B5', env)]);
    const { toA, target, c } = await sessionOn(a, true);
    toA.freeze(); // the client sees nothing from now on
    const publisher = await peer('T', { ...env, PUBLISH_EVERY: '1' });
    await settle(1000); // ~1000 messages: streams of ~50-150 entries, the first ones trimmed
    publisher.proc.child.kill('SIGUSR2');
    await publisher.proc.line('published');
    target.port = b.port;
    toA.cut();
    await until(
      'resync on B5',
      () => (c.events.includes('resync') ? true : undefined),
      15_000,
    ).catch((e) => {
      throw new Error(`${e} events=${c.events} received=${c.received.length}`);
    });
    expect(c.events).toEqual(['session', 'resync']);
    expect(c.received).toEqual([]);
    c.ws.close();
  }, 60_000);

  it('Redis frozen for longer than maxLogBytes of log: memory stays bounded, the session resyncs when it moves', async () => {
    const [a, b] = await Promise.all([peer('A4', { LOG_MAX: '4096' }), peer('B4')]);
    const { target, c } = await sessionOn(a, false);
    c.ws.send(JSON.stringify({ pub: 'feed', text: 'local:feed:1' }));
    await until('first', () => (c.received.length === 1 ? true : undefined));
    redis.freeze(true); // SIGSTOP: connections stay up, nothing is answered (a restart would lose the data)
    // Delivered locally while Redis is away: logged in memory until the bound, then given up.
    for (let i = 2; i <= 200; i++)
      c.ws.send(JSON.stringify({ pub: 'feed', text: `local:feed:${i}` }));
    await until('all local', () => (c.received.length === 200 ? true : undefined));
    redis.freeze(false);
    await settle(1000); // A4's XADDs are answered; it forgets the session in Redis
    target.port = b.port;
    c.ws.reconnect();
    await until('resync on B4', () => (c.events.includes('resync') ? true : undefined), 15_000);
    expect(c.events).toEqual(['session', 'resync']);
    expectContiguous(byStream(c.received).get('local:feed'), 200);
    c.ws.close();
  }, 60_000);
});
