/**
 * The reconnect loop over real sockets (Strata server on 127.0.0.1, @strata-ws/client): delays
 * asserted on a manual clock, the maxRetries end state and a later reconnect(), the bounded
 * queue (order, drop events), a TCP cut without a close frame, a black-holed network only the
 * connection timeout notices, handshakes refused with 503/401 then accepted.
 */
import { WebSocket as StrataWebSocket } from '@strata-ws/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DropEvent,
  type GiveUpEvent,
  type ReconnectCloseEvent,
  type ReconnectingEvent,
  ReconnectingWebSocket,
} from '../src/node.js';
import {
  freePort,
  ManualClock,
  nextEvent,
  startServer,
  TcpProxy,
  type TestServer,
  until,
} from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

// Nothing may escape as an unhandled error: timeouts, refused handshakes, cut sockets and
// failing providers are all ordinary events.
const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);
beforeAll(() => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
});
afterAll(() => {
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
  expect(escaped).toEqual([]);
});

async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  cleanups.push(() => s.close());
  return s;
}

function track(ws: ReconnectingWebSocket): ReconnectingWebSocket {
  cleanups.push(() => ws.close());
  return ws;
}

function log(ws: ReconnectingWebSocket): string[] {
  const events: string[] = [];
  for (const type of ['open', 'close', 'error', 'reconnecting', 'giveup', 'drop']) {
    ws.addEventListener(type, (e) => {
      if (type === 'close') events.push(`close ${(e as ReconnectCloseEvent).code}`);
      else if (type === 'reconnecting') {
        const r = e as ReconnectingEvent;
        events.push(`reconnecting ${r.attempt} ${r.delay}`);
      } else if (type === 'giveup') events.push(`giveup ${(e as GiveUpEvent).reason}`);
      else events.push(type);
    });
  }
  return events;
}

describe('backoff on a manual clock', () => {
  it('waits min * grow^(n-1) capped at max, gives up after maxRetries, and reconnect() starts again', async () => {
    const clock = new ManualClock();
    const port = await freePort();
    const ws = track(
      new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, undefined, {
        clock,
        jitter: 'none',
        minReconnectionDelay: 1000,
        reconnectionDelayGrowFactor: 1.5,
        maxReconnectionDelay: 2000,
        maxRetries: 3,
      }),
    );
    const events = log(ws);
    await nextEvent(ws, 'reconnecting');
    expect(events).toEqual(['error', 'close 1006', 'reconnecting 1 1000']);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    clock.advance(999);
    await new Promise((r) => setTimeout(r, 50));
    expect(events.length).toBe(3); // nothing before the delay is over
    clock.advance(1);
    await nextEvent(ws, 'reconnecting');
    clock.advance(1500);
    await nextEvent(ws, 'reconnecting');
    clock.advance(2000);
    await nextEvent(ws, 'giveup');
    expect(events.filter((e) => e.startsWith('reconnecting') || e.startsWith('giveup'))).toEqual([
      'reconnecting 1 1000',
      'reconnecting 2 1500',
      'reconnecting 3 2000',
      'giveup maxRetries',
    ]);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(ws.retryCount).toBe(3);
    expect(clock.pending).toEqual([]); // no timer left behind: nothing runs any more
    // not stuck: reconnect() works once the server is there
    await server({}, undefined, port);
    ws.reconnect();
    await nextEvent(ws, 'open');
    expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
    expect(ws.retryCount).toBe(0);
  });

  it('full jitter: a uniformly random wait in [0, delay] from the injected random', async () => {
    const clock = new ManualClock();
    const port = await freePort();
    const randoms = [0.5, 0.25, 0.999];
    const ws = track(
      new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, undefined, {
        clock,
        random: () => randoms.shift() ?? 0,
        minReconnectionDelay: 1000,
        reconnectionDelayGrowFactor: 2,
        maxReconnectionDelay: 3000,
      }),
    );
    const delays: number[] = [];
    ws.addEventListener('reconnecting', (e) => delays.push((e as ReconnectingEvent).delay));
    await nextEvent(ws, 'reconnecting');
    clock.advance(500);
    await nextEvent(ws, 'reconnecting');
    clock.advance(500);
    await nextEvent(ws, 'reconnecting');
    expect(delays).toEqual([500, 500, 2997]); // 0.5*1000, 0.25*2000, 0.999*3000 (capped)
  });

  it('resets the retry count after minUptime open', async () => {
    const clock = new ManualClock();
    const s = await server();
    const ws = track(
      new ReconnectingWebSocket(s.url, undefined, { clock, jitter: 'none', minUptime: 100 }),
    );
    await nextEvent(ws, 'open');
    for (const c of s.wss.clients) c.terminate();
    const r1 = await nextEvent<ReconnectingEvent>(ws, 'reconnecting');
    expect([r1.attempt, r1.delay]).toEqual([1, 1000]);
    clock.advance(1000);
    await nextEvent(ws, 'open');
    for (const c of s.wss.clients) c.terminate(); // before minUptime: the count goes on
    const r2 = await nextEvent<ReconnectingEvent>(ws, 'reconnecting');
    expect([r2.attempt, r2.delay]).toEqual([2, 1300]);
    clock.advance(1300);
    await nextEvent(ws, 'open');
    clock.advance(100); // minUptime reached
    expect(ws.retryCount).toBe(0);
  });
});

