// The Durable Object wake-up path, for real: workerd (miniflare 4) evicts the object while its
// hibernatable WebSockets stay connected (`mf.unsafeEvictDurableObject(..., { webSockets:
// 'hibernate' })`, the same eviction workerd does after 10 s of inactivity), then a message
// wakes it: a NEW instance runs `webSocketMessage`, with every peer's id, upgrade context,
// subprotocol and topics rebuilt from the sockets' attachments (`serializeAttachment`).
import { once } from 'node:events';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bundleForWorkerd } from './bundle.js';

let mf: Miniflare;
let base = '';

beforeAll(async () => {
  const script = await bundleForWorkerd('./hibernation-fixture.ts');
  mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-07-01',
    durableObjects: { ROOM: 'Room' },
    host: '127.0.0.1',
    port: 0,
  });
  const url = await mf.ready;
  base = `127.0.0.1:${url.port}`;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
});

interface InstanceView {
  serial: number;
  instances: number;
  messagesHere: number;
  peers: Array<{ id: string; context: unknown; topics: string[] }>;
}

async function instance(): Promise<InstanceView> {
  return (await (await fetch(`http://${base}/instance`)).json()) as InstanceView;
}

/** A client whose text messages are awaited one at a time. */
async function connect(query: string, protocols?: string[]) {
  const ws = new WebSocket(`ws://${base}/room?${query}`, protocols);
  const inbox: string[] = [];
  const waiters: Array<(text: string) => void> = [];
  ws.on('message', (data) => {
    const waiter = waiters.shift();
    if (waiter) waiter(String(data));
    else inbox.push(String(data));
  });
  await once(ws, 'open');
  const next = (): Promise<string> => {
    const queued = inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 5 s')), 5_000);
      waiters.push((text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
  };
  const ask = async (text: string): Promise<string> => {
    ws.send(text);
    return next();
  };
  return { ws, next, ask };
}

describe('workers (Durable Object): hibernation and wake-up', () => {
  it('a message wakes an evicted object: a new instance, with ids, context, subprotocol and topics restored', async () => {
    const ada = await connect('tag=ada&user=Ada', ['chat.v1']);
    const bob = await connect('tag=bob');
    expect(await ada.ask('!sub room')).toBe('subscribed room');
    expect(await ada.ask('!sub news')).toBe('subscribed news');
    expect(await bob.ask('!sub room')).toBe('subscribed room');
    const adaBefore = JSON.parse(await ada.ask('!info'));
    const bobBefore = JSON.parse(await bob.ask('!info'));
    expect(adaBefore.context).toEqual({ tag: 'ada', user: 'Ada' });
    expect(adaBefore.protocol).toBe('chat.v1');
    const before = await instance();
    expect(before.serial).toBe(1);
    expect(before.peers.map((p) => p.id).sort()).toEqual([adaBefore.id, bobBefore.id].sort());

    // Evicted with its WebSockets kept (hibernated): the connections stay open.
    await mf.unsafeEvictDurableObject('', 'Room', { name: 'room', webSockets: 'hibernate' });
    expect(ada.ws.readyState).toBe(WebSocket.OPEN);
    expect(bob.ws.readyState).toBe(WebSocket.OPEN);

    // The first event after the eviction: bob publishes to `room`, ada (restored, subscribed
    // on the old instance) receives it; bob is not sent his own publish.
    expect(await bob.ask('!pub room after the nap')).toBe('published');
    expect(await ada.next()).toBe('after the nap');
    const adaAfter = JSON.parse(await ada.ask('!info'));
    expect(adaAfter).toEqual(adaBefore);
    expect(JSON.parse(await bob.ask('!info'))).toEqual(bobBefore);
    expect(JSON.parse(await ada.ask('!topics'))).toEqual(['news', 'room']);

    const after = await instance();
    // A fresh instance ran webSocketMessage (the old one's count does not carry over).
    expect(after.serial).toBe(2);
    expect(after.instances).toBe(2);
    expect(after.messagesHere).toBe(4);
    expect(after.peers).toEqual(
      expect.arrayContaining([
        { id: adaBefore.id, context: { tag: 'ada', user: 'Ada' }, topics: ['news', 'room'] },
        { id: bobBefore.id, context: { tag: 'bob' }, topics: ['room'] },
      ]),
    );

    // A subscription changed after the wake-up is kept through a second eviction.
    expect(await ada.ask('!unsub news')).toBe('unsubscribed news');
    await mf.unsafeEvictDurableObject('', 'Room', { name: 'room', webSockets: 'hibernate' });
    expect(JSON.parse(await ada.ask('!topics'))).toEqual(['room']);
    expect((await instance()).serial).toBe(3);

    // Closing after a wake-up: the close handshake completes with the peer's code and reason.
    const closed = once(bob.ws, 'close');
    expect(await ada.ask('!pub room still here')).toBe('published');
    expect(await bob.next()).toBe('still here');
    bob.ws.close(4001, 'bye');
    const [code, reason] = await closed;
    expect([code, String(reason)]).toEqual([4001, 'bye']);
    ada.ws.close();
    await once(ada.ws, 'close');
  }, 60_000);
});
