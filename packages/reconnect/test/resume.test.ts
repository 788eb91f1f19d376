/**
 * Resumable sessions end to end (Strata server with `@strata-ws/reconnect/server`, a TCP proxy
 * that cuts or black-holes, `ReconnectingWebSocket` over @strata-ws/client): 10,000 numbered
 * topic messages across several disconnects arrive exactly once and in order; past the window
 * or the byte bound the client gets `resync`; a half-open connection is taken over; plain
 * clients see no envelope; memory is bounded and expired sessions are freed.
 */
import { WebSocket as StrataWebSocket } from '@strata-ws/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingWebSocket, type SessionEvent } from '../src/node.js';
import {
  createResumableServer,
  MemorySessionStore,
  ResumableSessions,
  ResumeSession,
} from '../src/server.js';
import { formatNotice } from '../src/wire.js';
import {
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

async function setup(
  resume: ConstructorParameters<typeof ResumableSessions>[0],
): Promise<{ s: TestServer; proxy: TcpProxy }> {
  const s = await startServer(resume, (ws) => ws.subscribe('feed'));
  cleanups.push(() => s.close());
  const proxy = await new TcpProxy(s.port).listen();
  cleanups.push(() => proxy.close());
  return { s, proxy };
}

function client(url: string, delay = 5): ReconnectingWebSocket {
  const ws = new ReconnectingWebSocket(url, undefined, {
    resume: true,
    minReconnectionDelay: delay,
    maxReconnectionDelay: delay,
    jitter: 'none',
  });
  cleanups.push(() => ws.close());
  return ws;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('resumable sessions', () => {
  it('10,000 topic messages across 5 disconnects: each exactly once, in order', async () => {
    const { s, proxy } = await setup({ windowMs: 10_000, maxBytes: 4 << 20 });
    const ws = client(proxy.url);
    ws.binaryType = 'arraybuffer';
    const received: number[] = [];
    ws.onmessage = (e) => {
      const data = (e as MessageEvent).data as string | ArrayBuffer;
      received.push(typeof data === 'string' ? Number(data) : new DataView(data).getUint32(0));
    };
    const resumed: SessionEvent[] = [];
    let replayed = 0; // messages the server had numbered that the client had not seen at resume
    ws.addEventListener('resumed', (e) => {
      resumed.push(e as SessionEvent);
      const serverSeq = Math.max(
        ...[...s.wss.clients].map((c) => s.sessions.sessionOf(c)?.seq ?? 0),
      );
      replayed += serverSeq - (e as SessionEvent).seq;
    });
    let resyncs = 0;
    ws.addEventListener('resync', () => resyncs++);
    await nextEvent(ws, 'session');
    const total = 10_000;
    for (let i = 1; i <= total; i++) {
      if (i % 3 === 0) {
        const bytes = new Uint8Array(4);
        new DataView(bytes.buffer).setUint32(0, i);
        s.wss.publish('feed', bytes);
      } else {
        s.wss.publish('feed', String(i));
      }
      if (i % 250 === 0) await tick();
      if (i % 2000 === 1000) {
        expect(proxy.cut()).toBe(1); // no close frame; the next messages are missed, then replayed
        for (let k = 0; k < 3; k++) await tick();
      }
      if (i % 2000 === 1500) await until(() => resumed.length === Math.ceil(i / 2000), 5000);
    }
    await until(() => received.length >= total && resumed.length === 5, 5000, 'all').catch((e) => {
      throw new Error(
        `${e.message}: got ${received.length}, resumed ${resumed.length}, state ${ws.readyState}, resyncs ${resyncs}, lastSeq ${ws.lastSeq}`,
      );
    });
    await new Promise((r) => setTimeout(r, 100)); // nothing more may come
    expect(received.length).toBe(total);
    expect(received.every((n, i) => n === i + 1)).toBe(true);
    expect(resumed.length).toBe(5);
    expect(resyncs).toBe(0);
    expect(replayed).toBeGreaterThan(500); // the cuts really lost messages in flight
    expect(ws.lastSeq).toBe(total);
    expect(s.sessions.sessionCount).toBe(1);
  }, 30_000);

  it('past the window the client is told to resynchronise, and what it missed never arrives', async () => {
    const clock = new ManualClock();
    const { s, proxy } = await setup({ windowMs: 1000, clock });
    const ws = client(proxy.url, 200);
    const received: string[] = [];
    ws.onmessage = (e) => received.push(String((e as MessageEvent).data));
    const first = await nextEvent<SessionEvent>(ws, 'session');
    s.wss.publish('feed', 'before');
    await until(() => received.length === 1);
    proxy.cut();
    await until(() => s.sessions.sessionCount === 1 && clock.pending.length === 1, 2000, 'detach');
    s.wss.publish('feed', 'missed'); // buffered for the session...
    clock.advance(1000); // ...which expires
    expect(s.sessions.sessionCount).toBe(0);
    expect(s.sessions.totalBytes).toBe(0);
    const resync = await nextEvent<SessionEvent>(ws, 'resync');
    expect(resync.reason).toBe('expired');
    expect(resync.sessionId).not.toBe(first.sessionId);
    expect(ws.lastSeq).toBe(0);
    s.wss.publish('feed', 'after'); // the app subscribed the new session again
    await until(() => received.length === 2);
    expect(received).toEqual(['before', 'after']);
  });

  it('past the byte bound the client is told to resynchronise', async () => {
    const { s, proxy } = await setup({ windowMs: 10_000, maxBytes: 1000 });
    const ws = client(proxy.url, 150);
    const received: string[] = [];
    ws.onmessage = (e) => received.push(String((e as MessageEvent).data));
    await nextEvent(ws, 'session');
    proxy.cut();
    await until(() => s.wss.clients.size === 0, 2000, 'server to notice');
    for (let i = 0; i < 20; i++) s.wss.publish('feed', 'x'.repeat(100)); // 20 * 164 > 1000
    expect(s.sessions.totalBytes).toBeLessThanOrEqual(1000);
    const resync = await nextEvent<SessionEvent>(ws, 'resync');
    expect(resync.reason).toBe('expired');
    expect(received).toEqual([]);
  });

  it('a half-open connection is taken over: reconnect() resumes and replays what went into the void', async () => {
    const { s, proxy } = await setup({ windowMs: 10_000 });
    const ws = client(proxy.url);
    const received: string[] = [];
    ws.onmessage = (e) => received.push(String((e as MessageEvent).data));
    await nextEvent(ws, 'session');
    s.wss.publish('feed', '1');
    await until(() => received.length === 1);
    proxy.freeze(); // nobody notices: the server keeps sending into the void
    s.wss.publish('feed', '2');
    s.wss.publish('feed', '3');
    await new Promise((r) => setTimeout(r, 30));
    expect(received).toEqual(['1']);
    const serverSide = [...s.wss.clients][0]!;
    ws.reconnect(); // its close frame goes into the void too
    await nextEvent(ws, 'resumed');
    s.wss.publish('feed', '4');
    await until(() => received.length === 4);
    expect(received).toEqual(['1', '2', '3', '4']);
    // the old connection was detached from the session and is closing (4001, into the void)
    expect(s.sessions.sessionOf(serverSide)).toBeUndefined();
    expect(serverSide.readyState).toBe(2);
  }, 10_000);

  it('direct sends are wrapped and unwrapped; subscriptions survive; text and binary keep their type', async () => {
    const { s, proxy } = await setup({ windowMs: 10_000 });
    s.wss.on('connection', (c) => {
      c.subscribe('extra');
      c.send('hello');
      c.send(new Uint8Array([7, 8]));
    });
    const ws = client(proxy.url);
    const received: unknown[] = [];
    ws.onmessage = async (e) => {
      const d = (e as MessageEvent).data;
      received.push(d instanceof Blob ? [...new Uint8Array(await d.arrayBuffer())] : d);
    };
    await until(() => received.length === 2);
    const serverSide = [...s.wss.clients][0]!;
    expect(serverSide.topics).toEqual(['feed', 'extra']);
    expect(serverSide.isSubscribed('extra')).toBe(true);
    expect(s.wss.subscriberCount('extra')).toBe(0); // held by the session, not the connection
    proxy.cut();
    await nextEvent(ws, 'resumed');
    s.wss.publish('extra', new Uint8Array([1]));
    await until(() => received.length >= 5);
    // the app's connection handler ran again ('hello' and [7, 8] again: direct, not replayed)
    expect(received).toEqual(['hello', [7, 8], 'hello', [7, 8], [1]]);
  });

  it('a plain client (no strata-resume) is unaffected: no envelope, its own subscriptions', async () => {
    const { s } = await setup({ windowMs: 10_000 });
    const plain = new StrataWebSocket(s.url);
    cleanups.push(() => plain.close());
    const got: string[] = [];
    plain.onmessage = (e) => got.push(String(e.data));
    await nextEvent(plain, 'open');
    s.wss.publish('feed', 'raw');
    await until(() => got.length === 1);
    expect(got).toEqual(['raw']);
    expect(s.sessions.sessionCount).toBe(0);
    expect(s.wss.subscriberCount('feed')).toBe(1);
  });

  it('memory: a total bound over all sessions evicts sessions without a client first', async () => {
    const clock = new ManualClock();
    const sessions = new ResumableSessions({
      windowMs: 60_000,
      maxBytes: 10_000,
      maxTotalBytes: 3000,
      clock,
    });
    // wired by hand: the sessions' adapter is the server's topics adapter
    const { WebSocketServer } = await import('@strata-ws/server');
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      heartbeatInterval: 0,
      topics: { adapter: sessions.adapter },
    });
    sessions.attach(wss);
    wss.on('connection', (c) => c.subscribe('feed'));
    cleanups.push(() => {
      sessions.close();
      return new Promise<void>((r) => wss.close(() => r()));
    });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
    const a = client(url);
    await nextEvent(a, 'session');
    a.close();
    await until(() => clock.pending.length === 1, 2000, 'a detached');
    const b = client(url);
    await nextEvent(b, 'session');
    expect(sessions.sessionCount).toBe(2);
    for (let i = 0; i < 30; i++) wss.publish('feed', 'y'.repeat(100)); // 30 * 164 per session
    expect(sessions.totalBytes).toBeLessThanOrEqual(3000);
    expect(sessions.sessionCount).toBe(1); // the detached one went first
    clock.advance(60_000);
    b.close();
    await until(() => clock.pending.length === 1, 2000, 'b detached');
    clock.advance(60_000);
    expect(sessions.sessionCount).toBe(0);
    expect(sessions.totalBytes).toBe(0);
  });

  it('a shared store (load) resumes a session on another server, with its replay and topics', async () => {
    const aStore = new MemorySessionStore();
    const a = await startServer({ windowMs: 10_000, store: aStore }, (c) => c.subscribe('feed'));
    cleanups.push(() => a.close());
    // B's store "deserialises" A's sessions, as a store shared across processes would
    class SharedStore extends MemorySessionStore {
      loads = 0;
      async load(id: string): Promise<ResumeSession | undefined> {
        this.loads++;
        await new Promise((r) => setTimeout(r, 5));
        const source = aStore.get(id);
        if (source === undefined) return undefined;
        const copy = new ResumeSession(id);
        copy.seq = source.seq;
        for (const topic of source.topics) copy.topics.add(topic);
        for (const message of source.after(0)) copy.push(message);
        return copy;
      }
    }
    const store = new SharedStore();
    const { wss: b, sessions: bSessions } = createResumableServer({
      port: 0,
      host: '127.0.0.1',
      heartbeatInterval: 0,
      resume: { windowMs: 10_000, store },
    });
    cleanups.push(() => {
      bSessions.close();
      return new Promise<void>((r) => b.close(() => r()));
    });
    await new Promise<void>((r) => b.once('listening', () => r()));
    const proxy = await new TcpProxy(a.port).listen();
    cleanups.push(() => proxy.close());
    const ws = client(proxy.url);
    const received: string[] = [];
    ws.onmessage = (e) => received.push(String((e as MessageEvent).data));
    await nextEvent(ws, 'session');
    a.wss.publish('feed', '1');
    await until(() => received.length === 1);
    proxy.target = (b.address() as { port: number }).port; // the next connection lands on B
    proxy.cut();
    await until(() => a.wss.clients.size === 0, 2000, 'A to notice');
    a.wss.publish('feed', '2'); // missed on A, buffered in the session B will load
    await nextEvent(ws, 'resumed');
    b.publish('feed', '3'); // B restored the session's subscription
    await until(() => received.length === 3);
    expect(received).toEqual(['1', '2', '3']);
    expect(store.loads).toBe(1);
    expect(bSessions.sessionCount).toBe(1);
  });

  it('maxSessions: with every session attached, a new one is refused with 1013 (try again later)', async () => {
    const { s } = await setup({ windowMs: 10_000, maxSessions: 1 });
    const first = client(s.url);
    await nextEvent(first, 'session');
    const second = new StrataWebSocket(`${s.url}?strata-resume=new`);
    cleanups.push(() => second.close());
    const close = await nextEvent<Event & { code: number }>(second, 'close');
    expect(close.code).toBe(1013);
    expect(s.sessions.sessionCount).toBe(1);
  });

  it('client side: a repeated number is dropped, a skipped one fires resync (gap), never silent', async () => {
    const { WebSocketServer } = await import('@strata-ws/server');
    const raw = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
    cleanups.push(() => new Promise<void>((r) => raw.close(() => r())));
    raw.on('connection', (c) => {
      // a hand-written resume stream: notice, 1, 1 again, 3 (2 is missing), a direct message
      c.send(formatNotice({ v: 1, id: 'B'.repeat(22), resumed: false, resync: false, seq: 0 }));
      for (const m of ['m1:a', 'm1:a', 'm3:c', 'd:direct']) c.send(m);
    });
    await new Promise<void>((r) => raw.once('listening', () => r()));
    const ws = client(`ws://127.0.0.1:${(raw.address() as { port: number }).port}/`);
    const events: string[] = [];
    ws.onmessage = (e) => events.push(`message ${(e as MessageEvent).data}`);
    ws.addEventListener('resync', (e) => events.push(`resync ${(e as SessionEvent).reason}`));
    ws.addEventListener('session', () => events.push('session'));
    await until(() => events.length === 5);
    expect(events).toEqual(['session', 'message a', 'resync gap', 'message c', 'message direct']);
    expect(ws.lastSeq).toBe(3);
  });
});
