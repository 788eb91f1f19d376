/** `WebSocketServer.shutdown()`: 1001 to every client, no new connections, then resolved. */
import { once } from 'node:events';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeGracefully, WebSocketServer } from '../src/index.js';

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

// ---- closeGracefully on connections of a running server ----

let started: WebSocketServer | undefined;
afterEach(async () => {
  const wss = started;
  started = undefined;
  if (wss) {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
});

async function start(): Promise<{ wss: WebSocketServer; url: string; port: number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
  started = wss;
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  return { wss, url: `ws://127.0.0.1:${port}/`, port };
}

describe('graceful shutdown (1001 Going Away, RFC 6455 §7.4.1)', () => {
  it('under load: every echo the server accepted arrives, in order, before a clean 1001', async () => {
    const { wss, url } = await start();
    const accepted = new Map<object, number>();
    wss.on('connection', (ws) => {
      accepted.set(ws, 0);
      ws.on('message', (data, isBinary) => {
        // An echo counts as acknowledged when the server took it for sending.
        if (ws.readyState === 1) {
          ws.send(data, { binary: isBinary });
          accepted.set(ws, accepted.get(ws)! + 1);
        }
      });
    });
    const clientCount = 20;
    const clients = await Promise.all(
      Array.from({ length: clientCount }, async () => {
        const ws = new WebSocket(url);
        await once(ws, 'open');
        return ws;
      }),
    );
    const received = clients.map(() => [] as number[]);
    const closes = clients.map(
      (ws, i) =>
        new Promise<{ code: number; reason: string }>((resolve) => {
          ws.on('message', (data) => received[i]!.push(Number(String(data))));
          ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
        }),
    );
    // Each client streams numbered messages until its socket closes.
    let sending = true;
    const senders = clients.map(async (ws) => {
      let n = 0;
      while (sending && ws.readyState === WebSocket.OPEN) {
        for (let k = 0; k < 20; k++) ws.send(String(n++));
        await new Promise((r) => setImmediate(r));
      }
    });
    while ([...accepted.values()].reduce((a, b) => a + b, 0) < 2000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const serverSockets = [...wss.clients];
    const result = await closeGracefully(serverSockets, { reason: 'restarting', timeout: 5000 });
    sending = false;
    await Promise.all(senders);
    expect(result).toEqual({ closed: clientCount, terminated: 0 });
    const closeEvents = await Promise.all(closes);
    for (let i = 0; i < clientCount; i++) {
      expect(closeEvents[i]).toEqual({ code: 1001, reason: 'restarting' });
      const got = received[i]!;
      // In order, no gaps, none lost: exactly the echoes the server accepted.
      expect(got).toEqual(Array.from({ length: got.length }, (_, k) => k));
      expect(got.length).toBe(accepted.get(serverSockets[i]!)!);
    }
    expect(wss.clients.size).toBe(0);
  });

  it('terminates a peer that never answers the close frame, at the timeout', async () => {
    const { wss, port } = await start();
    const connected = once(wss, 'connection');
    // A raw client that completes the handshake and then ignores everything it receives.
    const raw = connect(port, '127.0.0.1');
    raw.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let bytes = Buffer.alloc(0);
    raw.on('data', (chunk) => (bytes = Buffer.concat([bytes, chunk])));
    const [ws] = await connected;
    const rawClosed = once(raw, 'close');
    const result = await closeGracefully([ws], { code: 1012, timeout: 200 });
    expect(result).toEqual({ closed: 0, terminated: 1 });
    await rawClosed;
    // It did get the close frame first: 0x88, length 2, code 1012 (Service Restart).
    const frame = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4);
    expect([...frame]).toEqual([0x88, 0x02, 0x03, 0xf4]);
  });

  it('resolves at once with nothing to close, and rejects a negative timeout', async () => {
    expect(await closeGracefully([])).toEqual({ closed: 0, terminated: 0 });
    expect(() => closeGracefully([], { timeout: -1 })).toThrow(RangeError);
  });
});
