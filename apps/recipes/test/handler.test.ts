// The @strata-ws/handler recipes (src/handler/*), each started and driven by real `ws`
// clients over loopback: the same chat handler behind bare node:http, Express and Fastify
// (next to an @fastify/websocket route).
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createChatServer } from '../src/handler/bare-http.js';
import { startExpressChat } from '../src/handler/express.js';
import { createFastifyChat } from '../src/handler/fastify.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A `ws` client with its text messages collected. */
async function join(url: string) {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  cleanups.push(() => ws.terminate());
  await within(once(ws, 'open'));
  return { ws, messages };
}

function within<T>(p: Promise<T>, ms = 5_000): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms)),
  ]);
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The chat, as every recipe serves it: join, talk, leave; and a refusal without a user. */
async function chatScenario(base: string) {
  const refused = new WebSocket(base);
  refused.on('error', () => {});
  const [, response] = await within(once(refused, 'unexpected-response'));
  expect(response.statusCode).toBe(401);
  refused.terminate();

  const ada = await join(`${base}?user=ada`);
  const bob = await join(`${base}?user=bob`);
  await until(() => ada.messages.includes('bob joined'));
  bob.ws.send('hi');
  await until(() => ada.messages.includes('bob: hi') && bob.messages.includes('ok'));
  expect(bob.messages).not.toContain('bob: hi');
  bob.ws.close();
  await until(() => ada.messages.includes('bob left'));
  return { ada };
}

async function listen(http: Server): Promise<string> {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(http.address() as AddressInfo).port}`;
}

describe('@strata-ws/handler recipes', () => {
  it('bare node:http: HTTP and the chat on one port', async () => {
    const { http, handler } = createChatServer();
    const host = await listen(http);
    cleanups.push(() => new Promise((r) => http.close(r)));
    cleanups.push(() => handler.close({ timeout: 500 }));
    expect(await (await fetch(`http://${host}/`)).text()).toMatch(/chat server/);
    await chatScenario(`ws://${host}/`);
  });

  it('Express: routes, /chat upgrades, other paths refused with 404', async () => {
    const { http, handler } = await startExpressChat();
    const host = `127.0.0.1:${(http.address() as AddressInfo).port}`;
    cleanups.push(() => new Promise((r) => http.close(r)));
    cleanups.push(() => handler.close({ timeout: 500 }));
    await chatScenario(`ws://${host}/chat`);
    expect(await (await fetch(`http://${host}/health`)).json()).toEqual({ ok: true, peers: 1 });
    const other = new WebSocket(`ws://${host}/elsewhere`);
    other.on('error', () => {});
    const [, response] = await within(once(other, 'unexpected-response'));
    expect(response.statusCode).toBe(404);
    other.terminate();
  });

  it('Fastify: the handler on /chat beside an @fastify/websocket route; app.close() sends 1001', async () => {
    const { app } = await createFastifyChat();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const host = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    let closed = false;
    cleanups.push(() => (closed ? undefined : app.close()));
    const { ada } = await chatScenario(`ws://${host}/chat`);
    const legacy = await join(`ws://${host}/legacy`);
    legacy.ws.send('old route');
    await until(() => legacy.messages.includes('legacy: old route'));
    expect(await (await fetch(`http://${host}/health`)).json()).toEqual({ ok: true });
    const adaClosed = once(ada.ws, 'close');
    closed = true;
    await app.close();
    const [code] = await within(adaClosed);
    expect(code).toBe(1001);
  });
});

describe('@strata-ws/handler recipes: Hono', () => {
  it("Hono's upgradeWebSocket on Node, backed by the handler (its hooks and peers too)", async () => {
    const { startHonoChat } = await import('../src/handler/hono.js');
    const { server, handler } = await startHonoChat();
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    cleanups.push(() => new Promise((r) => server.close(r)));
    cleanups.push(() => handler.close({ timeout: 500 }));
    await chatScenario(`ws://${host}/chat`);
    expect(await (await fetch(`http://${host}/health`)).json()).toEqual({ ok: true, peers: 1 });
  });
});

describe('@strata-ws/handler recipes: h3 / crossws', () => {
  it('an h3 app with crossws hooks, served by changing the adapter import', async () => {
    const { createH3Chat } = await import('../src/handler/h3.js');
    const { http, close } = createH3Chat();
    const host = await listen(http);
    cleanups.push(() => new Promise((r) => http.close(r)));
    cleanups.push(close);
    expect(await (await fetch(`http://${host}/`)).text()).toBe('h3 app');
    await chatScenario(`ws://${host}/_ws`);
    // A path with no WebSocket route: refused by the app's own answer.
    const other = new WebSocket(`ws://${host}/nothing`);
    other.on('error', () => {});
    const [, response] = await within(once(other, 'unexpected-response'));
    expect(response.statusCode).toBe(404);
    other.terminate();
  });
});
