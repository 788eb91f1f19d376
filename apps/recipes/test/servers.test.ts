// The server recipes in docs/recipes, each imported and driven by real clients (Strata's
// WHATWG client and `ws`) over loopback: what users copy is what is tested.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloseEvent, WebSocket, type WebSocketServer } from 'strata-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as WsClient } from 'ws';
import { createAuthServer } from '../../../docs/recipes/auth-before-upgrade.js';
import { sendAll } from '../../../docs/recipes/backpressure.js';
import { createHttpAndWebSocketServer } from '../../../docs/recipes/bare-http.js';
import { createExpressApp } from '../../../docs/recipes/express.js';
import { createFastifyApp } from '../../../docs/recipes/fastify.js';
import { shutdownOnSignals } from '../../../docs/recipes/graceful-shutdown.js';
import { connectWithHeartbeat, createHeartbeatServer } from '../../../docs/recipes/heartbeats.js';
import { announce, createRoomServer } from '../../../docs/recipes/topics.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function listening<D>(wss: WebSocketServer<D>): Promise<string> {
  await once(wss, 'listening');
  cleanups.push(() => wss.shutdown({ timeout: 500 }));
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

async function listen(http: Server): Promise<number> {
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => http.close(resolve)));
  return (http.address() as AddressInfo).port;
}

/** Opens a Strata client; resolves once open, with its messages collected. */
async function open(url: string, init?: ConstructorParameters<typeof WebSocket>[2]) {
  const ws = new WebSocket(url, [], init);
  const messages: string[] = [];
  ws.addEventListener('message', (e) => messages.push(String(e.data)));
  cleanups.push(() => ws.close());
  await once(ws, 'open');
  return { ws, messages };
}

