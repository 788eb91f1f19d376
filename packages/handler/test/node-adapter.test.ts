// What only the Node adapter does: option checks, refusals built from a Response (set-cookie
// lists, bounded bodies, 500 for a failing hook), the handshake timeout over a slow hook,
// server-wide publish, the peers set, graceful close, the lazy Request and 1011 without an error hook.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineHooks, type Hooks, type Peer } from '../src/index.js';
import { createHandler, type NodeHandler } from '../src/node/index.js';
import { Client, refusedUpgrade, until, within } from './suite/client.js';

const handlers: NodeHandler<unknown>[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const h of handlers.splice(0)) await h.close({ timeout: 200 });
});

async function serve<C>(hooks: Hooks<C>, options: Parameters<typeof createHandler>[1] = {}) {
  const handler = createHandler(hooks, { ...options, port: 0, host: '127.0.0.1' });
  handlers.push(handler as NodeHandler<unknown>);
  return { handler, url: `ws://127.0.0.1:${await handler.ready}` };
}
async function open(url: string, protocols?: string[]) {
  const c = await Client.open(url, protocols);
  clients.push(c);
  return c;
}

describe('options', () => {
  it('a bad option throws at creation, naming it', () => {
    expect(() => createHandler({}, { maxPayload: 1.5 })).toThrow(/maxPayload/);
    expect(() => createHandler({}, { highWaterMark: -1 })).toThrow(/highWaterMark/);
    expect(() => createHandler({ open: 3 } as never)).toThrow(/hooks\.open must be a function/);
  });
});

describe('refusals', () => {
  it('status, every set-cookie, other headers and a body cut at 64 KiB', async () => {
    const { url } = await serve({
      upgrade: (request) => {
        if (request.url.endsWith('/big')) {
          return new Response('x'.repeat(100_000), { status: 413 });
        }
        if (request.url.endsWith('/json')) return Response.json({ retry: 5 }, { status: 429 });
        const headers = new Headers({ 'www-authenticate': 'Bearer' });
        headers.append('set-cookie', 'a=1');
        headers.append('set-cookie', 'b=2');
        return new Response('sign in', { status: 401, headers });
      },
    });
    const answer = await refusedUpgrade(`${url}/`);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer.body).toBe('sign in');
    expect(answer.headers['content-type']).toBe('text/plain;charset=UTF-8'); // the Response's own
    const json = await refusedUpgrade(`${url}/json`);
    expect(json.status).toBe(429);
    expect(json.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json.body)).toEqual({ retry: 5 });
    const big = await refusedUpgrade(`${url}/big`);
    expect(big.status).toBe(413);
    expect(big.body.length).toBe(64 * 1024);
  });

  it('a hook that throws: 500, onError gets the error and the Request', async () => {
    const onError = vi.fn();
    const { url } = await serve(
      {
        upgrade: () => {
          throw new Error('db down');
        },
      },
      { onError },
    );
    const answer = await refusedUpgrade(`${url}/path?q=1`);
    expect(answer.status).toBe(500);
    expect(answer.body).toBe('Internal Server Error');
    expect(onError).toHaveBeenCalledOnce();
    const [error, request] = onError.mock.calls[0]!;
    expect(error.message).toBe('db down');
    expect(new URL((request as Request).url).pathname).toBe('/path');
  });

  it('a hook slower than handshakeTimeout: 408 and no connection', async () => {
    let opened = 0;
    const { url } = await serve(
      {
        upgrade: () =>
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1_000)),
        open: () => void opened++,
      },
      { handshakeTimeout: 150 },
    );
    const answer = await refusedUpgrade(url);
    expect(answer.status).toBe(408);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(opened).toBe(0);
  });
});

