import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketServer } from './server.js';
import { closeGracefully } from './shutdown.js';

let server: WebSocketServer | undefined;
afterEach(async () => {
  const wss = server;
  server = undefined;
  if (wss) {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
});

async function start(): Promise<{ wss: WebSocketServer; url: string; port: number }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
  server = wss;
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
