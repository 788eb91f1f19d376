// The demo server on its own (in-process, `startDemo`), against a `ws` client: the page's
// protocol and its answers to bad input (close codes, HTTP statuses, bounded text).
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
// @ts-expect-error: plain JavaScript without types
import { DEMO_PROTOCOL, startDemo } from '../src/server.js';

let demo: { url: string; port: number; close(): Promise<void> };
let wsUrl = '';

beforeAll(async () => {
  demo = await startDemo({ port: 0, statsInterval: 100 });
  wsUrl = `ws://127.0.0.1:${demo.port}/ws`;
});
afterAll(() => demo.close());

async function join() {
  const ws = new WebSocket(wsUrl, [DEMO_PROTOCOL]);
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await once(ws, 'open');
  return { ws, messages };
}

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('demo server', () => {
  it('hello, pong, chat to everyone (name and text bounded), stats from the counters', async () => {
    const a = await join();
    const b = await join();
    expect(a.ws.protocol).toBe(DEMO_PROTOCOL);
    await until(() => a.messages.some((m) => m.type === 'hello'));
    a.ws.send(JSON.stringify({ type: 'ping', t: 42 }));
    await until(() => a.messages.some((m) => m.type === 'pong'));
    expect(a.messages.find((m) => m.type === 'pong')).toEqual({ type: 'pong', t: 42 });
    a.ws.send(JSON.stringify({ type: 'chat', name: 'n'.repeat(100), text: 't'.repeat(10_000) }));
    await until(() => b.messages.some((m) => m.type === 'chat'));
    const chat = b.messages.find((m) => m.type === 'chat')!;
    expect(chat.name).toBe('n'.repeat(32));
    expect(chat.text).toBe('t'.repeat(500));
    await until(() => b.messages.some((m) => m.type === 'stats'));
    const stats = b.messages.filter((m) => m.type === 'stats').at(-1) as {
      counters: { connectionsOpen: number; messagesReceived: number };
    };
    expect(stats.counters.connectionsOpen).toBeGreaterThanOrEqual(2);
    expect(stats.counters.messagesReceived).toBeGreaterThanOrEqual(2);
    a.ws.close();
    b.ws.close();
  });

  it('binary gets 1003, not-JSON and unknown messages get 1008', async () => {
    for (const [payload, code] of [
      [Buffer.from([1, 2, 3]), 1003],
      ['not json', 1008],
      [JSON.stringify({ type: 'launch' }), 1008],
    ] as const) {
      const { ws } = await join();
      ws.send(payload);
      const [closeCode] = await once(ws, 'close');
      expect(closeCode).toBe(code);
    }
  });

  it('HTTP: the page, 404 for other paths, 405 for other methods; messages over 64 KiB close 1009', async () => {
    const page = await fetch(`http://127.0.0.1:${demo.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await fetch(`http://127.0.0.1:${demo.port}/secret`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${demo.port}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${demo.port}/vendor/reconnect/index.js`)).status).toBe(
      200,
    );
    expect((await fetch(`http://127.0.0.1:${demo.port}/vendor/reconnect/server.js`)).status).toBe(
      404,
    );
    const { ws } = await join();
    ws.send('x'.repeat(65 * 1024));
    const [closeCode] = await once(ws, 'close');
    expect(closeCode).toBe(1009);
  });
});