describe('peers', () => {
  it('no upgrade hook: context {}, `protocols` picks, the Request is built when read', async () => {
    let seen: Peer | undefined;
    const { url } = await serve(
      {
        open(peer) {
          seen = peer;
        },
        message(peer) {
          peer.send(JSON.stringify({ context: peer.context, url: peer.request.url }));
        },
      },
      { protocols: ['b', 'a'] },
    );
    const c = await open(`${url}/room?x=1`, ['a', 'b']);
    expect(c.ws.protocol).toBe('b');
    const info = JSON.parse(await c.ask('?'));
    expect(info.context).toEqual({});
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/room\?x=1$/);
    expect(seen?.protocol).toBe('b');
  });

  it('handler.publish reaches every subscriber; handler.peers; close() sends 1001 and runs close hooks', async () => {
    const closed: number[] = [];
    const { handler, url } = await serve({
      open: (peer) => peer.subscribe('news'),
      close: (_peer, { code }) => void closed.push(code),
    });
    const a = await open(url);
    const b = await open(url);
    await until(async () => (handler.peers.size === 2 ? true : undefined));
    expect(handler.publish('news', 'extra')).toBe(2);
    expect(await a.text()).toBe('extra');
    expect(await b.text()).toBe('extra');
    handlers.splice(0);
    const result = await handler.close({ timeout: 1_000 });
    expect(result.closed).toBe(2);
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(closed).toEqual([1001, 1001]);
    expect(handler.peers.size).toBe(0);
  });

  it('send statuses: bytes queued, then 0 once closing', async () => {
    const statuses: number[] = [];
    const { url } = await serve({
      message(peer) {
        statuses.push(peer.send('12345'));
        peer.close(1000);
        statuses.push(peer.send('late'));
        expect(() => peer.send(42 as never)).toThrow(TypeError);
      },
    });
    const c = await open(url);
    c.ws.send('go');
    expect(await c.text()).toBe('12345');
    await c.closed;
    expect(statuses[0]).toBeGreaterThan(0);
    expect(statuses[1]).toBe(0);
  });

  it('a failing hook without an error hook closes with 1011', async () => {
    const { url } = await serve(
      defineHooks({
        message: async () => {
          throw new Error('oops');
        },
      }),
    );
    const c = await open(url);
    c.ws.send('x');
    expect((await within(c.closed, 3_000, 'close')).code).toBe(1011);
  });

  it('hooks run in order: open, messages in wire order, close once', async () => {
    const events: string[] = [];
    const { url } = await serve({
      open: () => void events.push('open'),
      message: (_p, m) => void events.push(m.text()),
      close: (_p, { code, reason }) => void events.push(`close ${code} ${reason}`),
    });
    const c = await open(url);
    for (const m of ['1', '2', '3']) c.ws.send(m);
    c.ws.close(1000, 'done');
    await c.closed;
    await until(async () => (events.length === 5 ? true : undefined));
    expect(events).toEqual(['open', '1', '2', '3', 'close 1000 done']);
  });
});

describe('hooks per request (resolve) and the crossws-shaped default export', () => {
  it('resolve picks hooks per URL; undefined is 404; a thrown Response refuses; hooks are the defaults', async () => {
    const { createServer } = await import('node:http');
    const { default: crossws } = await import('../src/node/index.js');
    const ws = crossws({
      hooks: { open: (peer) => void peer.send('default open') },
      resolve: (request) => {
        const path = new URL(request.url).pathname;
        if (path === '/echo') return { message: (peer, m) => void peer.send(`echo ${m.text()}`) };
        if (path === '/private') throw new Response('private', { status: 403 });
        return undefined;
      },
    });
    const http = createServer();
    http.on('upgrade', ws.handleUpgrade);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}`;
    try {
      const c = await open(`${url}/echo`);
      expect(await c.text()).toBe('default open');
      expect(await c.ask('hi')).toBe('echo hi');
      expect(ws.peers.size).toBe(1);
      expect((await refusedUpgrade(`${url}/elsewhere`)).status).toBe(404);
      const refused = await refusedUpgrade(`${url}/private`);
      expect([refused.status, refused.body]).toEqual([403, 'private']);
      const closed = c.closed;
      ws.closeAll(4002, 'bye all');
      expect((await closed).code).toBe(4002);
    } finally {
      await ws.close();
      await new Promise((r) => http.close(r));
    }
  });

  it('message.uint8Array() is bytes() (crossws name)', async () => {
    const { url } = await serve({
      message: (peer, m) => void peer.send(String(m.uint8Array() === m.bytes())),
    });
    const c = await open(url);
    expect(await c.ask('x')).toBe('true');
  });
});
