/**
 * Topics through the real server: subscribe/publish on connections and on the server, one
 * frame for all subscribers, one write per socket per tick, shared compression for peers
 * without server context takeover, and slow subscribers under the backpressure policy.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { inflateRawSync, constants as zlibConstants } from 'node:zlib';
import {
  createPerMessageDeflate,
  type PerMessageDeflate,
} from '@strata-ws/permessage-deflate/node';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  InProcessAdapter,
  type LocalDelivery,
  type PreparedMessage,
  type PubSubAdapter,
  type PubSubMessage,
  type ServerWebSocket,
  TopicRegistry,
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

  it('compresses a published message once for every compressing peer (RFC 7692 §7.1.1.1)', async () => {
    // The server keeps its context unless a client asks otherwise (the default now keeps
    // the server context); a fresh-context frame decodes with or without takeover.
    const { wss, url } = await start({
      perMessageDeflate: { threshold: 0, serverNoContextTakeover: false },
    });
    const noTakeover = await pair(wss, url, {
      perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 },
    });
    const takeover = await pair(wss, url, { perMessageDeflate: { threshold: 0 } });
    const plain = await pair(wss, url, { perMessageDeflate: false });
    expect(noTakeover.ws.sharedDeflateWindowBits).toBe(15);
    expect(takeover.ws.sharedDeflateWindowBits).toBe(15);
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
    // Compressed on the wire for the peers that negotiated compression; the plain peer gets
    // the uncompressed frame (no per-subscriber compression).
    expect(wire.get(noTakeover.ws)!).toBeLessThan(message.length / 4);
    expect(wire.get(takeover.ws)!).toBeLessThan(message.length / 4);
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

// ---- the registry alone (no sockets): subscriptions, one prepared message per publish ----

/** What a subscriber's engine would write for a prepared message. */
interface RecordedFrame {
  readonly bytes: Uint8Array;
  readonly compressed: boolean;
  readonly data: Uint8Array;
  readonly isBinary: boolean;
}

/**
 * A subscriber that records the frame its engine would write: with `windowBits` 9-15 it
 * negotiated permessage-deflate with `server_no_context_takeover` (a real
 * `PerMessageDeflate`), so a message to compress uses the shared compressed frame, as
 * `Connection.sendPrepared` does.
 */
class RecordingSubscriber implements TopicSubscriber {
  readonly frames: RecordedFrame[] = [];
  readonly #extension: PerMessageDeflate | null;
  readonly sharedDeflateWindowBits: number;
  constructor(windowBits = 0) {
    this.sharedDeflateWindowBits = windowBits;
    this.#extension =
      windowBits === 0
        ? null
        : createPerMessageDeflate({
            role: 'server',
            serverNoContextTakeover: true,
            clientNoContextTakeover: false,
            serverMaxWindowBits: windowBits,
            clientMaxWindowBits: 15,
          });
  }
  sendPrepared(message: PreparedMessage): void {
    const ext = this.#extension;
    const wants =
      message.compress ?? ext?.shouldEncode(message.data.length, message.isBinary) === true;
    const shared = wants && ext !== null ? message.frameFor(ext) : null;
    this.frames.push({
      bytes: shared ?? message.frame,
      compressed: shared !== null,
      data: message.data,
      isBinary: message.isBinary,
    });
  }
}

/** Decodes one unmasked frame occupying all of `bytes` (RFC 6455 §5.2). */
function decodeServerFrame(bytes: Uint8Array): {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Uint8Array;
} {
  const b0 = bytes[0]!;
  const b1 = bytes[1]!;
  expect(b1 & 0x80).toBe(0); // server frames are never masked (§5.1)
  let length = b1 & 0x7f;
  let offset = 2;
  if (length === 126) {
    length = (bytes[2]! << 8) | bytes[3]!;
    offset = 4;
  } else if (length === 127) {
    length = Number(Buffer.from(bytes).readBigUInt64BE(2));
    offset = 10;
  }
  expect(bytes.length).toBe(offset + length);
  return {
    fin: (b0 & 0x80) !== 0,
    rsv: b0 & 0x70,
    opcode: b0 & 0x0f,
    payload: bytes.subarray(offset),
  };
}

function inflateServerMessage(payload: Uint8Array): Buffer {
  // RFC 7692 §7.2.2: append 00 00 ff ff before inflating.
  return inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), {
    finishFlush: zlibConstants.Z_SYNC_FLUSH,
  });
}