const until = async (check: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('auth before the upgrade', () => {
  it('a known token opens with ws.data; an unknown one gets 401 and no connection', async () => {
    const wss = createAuthServer(0, async (token) =>
      token === 's3cret' ? { name: 'ada' } : undefined,
    );
    const url = await listening(wss);
    const { messages } = await open(`${url}/`, { headers: { authorization: 'Bearer s3cret' } });
    await until(() => messages.length === 1);
    expect(messages).toEqual(['hello ada']);
    const viaQuery = await open(`${url}/?token=s3cret`);
    await until(() => viaQuery.messages.length === 1);

    const refused = new WsClient(`${url}/?token=nope`);
    const [, res] = await once(refused, 'unexpected-response');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    refused.on('error', () => {});
    refused.terminate();
    expect(wss.clients.size).toBe(2);
  });
});

describe('heartbeats', () => {
  it('the server terminates a peer that stops answering pings; a live client stays', async () => {
    const wss = createHeartbeatServer(0, 100);
    const url = await listening(wss);
    const alive = connectWithHeartbeat(url, 100);
    cleanups.push(() => alive.close());
    await once(alive, 'open');
    // A `ws` client that never answers pings (autoPong off) is dead to the server.
    const silent = new WsClient(url, { autoPong: false });
    await once(silent, 'open');
    const [code] = await once(silent, 'close');
    expect(code).toBe(1006);
    expect(alive.readyState).toBe(WebSocket.OPEN);
  });
});

describe('broadcasting with topics', () => {
  it('a message reaches the room but not the sender nor other rooms; announcements reach all', async () => {
    const wss = createRoomServer(0);
    const url = await listening(wss);
    const a = await open(`${url}/?room=blue`);
    const b = await open(`${url}/?room=blue`);
    const c = await open(`${url}/?room=red`);
    await until(() => wss.subscriberCount('room:blue') === 2);
    a.ws.send('hi blue');
    await until(() => b.messages.length === 1);
    announce(wss, 'blue', 'announcement');
    await until(() => a.messages.length === 1 && b.messages.length === 2);
    expect(a.messages).toEqual(['announcement']);
    expect(b.messages).toEqual(['hi blue', 'announcement']);
    expect(c.messages).toEqual([]);
  });
});

describe('backpressure', () => {
  it('sendAll waits for drain against a paused reader, then delivers everything in order', async () => {
    const { createServer } = await import('strata-ws').then(() => import('node:http'));
    const http = createServer();
    const { WebSocketServer } = await import('strata-ws');
    const wss = new WebSocketServer({ server: http, highWaterMark: 64 * 1024 });
    const port = await listen(http);
    cleanups.push(() => wss.shutdown({ timeout: 500 }));
    const client = new WsClient(`ws://127.0.0.1:${port}/`);
    const [ws] = await once(wss, 'connection');
    await once(client, 'open');
    client.pause(); // a slow reader: nothing is read for now
    const received: number[] = [];
    client.on('message', (data: Buffer) => received.push(data.readUInt32BE(0)));
    const sending = sendAll(ws, 200, (i) => {
      const chunk = new Uint8Array(16 * 1024);
      new DataView(chunk.buffer).setUint32(0, i);
      return chunk;
    });
    await new Promise((r) => setTimeout(r, 200));
    // Paused: the queue stays near the high-water mark, not 200 x 16 KiB.
    expect(ws.bufferedAmount).toBeLessThan(1024 * 1024);
    client.resume();
    const waits = await sending;
    expect(waits).toBeGreaterThan(0);
    await until(() => received.length === 200);
    expect(received).toEqual(Array.from({ length: 200 }, (_, i) => i));
    client.close();
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM clients get 1001 after their queued messages', async () => {
    const wss = createRoomServer(0);
    const url = await listening(wss);
    const a = await open(`${url}/`);
    const done = new Promise<{ closed: number; terminated: number }>((resolve) => {
      const remove = shutdownOnSignals(wss, { timeoutMs: 2000, onDone: resolve });
      cleanups.push(remove);
    });
    const closed = once(a.ws, 'close');
    announce(wss, 'lobby', 'last words');
    process.emit('SIGTERM', 'SIGTERM');
    const [event] = (await closed) as [CloseEvent];
    expect(event.code).toBe(1001);
    expect(a.messages).toEqual(['last words']);
    expect(await done).toEqual({ closed: 1, terminated: 0 });
  });
});

describe('handleUpgrade with bare http, Express, Fastify', () => {
  it('bare http: HTTP and WebSocket on one port; other upgrade paths get 404', async () => {
    const { http, wss } = createHttpAndWebSocketServer();
    const port = await listen(http);
    cleanups.push(() => wss.shutdown({ timeout: 500 }));
    expect(await (await fetch(`http://127.0.0.1:${port}/x`)).text()).toBe('plain HTTP at /x\n');
    const { ws, messages } = await open(`ws://127.0.0.1:${port}/ws`);
    ws.send('echo me');
    await until(() => messages.length === 1);
    expect(messages).toEqual(['echo me']);
    const other = new WsClient(`ws://127.0.0.1:${port}/elsewhere`);
    const [, res] = await once(other, 'unexpected-response');
    expect(res.statusCode).toBe(404);
    other.on('error', () => {});
    other.terminate();
  });

  it('Express: routes and /ws on one server', async () => {
    const { http, wss } = createExpressApp();
    const port = await listen(http);
    cleanups.push(() => wss.shutdown({ timeout: 500 }));
    const { ws, messages } = await open(`ws://127.0.0.1:${port}/ws`);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({
      ok: true,
      connections: 1,
    });
    ws.send('through express');
    await until(() => messages.length === 1);
    expect(messages).toEqual(['through express']);
  });

  it('Fastify: routes and /ws; app.close() closes the WebSockets with 1001', async () => {
    const { app } = createFastifyApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const { ws, messages } = await open(`ws://127.0.0.1:${port}/ws`);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({
      ok: true,
      connections: 1,
    });
    ws.send('through fastify');
    await until(() => messages.length === 1);
    const closed = once(ws, 'close');
    await app.close();
    const [event] = (await closed) as [CloseEvent];
    expect(event.code).toBe(1001);
  });
});
