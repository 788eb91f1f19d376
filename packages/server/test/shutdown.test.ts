/** `WebSocketServer.shutdown()`: 1001 to every client, no new connections, then resolved. */
import { once } from 'node:events';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer } from '../src/index.js';

describe('WebSocketServer.shutdown', () => {
  it('closes every client with 1001 after its queued messages, refuses newcomers, and stops listening', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    const clients = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
        const got: string[] = [];
        ws.on('message', (d) => got.push(String(d)));
        const closed = new Promise<[number, string]>((resolve) =>
          ws.on('close', (code, reason) => resolve([code, String(reason)])),
        );
        await once(ws, 'open');
        return { ws, got, closed };
      }),
    );
    wss.on('connection', () => {
      throw new Error('no connection may open during shutdown');
    });
    // Queue messages right before shutting down: they must all arrive before the close frame.
    for (const ws of wss.clients) for (let i = 0; i < 50; i++) ws.send(`m${i}`);
    const result = await wss.shutdown({ reason: 'maintenance', timeout: 3000 });
    expect(result).toEqual({ closed: 5, terminated: 0 });
    for (const c of clients) {
      expect(await c.closed).toEqual([1001, 'maintenance']);
      expect(c.got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    }
    expect(wss.clients.size).toBe(0);
    // The port is closed: connecting fails.
    const late = connect(port, '127.0.0.1');
    const [error] = await once(late, 'error');
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('refuses a handshake that arrives while shutting down with 503', async () => {
    const wss = new WebSocketServer({ noServer: true, heartbeatInterval: 0 });
    const { createServer } = await import('node:http');
    const http = createServer();
    http.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket as Socket, head, () => {}),
    );
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const port = (http.address() as AddressInfo).port;
    await wss.shutdown();
    const raw = connect(port, '127.0.0.1');
    raw.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let answer = '';
    raw.on('data', (c) => (answer += c));
    await once(raw, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    await new Promise<void>((r) => http.close(() => r()));
  });
});