describe('TopicRegistry: subscriptions', () => {
  it('subscribe / unsubscribe / isSubscribed / topicsOf / subscriberCount', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const a = new RecordingSubscriber();
    const b = new RecordingSubscriber();
    expect(topics.subscribe(a, 'news')).toBe(true);
    expect(topics.subscribe(a, 'news')).toBe(false);
    expect(topics.subscribe(a, 'sport')).toBe(true);
    expect(topics.subscribe(b, 'news')).toBe(true);
    expect(topics.isSubscribed(a, 'news')).toBe(true);
    expect(topics.isSubscribed(b, 'sport')).toBe(false);
    expect(topics.topicsOf(a)).toEqual(['news', 'sport']);
    expect(topics.topicsOf(new RecordingSubscriber())).toEqual([]);
    expect(topics.subscriberCount('news')).toBe(2);
    expect(topics.subscriberCount('nothing')).toBe(0);
    expect(topics.unsubscribe(a, 'news')).toBe(true);
    expect(topics.unsubscribe(a, 'news')).toBe(false);
    expect(topics.subscriberCount('news')).toBe(1);
    topics.unsubscribeAll(a);
    expect(topics.topicsOf(a)).toEqual([]);
    expect(topics.topics).toEqual(['news']);
    topics.unsubscribeAll(b);
    expect(topics.topics).toEqual([]);
  });

  it('rejects a topic that is not a string', () => {
    const topics = new TopicRegistry();
    expect(() => topics.subscribe(new RecordingSubscriber(), 1 as unknown as string)).toThrow(
      TypeError,
    );
    expect(() => topics.publish(undefined as unknown as string, 'x')).toThrow(TypeError);
  });
});

describe('TopicRegistry: publish frames once for every subscriber', () => {
  it('sends the very same frame bytes to every subscriber, text for strings', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const subs = Array.from({ length: 50 }, () => new RecordingSubscriber());
    for (const s of subs) topics.subscribe(s, 'room');
    expect(topics.publish('room', 'héllo')).toBe(50);
    const first = subs[0]!.frames[0]!;
    for (const s of subs) {
      expect(s.frames).toHaveLength(1);
      expect(s.frames[0]!.bytes).toBe(first.bytes); // one buffer: framed once
    }
    const frame = decodeServerFrame(first.bytes);
    expect(frame).toMatchObject({ fin: true, rsv: 0, opcode: 1 });
    expect(Buffer.from(frame.payload).toString('utf8')).toBe('héllo');
    expect(first.isBinary).toBe(false);
    expect(first.compressed).toBe(false);
  });

  it('frames bytes as binary, honours binary: false, and copies the payload', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const s = new RecordingSubscriber();
    topics.subscribe(s, 't');
    const data = new Uint8Array([1, 2, 3]);
    topics.publish('t', data);
    data[0] = 99; // the caller may reuse its buffer at once
    expect(decodeServerFrame(s.frames[0]!.bytes)).toMatchObject({ opcode: 2 });
    expect([...decodeServerFrame(s.frames[0]!.bytes).payload]).toEqual([1, 2, 3]);
    expect([...s.frames[0]!.data]).toEqual([1, 2, 3]);
    topics.publish('t', new TextEncoder().encode('txt'), { binary: false });
    expect(decodeServerFrame(s.frames[1]!.bytes).opcode).toBe(1);
    topics.publish('t', new ArrayBuffer(2));
    topics.publish('t', new DataView(new ArrayBuffer(4), 1, 2));
    expect(decodeServerFrame(s.frames[2]!.bytes).payload.length).toBe(2);
    expect(decodeServerFrame(s.frames[3]!.bytes).payload.length).toBe(2);
    expect(() => topics.publish('t', 42 as unknown as string)).toThrow(TypeError);
  });

  it('uses the minimal length encodings at 125 / 126 / 65535 / 65536 bytes (§5.2)', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const s = new RecordingSubscriber();
    topics.subscribe(s, 't');
    for (const n of [0, 125, 126, 65535, 65536]) {
      topics.publish('t', new Uint8Array(n).fill(7), { compress: false });
      const frame = decodeServerFrame(s.frames.at(-1)!.bytes);
      expect(frame.payload.length).toBe(n);
      expect(s.frames.at(-1)!.bytes.length - n).toBe(n < 126 ? 2 : n < 65536 ? 4 : 10);
    }
  });

  it('excludes the sender when asked', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const [a, b, c] = [
      new RecordingSubscriber(),
      new RecordingSubscriber(),
      new RecordingSubscriber(),
    ];
    for (const s of [a, b, c]) topics.subscribe(s, 'chat');
    expect(topics.publish('chat', 'hi', undefined, b)).toBe(2);
    expect([a.frames.length, b.frames.length, c.frames.length]).toEqual([1, 0, 1]);
  });

  it('publishing to a topic without subscribers reaches nobody', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    expect(topics.publish('empty', 'x')).toBe(0);
  });

  it('a subscriber that leaves during delivery is skipped, the others still get the message', () => {
    const topics = new TopicRegistry<TopicSubscriber>();
    const late = new RecordingSubscriber();
    const leaver: TopicSubscriber = {
      sendPrepared() {
        topics.unsubscribeAll(late);
        topics.unsubscribeAll(leaver);
      },
    };
    const first = new RecordingSubscriber();
    topics.subscribe(first, 't');
    topics.subscribe(leaver, 't');
    topics.subscribe(late, 't');
    topics.publish('t', 'one');
    expect(first.frames).toHaveLength(1);
    expect(late.frames).toHaveLength(0);
    expect(topics.subscriberCount('t')).toBe(1);
  });

  it('a re-entrant publish from inside a delivery does not corrupt the outer message', () => {
    const topics = new TopicRegistry<TopicSubscriber>();
    const log = new RecordingSubscriber();
    let once = true;
    const echoer: TopicSubscriber = {
      sendPrepared() {
        if (once) {
          once = false;
          topics.publish('other', 'inner');
        }
      },
    };
    topics.subscribe(echoer, 'outer');
    topics.subscribe(log, 'outer');
    topics.subscribe(log, 'other');
    topics.publish('outer', 'outer message');
    const texts = log.frames.map((f) => Buffer.from(decodeServerFrame(f.bytes).payload).toString());
    expect(texts).toEqual(['inner', 'outer message']);
  });
});

