/** Lifecycle events on node:diagnostics_channel and the server's counters. */
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ChannelName, WebSocketServer } from '../src/index.js';

let server: WebSocketServer | undefined;
const unsubscribers: Array<() => void> = [];
afterEach(async () => {
  for (const u of unsubscribers.splice(0)) u();
  const wss = server;
  server = undefined;
  if (wss) {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
});

function record(events: Array<[string, Record<string, unknown>]>): void {
  for (const name of Object.values(ChannelName)) {
    const listener = (message: unknown) => events.push([name, message as Record<string, unknown>]);
    diagnosticsChannel.subscribe(name, listener);
    unsubscribers.push(() => diagnosticsChannel.unsubscribe(name, listener));
  }
}

describe('diagnostics_channel lifecycle events', () => {
  it('publishes upgrade, open, close, refused and error with their details', async () => {
    const events: Array<[string, Record<string, unknown>]> = [];
    record(events);
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      protocols: ['chat'],
      heartbeatInterval: 0,
      closeTimeout: 300,
    });
    server = wss;
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws) => ws.on('message', (d, b) => ws.send(d, { binary: b })));

    // 1. A good connection that exchanges a message and closes with 4000.
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, ['chat']);
    await once(client, 'open');
    client.send('hi');
    await once(client, 'message');
    const [serverSide] = [...wss.clients];
    const closed = once(serverSide!, 'close');
    client.close(4000, 'bye');
    await closed;

    // 2. A refused handshake (unsupported version: 426).
    const refused = connect(port, '127.0.0.1');
    refused.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n',
    );
    let answer = '';
    refused.on('data', (c) => (answer += c));
    await once(refused, 'close');
    expect(answer).toMatch(/^HTTP\/1\.1 426 /);

    // 3. A protocol error: an unmasked client frame (RFC 6455 §5.1) fails with 1002.
    const raw = connect(port, '127.0.0.1');
    raw.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [failing] = await once(wss, 'connection');
    // (events.once would reject on the 'error' event that precedes 'close')
    const failed = new Promise((resolve) => failing.once('close', resolve));
    raw.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    await failed;
    raw.destroy();

    const names = events.map(([name]) => name);
    expect(names).toEqual([
      'strata:server:upgrade',
      'strata:server:open',
      'strata:server:close',
      'strata:server:upgrade',
      'strata:server:refused',
      'strata:server:upgrade',
      'strata:server:open',
      'strata:server:error',
      'strata:server:close',
    ]);
    const open = events[1]![1];
    expect(open).toMatchObject({ transport: 'http/1.1', protocol: 'chat', extensions: '' });
    expect(open.connection).toBe(serverSide);
    expect(events[2]![1]).toMatchObject({ code: 4000, reason: 'bye', wasClean: true });
    expect(events[4]![1]).toMatchObject({ transport: 'http/1.1', status: 426 });
    expect(String(events[4]![1].reason)).toMatch(/version/i);
    expect((events[7]![1].error as { closeCode: number }).closeCode).toBe(1002);
    expect(events[8]![1]).toMatchObject({ code: 1002 });

    expect(wss.counters.snapshot()).toMatchObject({
      connectionsOpen: 0,
      connectionsTotal: 2,
      connectionsHttp1: 2,
      connectionsHttp2: 0,
      handshakesRefused: 1,
      messagesReceived: 1,
      messagesSent: 1,
    });
    expect(wss.counters.bytesReceived).toBeGreaterThan(0);
    expect(wss.counters.bytesSent).toBeGreaterThan(0);
  });
});
