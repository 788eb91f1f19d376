/**
 * The server's permessage-deflate defaults over real sockets: the server keeps its context
 * (no `server_no_context_takeover` imposed), kept compressors stay within the byte budget,
 * and real peers that keep their window — `ws` from npm and python3-websockets — decode every
 * message while the budget takes contexts away and hands them back. Memory: N idle
 * compressing connections (python clients, another process) stay within the budget.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { contextCost, DeflateContextBudget } from '@strata-ws/permessage-deflate/node';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer, type WebSocketServerOptions } from './index.js';

const COST = contextCost(15, 8);
const PYTHON = '/usr/bin/python3';
const servers: WebSocketServer[] = [];

async function start(options: WebSocketServerOptions = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  servers.push(wss);
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data as Uint8Array, { binary: isBinary }));
  });
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/` };
}

afterEach(async () => {
  for (const wss of servers.splice(0)) {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
});

/** A JSON message of a few hundred bytes or a few KiB, variant `i`. */
function message(i: number): string {
  const item = { type: 'update', id: 1000 + (i % 13), name: `item-${i % 13}`, tags: ['a', 'b'] };
  return JSON.stringify(
    i % 3 === 0 ? Array.from({ length: 30 }, (_, k) => ({ ...item, k })) : item,
  );
}

describe('permessage-deflate defaults on a real server', () => {
  it('keeps the server context by default: a repeated message shrinks on the wire', async () => {
    const { url } = await start({ perMessageDeflate: { threshold: 0 } });
    const client = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
    const upgrade = once(client, 'upgrade');
    await once(client, 'open');
    const [response] = (await upgrade) as [{ headers: Record<string, string> }];
    expect(response.headers['sec-websocket-extensions']).toBe('permessage-deflate');
    const wire: number[] = [];
    const socket = (client as unknown as { _socket: NodeJS.ReadableStream })._socket;
    socket.on('data', (chunk: Buffer) => wire.push(chunk.length));
    const text = message(0);
    for (let i = 0; i < 3; i++) {
      client.send(text);
      const [data] = (await once(client, 'message')) as [Buffer];
      expect(data.toString()).toBe(text);
    }
    // First echo: the whole document compressed; the next ones: references to it.
    expect(wire[1]!).toBeLessThan(wire[0]! / 4);
    expect(wire[2]!).toBeLessThan(wire[0]! / 4);
    client.close();
  });

  it('own messages and shared broadcast frames interleaved on a takeover connection decode in order', async () => {
    const { url, wss } = await start({ perMessageDeflate: { threshold: 0 } });
    const connected = once(wss, 'connection');
    const client = new WebSocket(url, { perMessageDeflate: true }); // keeps its window
    await once(client, 'open');
    const [server] = (await connected) as [import('./index.js').ServerWebSocket];
    server.subscribe('news');
    const received: string[] = [];
    client.on('message', (data: Buffer) => received.push(data.toString()));
    const expected: string[] = [];
    // In one tick: own messages (queued behind compressions in flight) and publishes between
    // them, large enough to go through the thread pool sometimes.
    for (let i = 0; i < 40; i++) {
      const own = `own ${i} ${message(i)}${i % 5 === 0 ? 'x'.repeat(40_000) : ''}`;
      server.send(own);
      expected.push(own);
      if (i % 3 === 0) {
        const shared = `shared ${i} ${message(i)}`; // i % 3 === 0: the 2 KB form
        wss.publish('news', shared, { compress: true });
        expected.push(shared);
      }
    }
    while (received.length < expected.length) await once(client, 'message');
    expect(received).toEqual(expected);
    client.close();
  });

  it('refuses a bad contextBudget at construction, naming it', () => {
    expect(
      () => new WebSocketServer({ noServer: true, perMessageDeflate: { contextBudget: -1 } }),
    ).toThrow(/contextBudget/);
    expect(
      () =>
        new WebSocketServer({
          noServer: true,
          perMessageDeflate: { contextBudget: 'big' as unknown as number },
        }),
    ).toThrow(/contextBudget/);
  });

  it('ws clients keeping their window decode every message while the budget churns', async () => {
    const budget = new DeflateContextBudget(2 * COST);
    const { url, wss } = await start({
      perMessageDeflate: { threshold: 0, contextBudget: budget },
    });
    const clients = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const ws = new WebSocket(url, { perMessageDeflate: true });
        await once(ws, 'open');
        return ws;
      }),
    );
    let peak = 0;
    // Interleaved: each round, every client sends one message and awaits its echo.
    for (let round = 0; round < 12; round++) {
      await Promise.all(
        clients.map(async (ws, c) => {
          const text = message(round * 7 + c);
          ws.send(text);
          const [data] = (await once(ws, 'message')) as [Buffer];
          expect(data.toString()).toBe(text);
          peak = Math.max(peak, budget.used);
        }),
      );
    }
    expect(peak).toBeLessThanOrEqual(budget.bytes);
    expect(budget.contexts).toBeLessThanOrEqual(2);
    for (const ws of clients) ws.close();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    servers.splice(servers.indexOf(wss), 1);
    expect(budget.used).toBe(0); // closed connections give their contexts back
  });

  it('python3-websockets clients decode every message; N idle connections stay within the budget', async () => {
    const budget = new DeflateContextBudget(4 * COST);
    const { url } = await start({ perMessageDeflate: { threshold: 0, contextBudget: budget } });
    const connections = 120;
    // Python: `connections` clients (context takeover on both sides, websockets' default
    // offer), each checks the echo of 3 messages sent in interleaved order, then all stay open
    // until stdin closes.
    const script = `
import asyncio, json, sys, websockets
async def main():
    conns = [await websockets.connect(sys.argv[1], max_size=None) for _ in range(${connections})]
    ok = 0
    for r in range(3):
        for i, ws in enumerate(conns):
            text = json.dumps({"r": r, "i": i % 7, "body": ["row %d" % (k % 9) for k in range(40 + r)]})
            await ws.send(text)
            if await ws.recv() != text: raise SystemExit("echo differs")
            ok += 1
    print("ready %d" % ok, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for ws in conns: await ws.close()
asyncio.run(main())
`;
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    const child = spawn(PYTHON, ['-c', script, url], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      const ready = await new Promise<string>((resolve, reject) => {
        child.on('exit', (code) => reject(new Error(`python exited ${code}: ${out}`)));
        const poll = setInterval(() => {
          if (out.includes('ready')) {
            clearInterval(poll);
            resolve(out.trim());
          }
        }, 20);
      });
      expect(ready).toBe(`ready ${3 * connections}`);
      expect(budget.used).toBeLessThanOrEqual(budget.bytes);
      expect(budget.contexts).toBe(4);
      globalThis.gc?.();
      const perConnection = (process.memoryUsage().rss - before) / connections;
      // A kept compressor per connection (what ws keeps) would be ~264 KB each; the budget
      // holds 4 of them for all 120 connections.
      expect(perConnection).toBeLessThan(COST / 4);
    } finally {
      child.stdin.end();
      child.kill();
    }
  }, 30_000);
});