describe('TopicRegistry: shared compression (RFC 7692 §7.1.1.1, no context takeover)', () => {
  const big = JSON.stringify({
    items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: 'item' })),
  });

  it('compresses once per window size and only for subscribers that accept shared frames', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const plain = new RecordingSubscriber(0);
    const z15a = new RecordingSubscriber(15);
    const z15b = new RecordingSubscriber(15);
    const z10 = new RecordingSubscriber(10);
    for (const s of [plain, z15a, z15b, z10]) topics.subscribe(s, 'feed');
    topics.publish('feed', big);
    const [p, a, b, c] = [plain, z15a, z15b, z10].map((s) => s.frames[0]!);
    expect(p!.compressed).toBe(false);
    expect(decodeServerFrame(p!.bytes).rsv).toBe(0);
    expect(a!.bytes).toBe(b!.bytes); // compressed once for both 15-bit receivers
    expect(a!.compressed).toBe(true);
    expect(c!.bytes).not.toBe(a!.bytes);
    for (const f of [a!, c!]) {
      const frame = decodeServerFrame(f.bytes);
      expect(frame.rsv).toBe(0x40); // RSV1: compressed message (§6)
      expect(frame.opcode).toBe(1);
      expect(frame.payload.length).toBeLessThan(big.length / 4);
      expect(inflateServerMessage(frame.payload).toString()).toBe(big);
      expect(Buffer.from(f.data).toString()).toBe(big);
    }
  });

  it('each compressed message inflates with a fresh context (no back-references between messages)', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const s = new RecordingSubscriber(15);
    topics.subscribe(s, 't');
    topics.publish('t', big);
    topics.publish('t', big);
    // The second message is as large as the first: it did not reuse the first one's window.
    expect(s.frames[1]!.bytes.length).toBe(s.frames[0]!.bytes.length);
    expect(inflateServerMessage(decodeServerFrame(s.frames[1]!.bytes).payload).toString()).toBe(
      big,
    );
  });

  it('leaves small messages uncompressed unless compress: true; compress: false wins', () => {
    const topics = new TopicRegistry<RecordingSubscriber>({ threshold: 1024 });
    const s = new RecordingSubscriber(15);
    topics.subscribe(s, 't');
    topics.publish('t', 'short');
    topics.publish('t', 'short', { compress: true });
    topics.publish('t', big, { compress: false });
    topics.publish('t', new Uint8Array(0), { compress: true });
    expect(s.frames.map((f) => f.compressed)).toEqual([false, true, false, true]);
    expect(inflateServerMessage(decodeServerFrame(s.frames[1]!.bytes).payload).toString()).toBe(
      'short',
    );
    // An empty compressed message is the single byte 0x00 (RFC 7692 §7.2.3.6).
    expect([...decodeServerFrame(s.frames[3]!.bytes).payload]).toEqual([0]);
    expect(decodeServerFrame(s.frames[3]!.bytes).opcode).toBe(2);
  });

  it('does not compress for a window smaller than 9 bits (zlib cannot honour 8)', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const s = new RecordingSubscriber(8);
    topics.subscribe(s, 't');
    topics.publish('t', big);
    expect(s.frames[0]!.compressed).toBe(false);
  });

  it('validates its options', () => {
    expect(() => new TopicRegistry({ level: 10 })).toThrow(RangeError);
    expect(() => new TopicRegistry({ memLevel: 0 })).toThrow(RangeError);
    expect(() => new TopicRegistry({ threshold: -1 })).toThrow(RangeError);
  });
});

