// node:cluster with 2 real workers behind one port (runCluster + ClusterAdapter): a publish
// in one worker reaches the other's subscribers with its kind and bytes intact, the sender
// is excluded only where asked, a worker that dies leaves the other serving and is reforked,
// and the JSON (base64) IPC serialization carries the same bytes.
import { fileURLToPath } from 'node:url';
import type { BusCountersSnapshot } from '@strata-ws/cluster';
import { clientsOn, NodeProcess, TestClient, until } from '@strata-ws/test-support/procs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Stats = BusCountersSnapshot;

const APP = fileURLToPath(new URL('./fixtures/cluster-app.mjs', import.meta.url));

async function subscribe(client: TestClient, topic: string): Promise<void> {
  await client.request({ sub: topic }, 'subscribed');
}

describe.each([
  ['direct links', 'advanced', true],
  ['relay', 'advanced', false],
  ['relay', 'json', false],
] as const)('runCluster, 2 workers, %s, %s IPC serialization', (_name, serialization, direct) => {
  let app: NodeProcess;
  let port: number;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    app = new NodeProcess(APP, {
      WORKERS: '2',
      SERIALIZATION: serialization,
      MAX_QUEUE: '65536',
      DIRECT: direct ? '1' : '0',
    });
    port = (await app.line('port', 30_000)).port as number;
  }, 40_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    expect(app.child.exitCode).toBe(0);
  });

  it('delivers across workers: text and binary, exact bytes, excludeSelf only for the sender', async () => {
    const [a, b] = await clientsOn(port, 2);
    if (a === undefined || b === undefined) throw new Error('two clients expected');
    clients.push(a, b);
    expect(a.hello?.pid).not.toBe(b.hello?.pid);
    await subscribe(a, 'room');
    await subscribe(b, 'room');

    await b.request({ pub: 'room', data: 'héllo wörld', excludeSelf: true }, 'published');
    const text = await until('text at a', () => a.messages()[0]);
    expect(text.isBinary).toBe(false);
    expect(text.data.toString('utf8')).toBe('héllo wörld');

    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    await a.request({ pub: 'room', data: bytes.toString('base64'), binary: true }, 'published');
    const atB = await until('binary at b', () => b.messages()[0]);
    expect(atB.isBinary).toBe(true);
    expect([...atB.data]).toEqual([...bytes]);
    // a is not excluded from its own binary publish (delivered locally, once).
    await until('binary at a', () => a.messages()[1]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.messages().map((f) => f.isBinary)).toEqual([false, true]);
    // b excluded itself from the text: it got the binary only.
    expect(b.messages()).toHaveLength(1);

    const statsA = (await a.request({ stats: true }, 'stats')).stats as Stats;
    expect(statsA.published).toBe(1);
    expect(statsA.received).toBe(1);
    expect(statsA.ownDropped).toBe(0);
    expect(statsA.latencyMaxMs).toBeGreaterThan(0);
  });

  it('relays only to workers with subscribers of the topic', async () => {
    const [a, b] = await clientsOn(port, 2);
    if (a === undefined || b === undefined) throw new Error('two clients expected');
    clients.push(a, b);
    await subscribe(a, 'only-a');
    const before = (await b.request({ stats: true }, 'stats')).stats as Stats;
    await a.request({ pub: 'only-a', data: 'x' }, 'published');
    await until('local delivery', () => a.messages()[0]);
    // b's worker has no subscriber of 'only-a': nothing is relayed to it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const after = (await b.request({ stats: true }, 'stats')).stats as Stats;
    expect(after.received).toBe(before.received);
  });

  it('bounds the queue towards the primary in bytes: a burst beyond it is dropped and counted', async () => {
    const [a, b] = await clientsOn(port, 2);
    if (a === undefined || b === undefined) throw new Error('two clients expected');
    clients.push(a, b);
    await subscribe(b, 'burst');
    const before = (await a.request({ stats: true }, 'stats')).stats as Stats;
    const after = (await a.request({ burst: 1000, topic: 'burst', size: 1024 }, 'burst'))
      .burst as Stats;
    const published = after.published - before.published;
    const dropped = after.droppedQueueFull - before.droppedQueueFull;
    expect(published + dropped).toBe(1000);
    expect(dropped).toBeGreaterThan(0);
    // 64 KiB of envelopes (1 KiB payload + header; base64 is 4/3 larger) fit at once.
    expect(published).toBeLessThanOrEqual(64);
    const got = await until('the forwarded messages at b', () =>
      b.messages().length >= published ? b.messages() : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.messages()).toHaveLength(published);
    // In order, numbered from 0 (the first `published` of the burst got through).
    expect(got.map((f) => f.data.readUInt32BE(0))).toEqual([...Array(published).keys()]);
  });

  it('batches a tick of publishes into one IPC message and routes each topic only where subscribed', async () => {
    const [a, b] = await clientsOn(port, 2);
    if (a === undefined || b === undefined) throw new Error('two clients expected');
    clients.push(a, b);
    await subscribe(b, 'mix-1');
    await a.request({ burst: 20, topics: ['mix-1', 'mix-2'], size: 8 }, 'burst');
    await until('10 at b', () => (b.messages().length >= 10 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(b.messages().map((f) => f.data.readUInt32BE(0))).toEqual([
      0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
    ]);
  });

  it('a worker that dies leaves the other serving and is reforked', async () => {
    const [a, b] = await clientsOn(port, 2);
    if (a === undefined || b === undefined) throw new Error('two clients expected');
    clients.push(a, b);
    const forkedBefore = app.lines.filter((l) => 'forked' in l).length;
    a.ws.send(JSON.stringify({ die: true }));
    await until('a closed', () => (a.closed ? true : undefined));
    // The other worker keeps serving its clients and its topics.
    const b2 = await until('a client on the surviving worker', async () => {
      const c = await TestClient.connect(port).catch(() => undefined);
      if (c === undefined) return undefined;
      if (c.hello?.hello === b.hello?.hello) return c;
      c.close();
      return undefined;
    });
    clients.push(b2);
    await subscribe(b2, 'after-death');
    await b.request({ pub: 'after-death', data: 'still here' }, 'published');
    const got = await until('delivery on the surviving worker', () => b2.messages()[0]);
    expect(got.data.toString()).toBe('still here');
    // The primary reforks the dead worker, and topics cross to it again.
    await until(
      'refork',
      () => (app.lines.filter((l) => 'forked' in l).length > forkedBefore ? true : undefined),
      15_000,
    );
    const fresh = await until(
      'a client on the reforked worker',
      async () => {
        const c = await TestClient.connect(port).catch(() => undefined);
        if (c === undefined) return undefined;
        if (c.hello?.hello !== b.hello?.hello) return c;
        c.close();
        return undefined;
      },
      15_000,
    );
    clients.push(fresh);
    expect(fresh.hello?.hello).not.toBe(a.hello?.hello);
    await subscribe(fresh, 'after-death');
    await b.request({ pub: 'after-death', data: 'to the new one' }, 'published');
    const crossed = await until('delivery on the reforked worker', () => fresh.messages()[0]);
    expect(crossed.data.toString()).toBe('to the new one');
  }, 40_000);
});
