import { inflateRawSync, constants as zlibConstants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { PreparedFrame } from './prepared-frame.js';
import {
  InProcessAdapter,
  type LocalDelivery,
  type PubSubAdapter,
  type PubSubMessage,
  TopicRegistry,
  type TopicSubscriber,
} from './topics.js';

/** A subscriber that keeps what it was given. */
class RecordingSubscriber implements TopicSubscriber {
  readonly frames: PreparedFrame[] = [];
  constructor(readonly sharedDeflateWindowBits = 0) {}
  sendPrepared(frame: PreparedFrame): void {
    this.frames.push(frame);
  }
}

/** Decodes one unmasked frame occupying all of `bytes` (RFC 6455 §5.2). */
function decodeFrame(bytes: Uint8Array): {
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

function inflateMessage(payload: Uint8Array): Buffer {
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
      expect(s.frames[0]).toBe(first); // one object, one buffer: framed once
    }
    const frame = decodeFrame(first.bytes);
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
    expect(decodeFrame(s.frames[0]!.bytes)).toMatchObject({ opcode: 2 });
    expect([...decodeFrame(s.frames[0]!.bytes).payload]).toEqual([1, 2, 3]);
    expect([...s.frames[0]!.data]).toEqual([1, 2, 3]);
    topics.publish('t', new TextEncoder().encode('txt'), { binary: false });
    expect(decodeFrame(s.frames[1]!.bytes).opcode).toBe(1);
    topics.publish('t', new ArrayBuffer(2));
    topics.publish('t', new DataView(new ArrayBuffer(4), 1, 2));
    expect(decodeFrame(s.frames[2]!.bytes).payload.length).toBe(2);
    expect(decodeFrame(s.frames[3]!.bytes).payload.length).toBe(2);
    expect(() => topics.publish('t', 42 as unknown as string)).toThrow(TypeError);
  });

  it('uses the minimal length encodings at 125 / 126 / 65535 / 65536 bytes (§5.2)', () => {
    const topics = new TopicRegistry<RecordingSubscriber>();
    const s = new RecordingSubscriber();
    topics.subscribe(s, 't');
    for (const n of [0, 125, 126, 65535, 65536]) {
      topics.publish('t', new Uint8Array(n).fill(7), { compress: false });
      const frame = decodeFrame(s.frames.at(-1)!.bytes);
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
      sharedDeflateWindowBits: 0,
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
      sharedDeflateWindowBits: 0,
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
    const texts = log.frames.map((f) => Buffer.from(decodeFrame(f.bytes).payload).toString());
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
    expect(decodeFrame(p!.bytes).rsv).toBe(0);
    expect(a).toBe(b); // compressed once for both 15-bit receivers
    expect(a!.compressed).toBe(true);
    expect(c).not.toBe(a);
    for (const f of [a!, c!]) {
      const frame = decodeFrame(f.bytes);
      expect(frame.rsv).toBe(0x40); // RSV1: compressed message (§6)
      expect(frame.opcode).toBe(1);
      expect(frame.payload.length).toBeLessThan(big.length / 4);
      expect(inflateMessage(frame.payload).toString()).toBe(big);
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
    expect(inflateMessage(decodeFrame(s.frames[1]!.bytes).payload).toString()).toBe(big);
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
    expect(inflateMessage(decodeFrame(s.frames[1]!.bytes).payload).toString()).toBe('short');
    // An empty compressed message is the single byte 0x00 (RFC 7692 §7.2.3.6).
    expect([...decodeFrame(s.frames[3]!.bytes).payload]).toEqual([0]);
    expect(decodeFrame(s.frames[3]!.bytes).opcode).toBe(2);
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