describe('PubSubAdapter seam', () => {
  /**
   * Two registries joined by a bus, as two processes would be through Redis or IPC: every
   * publish is delivered locally and forwarded to the other side, with exclude applied
   * locally only.
   */
  class BusAdapter implements PubSubAdapter {
    deliver: LocalDelivery | null = null;
    peer: BusAdapter | null = null;
    readonly opened: string[] = [];
    readonly closedTopics: string[] = [];
    attach(deliverLocally: LocalDelivery): void {
      this.deliver = deliverLocally;
    }
    publish(topic: string, message: PubSubMessage, exclude: TopicSubscriber | undefined): number {
      this.peer?.deliver?.(topic, message, undefined);
      return this.deliver!(topic, message, exclude);
    }
    topicOpened(topic: string): void {
      this.opened.push(topic);
    }
    topicClosed(topic: string): void {
      this.closedTopics.push(topic);
    }
  }

  it('delivers across registries and reports topic interest', () => {
    const left = new BusAdapter();
    const right = new BusAdapter();
    left.peer = right;
    right.peer = left;
    const a = new TopicRegistry<RecordingSubscriber>({}, left);
    const b = new TopicRegistry<RecordingSubscriber>({}, right);
    const sa = new RecordingSubscriber();
    const sb = new RecordingSubscriber();
    a.subscribe(sa, 'x');
    b.subscribe(sb, 'x');
    expect(a.publish('x', 'from a', {}, sa)).toBe(0); // sender excluded locally
    expect(sa.frames).toHaveLength(0);
    expect(Buffer.from(sb.frames[0]!.data).toString()).toBe('from a');
    a.unsubscribe(sa, 'x');
    expect(left.opened).toEqual(['x']);
    expect(left.closedTopics).toEqual(['x']);
    expect(a.adapter).toBe(left);
  });

  it('the in-process adapter refuses to work before attach', () => {
    const adapter = new InProcessAdapter();
    expect(() =>
      adapter.publish(
        't',
        { data: new Uint8Array(), isBinary: true, compress: undefined },
        undefined,
      ),
    ).toThrow();
  });
});

describe('wss.topicRegistry', () => {
  it('lets an object that is not a connection subscribe and receive local deliveries', async () => {
    const wss = new WebSocketServer({ noServer: true, heartbeatInterval: 0 });
    const got: string[] = [];
    const session: TopicSubscriber = {
      sendPrepared(message) {
        got.push(Buffer.from(message.data).toString());
      },
    };
    expect(wss.topicRegistry.subscribe(session, 'room')).toBe(true);
    expect(wss.publish('room', 'to the session')).toBe(1);
    expect(wss.subscriberCount('room')).toBe(1);
    expect(got).toEqual(['to the session']);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
});

describe('TopicSubscriber.owner', () => {
  it('excludeSelf skips a subscriber owned by the publishing connection', () => {
    const topics = new TopicRegistry<TopicSubscriber>();
    const connection = new RecordingSubscriber();
    const session: TopicSubscriber & { got: number } = {
      owner: connection,
      got: 0,
      sendPrepared() {
        this.got++;
      },
    };
    const other = new RecordingSubscriber();
    topics.subscribe(session, 't');
    topics.subscribe(other, 't');
    expect(topics.publish('t', 'x', undefined, connection)).toBe(1);
    expect([session.got, other.frames.length]).toEqual([0, 1]);
    expect(topics.publish('t', 'y')).toBe(2);
    expect(session.got).toBe(1);
  });
});

describe('published frames are host Buffers', () => {
  it('every subscriber is handed a Buffer frame (no per-receiver conversion in node:stream)', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const plain = new RecordingSubscriber();
    const deflate = new RecordingSubscriber(15);
    topics.subscribe(plain, 't');
    topics.subscribe(deflate, 't');
    topics.publish('t', 'x'.repeat(2000));
    expect(Buffer.isBuffer(plain.frames[0]!.bytes)).toBe(true);
    expect(deflate.frames[0]!.compressed).toBe(true);
    expect(Buffer.isBuffer(deflate.frames[0]!.bytes)).toBe(true);
  });
});