describe('the send queue', () => {
  it('queues while down within the bounds, reports what it drops, flushes in order', async () => {
    const port = await freePort();
    const ws = track(
      new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, undefined, {
        startClosed: true,
        maxEnqueuedMessages: 4,
        maxEnqueuedBytes: 20,
      }),
    );
    const drops: [unknown, number][] = [];
    ws.addEventListener('drop', (e) => drops.push([(e as DropEvent).data, (e as DropEvent).size]));
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    ws.send('one');
    ws.send(new Uint8Array([1, 2, 3]));
    ws.send('ééé'); // 6 UTF-8 bytes
    ws.send('this is too long'); // 16 bytes: 3 + 3 + 6 + 16 > 20
    ws.send('four');
    ws.send('five'); // the fifth message: over maxEnqueuedMessages
    expect(drops).toEqual([
      ['this is too long', 16],
      ['five', 4],
    ]);
    expect(ws.bufferedAmount).toBe(16);
    const received: string[] = [];
    await server(
      {},
      (c) => c.on('message', (d, b) => received.push(b ? `bin ${[...d]}` : `${d}`)),
      port,
    );
    ws.reconnect();
    await nextEvent(ws, 'open');
    expect(ws.bufferedAmount).toBe(0);
    await until(() => received.length === 4);
    expect(received).toEqual(['one', 'bin 1,2,3', 'ééé', 'four']);
  });

  it('messages sent while a cut connection is down arrive once, in order, after the reconnect', async () => {
    const received: string[] = [];
    const s = await server({}, (c) => c.on('message', (d) => received.push(`${d}`)));
    const proxy = await new TcpProxy(s.port).listen();
    cleanups.push(() => proxy.close());
    const ws = track(
      new ReconnectingWebSocket(proxy.url, undefined, {
        minReconnectionDelay: 100,
        jitter: 'none',
      }),
    );
    const events = log(ws);
    await nextEvent(ws, 'open');
    ws.send('a');
    await until(() => received.length === 1);
    proxy.cut(); // TCP ends, no close frame
    await nextEvent(ws, 'reconnecting');
    expect(events).toContain('close 1006');
    ws.send('b');
    ws.send('c');
    await nextEvent(ws, 'open');
    ws.send('d');
    await until(() => received.length === 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('dead networks and refusals', () => {
  it('a black-holed network: only the connection timeout notices, then it recovers', async () => {
    const s = await server();
    const proxy = await new TcpProxy(s.port).listen();
    cleanups.push(() => proxy.close());
    proxy.blackhole(true);
    const ws = track(
      new ReconnectingWebSocket(proxy.url, undefined, {
        connectionTimeout: 150,
        minReconnectionDelay: 50,
        jitter: 'none',
      }),
    );
    const closes: ReconnectCloseEvent[] = [];
    ws.addEventListener('close', (e) => closes.push(e as ReconnectCloseEvent));
    const events = log(ws);
    await nextEvent(ws, 'reconnecting');
    expect(events).toEqual(['error', 'close 1006', 'reconnecting 1 50']);
    expect(closes[0]!.reason).toBe('connection timeout');
    expect(proxy.accepted).toBe(1); // TCP was accepted: no RST, nothing but silence
    await nextEvent(ws, 'reconnecting'); // the second attempt times out as well
    proxy.blackhole(false);
    await nextEvent(ws, 'open', 3000);
    expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
  });

  it('503 twice, then accepted: retries with fresh URLs from the provider', async () => {
    let attempts = 0;
    const seenUrls: string[] = [];
    const { createResumableServer } = await import('../src/server.js');
    const { wss } = createResumableServer({
      port: 0,
      host: '127.0.0.1',
      heartbeatInterval: 0,
      protocols: ['chat'], // the server selects a subprotocol only when configured
      resume: {},
      authenticate: (req) => {
        seenUrls.push(req.url ?? '');
        attempts++;
        return attempts <= 2 ? { reject: { status: 503 } } : true;
      },
    });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    let token = 0;
    const ws = track(
      new ReconnectingWebSocket(
        async () => `ws://127.0.0.1:${port}/?token=${++token}`,
        () => ['chat'],
        { minReconnectionDelay: 10, jitter: 'none', WebSocket: StrataWebSocket },
      ),
    );
    const events = log(ws);
    await nextEvent(ws, 'open');
    expect(events).toEqual([
      'error',
      'close 1006',
      'reconnecting 1 10',
      'error',
      'close 1006',
      'reconnecting 2 13',
      'open',
    ]);
    expect(seenUrls).toEqual(['/?token=1', '/?token=2', '/?token=3']);
    expect(ws.url).toBe(`ws://127.0.0.1:${port}/?token=3`);
  });

  it('401 with a stale token: shouldReconnect decides; the next attempt carries a fresh token', async () => {
    const { createResumableServer } = await import('../src/server.js');
    const { wss } = createResumableServer({
      port: 0,
      host: '127.0.0.1',
      heartbeatInterval: 0,
      resume: {},
      authenticate: (req) =>
        req.url?.includes('token=fresh') ? true : { reject: { status: 401, body: 'stale token' } },
    });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    const tokens = ['stale', 'fresh'];
    const infos: unknown[] = [];
    const ws = track(
      new ReconnectingWebSocket(() => `ws://127.0.0.1:${port}/?token=${tokens.shift()}`, [], {
        minReconnectionDelay: 10,
        shouldReconnect: (event, info) => {
          infos.push({
            code: event.code,
            opened: info.opened,
            attempt: info.attempt,
            status: info.status,
          });
          return true;
        },
      }),
    );
    await nextEvent(ws, 'open');
    // @strata-ws/client puts the refused handshake's status on its error event
    expect(infos).toEqual([{ code: 1006, opened: false, attempt: 1, status: 401 }]);
  });

  it('by default a 4xx handshake is not retried, a 503 is', async () => {
    const { createResumableServer } = await import('../src/server.js');
    let attempts = 0;
    const { wss } = createResumableServer({
      port: 0,
      host: '127.0.0.1',
      heartbeatInterval: 0,
      resume: {},
      authenticate: () => ({ reject: { status: ++attempts === 1 ? 503 : 403 } }),
    });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    const ws = track(
      new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, undefined, {
        minReconnectionDelay: 10,
        jitter: 'none',
      }),
    );
    const events = log(ws);
    await nextEvent(ws, 'giveup');
    expect(events).toEqual([
      'error',
      'close 1006',
      'reconnecting 1 10',
      'error',
      'close 1006',
      'giveup shouldReconnect',
    ]);
    expect(attempts).toBe(2);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  it('gives up after a 1008 close by default (policy violation), without throwing', async () => {
    const s = await server({}, (c) => c.close(1008, 'banned'));
    const ws = track(new ReconnectingWebSocket(s.url, undefined, { minReconnectionDelay: 10 }));
    const events = log(ws);
    await nextEvent(ws, 'giveup');
    expect(events).toEqual(['open', 'close 1008', 'giveup shouldReconnect']);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  it('close() while waiting to retry stops everything; close() while open closes cleanly', async () => {
    const port = await freePort();
    const clock = new ManualClock();
    const ws = new ReconnectingWebSocket(`ws://127.0.0.1:${port}/`, undefined, { clock });
    await nextEvent(ws, 'reconnecting');
    ws.close();
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(clock.pending).toEqual([]);
    const s = await server();
    const ws2 = new ReconnectingWebSocket(s.url);
    await nextEvent(ws2, 'open');
    ws2.close(1000, 'bye');
    expect(ws2.readyState).toBe(ReconnectingWebSocket.CLOSING);
    const close = await nextEvent<ReconnectCloseEvent>(ws2, 'close');
    expect([close.code, close.wasClean]).toEqual([1000, true]); // the server's reply frame
    expect(ws2.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  it('a URL provider that throws or rejects counts as a failed attempt, never an unhandled error', async () => {
    const s = await server();
    let calls = 0;
    const ws = track(
      new ReconnectingWebSocket(
        () => {
          calls++;
          if (calls === 1) throw new Error('no token yet');
          if (calls === 2) return Promise.reject(new Error('token service down'));
          return s.url;
        },
        undefined,
        { minReconnectionDelay: 5, jitter: 'none' },
      ),
    );
    const events = log(ws);
    await nextEvent(ws, 'open');
    expect(events).toEqual([
      'error',
      'close 1006',
      'reconnecting 1 5',
      'error',
      'close 1006',
      'reconnecting 2 6.5',
      'open',
    ]);
  });
});

describe('re-entrancy', () => {
  it('reconnect() from a close listener starts exactly one new attempt', async () => {
    const s = await server();
    const ws = track(new ReconnectingWebSocket(s.url, undefined, { minReconnectionDelay: 10_000 }));
    await nextEvent(ws, 'open');
    let opens = 0;
    ws.addEventListener('open', () => opens++);
    ws.addEventListener('close', () => ws.reconnect(), { once: true });
    const reconnecting: number[] = [];
    ws.addEventListener('reconnecting', (e) => reconnecting.push((e as ReconnectingEvent).delay));
    for (const c of s.wss.clients) c.terminate();
    await until(() => opens === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(opens).toBe(1);
    expect(reconnecting).toEqual([]); // no backoff timer was armed beside the listener's attempt
    expect(s.wss.clients.size).toBe(1);
  });
});
