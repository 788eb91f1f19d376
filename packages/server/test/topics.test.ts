/**
 * Topics through the real server: subscribe/publish on connections and on the server, one
 * frame for all subscribers, one write per socket per tick, shared compression for peers
 * without server context takeover, and slow subscribers under the backpressure policy.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type LocalDelivery,
  type PubSubAdapter,
  type PubSubMessage,
  type ServerWebSocket,
  type TopicSubscriber,
  WebSocketServer,
  type WebSocketServerOptions,
} from '../src/index.js';

let server: WebSocketServer | undefined;
const clients: Array<{ terminate(): void } | Socket> = [];
afterEach(async () => {
  for (const c of clients.splice(0)) 'terminate' in c ? c.terminate() : c.destroy();
  const wss = server;
  server = undefined;
  if (wss) {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
});

async function start(options: Partial<WebSocketServerOptions> = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0, ...options });
  server = wss;
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  return { wss, port, url: `ws://127.0.0.1:${port}/` };
}

/** Opens a ws client and returns it with its server-side connection. */
async function pair(wss: WebSocketServer, url: string, options?: WebSocket.ClientOptions) {
  const serverSide = once(wss, 'connection');
  const client = new WebSocket(url, options);
  clients.push(client);
  await once(client, 'open');
  const [ws] = (await serverSide) as [ServerWebSocket];
  const received: string[] = [];
  client.on('message', (data) => received.push(String(data)));
  return { client, ws, received };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('topics on the server', () => {
  it('subscribe / publish / unsubscribe, on connections and on the server', async () => {
    const { wss, url } = await start();
    const a = await pair(wss, url);
    const b = await pair(wss, url);
    const c = await pair(wss, url);
    expect(a.ws.subscribe('news')).toBe(true);
    expect(a.ws.subscribe('news')).toBe(false);
    b.ws.subscribe('news');
    b.ws.subscribe('sport');
    expect(b.ws.topics).toEqual(['news', 'sport']);
    expect(a.ws.isSubscribed('sport')).toBe(false);
    expect(wss.subscriberCount('news')).toBe(2);
    expect(wss.topics).toEqual(['news', 'sport']);

    expect(wss.publish('news', 'n1')).toBe(2);
    expect(b.ws.publish('news', 'from b', { excludeSelf: true })).toBe(1);
    expect(b.ws.publish('sport', 's1')).toBe(1); // the sender is included by default
    expect(c.ws.publish('news', 'from c')).toBe(2); // publishing needs no subscription
    await until(() => a.received.length === 3 && b.received.length === 3);
    expect(a.received).toEqual(['n1', 'from b', 'from c']);
    expect(b.received).toEqual(['n1', 's1', 'from c']);
    expect(c.received).toEqual([]);

    a.ws.unsubscribe('news');
    expect(wss.publish('news', 'n2')).toBe(1);
    await until(() => b.received.length === 4);
    expect(a.received).toHaveLength(3);
  });

  it('a closed connection leaves all its topics (and cannot subscribe again)', async () => {
    const { wss, url } = await start();
    const a = await pair(wss, url);
    a.ws.subscribe('x');
    a.ws.subscribe('y');
    a.client.close();
    await once(a.ws, 'close');
    expect(wss.subscriberCount('x')).toBe(0);
    expect(wss.topics).toEqual([]);
    expect(a.ws.subscribe('x')).toBe(false);
    expect(wss.publish('x', 'nobody')).toBe(0);
  });

  it('a burst of publishes leaves each socket in one vectored write per tick', async () => {
    const { wss, url } = await start();
    const subs = [await pair(wss, url), await pair(wss, url), await pair(wss, url)];
    const writes: number[][] = subs.map(() => []);
    subs.forEach(({ ws }, i) => {
      ws.subscribe('burst');
      const socket = ws.socket as Socket & {
        _writev(chunks: unknown[], cb: () => void): void;
        _write(chunk: unknown, enc: string, cb: () => void): void;
      };
      const writev = socket._writev.bind(socket);
      const write = socket._write.bind(socket);
      socket._writev = (chunks, cb) => {
        writes[i]!.push(chunks.length);
        writev(chunks, cb);
      };
      socket._write = (chunk, enc, cb) => {
        writes[i]!.push(1);
        write(chunk, enc, cb);
      };
    });
    for (let n = 0; n < 100; n++) wss.publish('burst', `m${n}`);
    await until(() => subs.every((s) => s.received.length === 100));
    for (let i = 0; i < subs.length; i++) {
      expect(subs[i]!.received).toEqual(Array.from({ length: 100 }, (_, n) => `m${n}`));
      expect(writes[i]).toEqual([100]); // 100 frames, one writev, one syscall
    }
    expect(wss.counters.messagesSent).toBe(300);
  });

  it('compresses a published message once for peers without server context takeover (RFC 7692 §7.1.1.1)', async () => {
    // The server keeps its context unless a client asks otherwise (the default is no
    // context takeover for everyone).
    const { wss, url } = await start({
      perMessageDeflate: { threshold: 0, serverNoContextTakeover: false },
    });
    const noTakeover = await pair(wss, url, {
      perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 },
    });
    const takeover = await pair(wss, url, { perMessageDeflate: { threshold: 0 } });
    const plain = await pair(wss, url, { perMessageDeflate: false });
    expect(noTakeover.ws.sharedDeflateWindowBits).toBe(15);
    expect(takeover.ws.sharedDeflateWindowBits).toBe(0);
    const wire = new Map<ServerWebSocket, number>();
    for (const s of [noTakeover, takeover, plain]) {
      s.ws.subscribe('big');
      const socket = s.ws.socket;
      const write = socket.write.bind(socket) as (chunk: Uint8Array, cb?: () => void) => boolean;
      wire.set(s.ws, 0);
      (socket as unknown as { write: typeof write }).write = (chunk, cb) => {
        wire.set(s.ws, wire.get(s.ws)! + chunk.byteLength);
        return write(chunk, cb);
      };
    }
    const message = JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ id: i, kind: 'row' })));
    wss.publish('big', message);
    wss.publish('big', message);
    await until(() => [noTakeover, takeover, plain].every((s) => s.received.length === 2));
    for (const s of [noTakeover, takeover, plain]) expect(s.received).toEqual([message, message]);
    // Compressed on the wire for the peer that allows shared frames; the others get the
    // uncompressed frame (no per-subscriber compression).
    expect(wire.get(noTakeover.ws)!).toBeLessThan(message.length / 4);
    expect(wire.get(takeover.ws)!).toBeGreaterThan(2 * message.length);
    expect(wire.get(plain.ws)!).toBeGreaterThan(2 * message.length);
  });

  it('a subscriber that does not read is closed by the backpressure policy; the others get everything', async () => {
    const { wss, port, url } = await start({
      maxBufferedAmount: 256 * 1024,
      highWaterMark: 64 * 1024,
      closeTimeout: 200,
    });
    const fast = await pair(wss, url);
    fast.ws.subscribe('feed');
    // A raw client that completes the handshake and then never reads.
    const connected = once(wss, 'connection');
    const slow = connect(port, '127.0.0.1');
    clients.push(slow);
    slow.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [slowWs] = (await connected) as [ServerWebSocket];
    slow.pause();
    slowWs.subscribe('feed');
    const slowClosed = once(slowWs, 'close');
    const chunk = 'x'.repeat(16 * 1024);
    let published = 0;
    while (slowWs.readyState === 1 && published < 5000) {
      wss.publish('feed', chunk);
      published++;
      if (published % 8 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(slowWs.readyState).not.toBe(1); // closing with 1008, then destroyed after closeTimeout
    await slowClosed;
    expect(wss.subscriberCount('feed')).toBe(1);
    // Memory stayed bounded: what was queued for the slow peer never went far past the limit.
    expect(published).toBeLessThan(5000);
    await until(() => fast.received.length === published);
  });

  it('a pub/sub adapter carries publishes between servers (as it would between processes)', async () => {
    /** Joins servers like a message bus would: every publish also reaches the others. */
    const bus: BusAdapter[] = [];
    class BusAdapter implements PubSubAdapter {
      deliver: LocalDelivery | null = null;
      readonly interest = new Set<string>();
      closed = false;
      attach(deliverLocally: LocalDelivery): void {
        this.deliver = deliverLocally;
        bus.push(this);
      }
      publish(topic: string, message: PubSubMessage, exclude: TopicSubscriber | undefined): number {
        for (const other of bus) {
          if (other !== this && other.interest.has(topic))
            other.deliver!(topic, message, undefined);
        }
        return this.deliver!(topic, message, exclude);
      }
      topicOpened(topic: string): void {
        this.interest.add(topic);
      }
      topicClosed(topic: string): void {
        this.interest.delete(topic);
      }
      close(): void {
        this.closed = true;
      }
    }
    const adapterA = new BusAdapter();
    const a = await start({ topics: { adapter: adapterA } });
    server = undefined; // closed below
    const b = await start({ topics: { adapter: new BusAdapter() } });
    const onA = await pair(a.wss, a.url);
    const onB = await pair(b.wss, b.url);
    onA.ws.subscribe('chat');
    onB.ws.subscribe('chat');
    expect(onA.ws.publish('chat', 'from a', { excludeSelf: true })).toBe(0);
    b.wss.publish('chat', 'from b');
    await until(() => onA.received.length === 1 && onB.received.length === 2);
    expect(onA.received).toEqual(['from b']);
    expect(onB.received).toEqual(['from a', 'from b']);
    onB.client.close();
    await once(onB.ws, 'close');
    expect([...bus[1]!.interest]).toEqual([]); // the last subscriber left: interest withdrawn
    const result = await a.wss.shutdown({ timeout: 1000 });
    expect(result.closed).toBe(1);
    expect(adapterA.closed).toBe(true);
  });
});
