import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingWebSocket } from '../src/node.js';
import { nextEvent, startServer, TcpProxy, type TestServer, until } from './helpers.js';

let server: TestServer | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await server?.close();
});

describe('smoke', () => {
  it('opens, echoes, reconnects after a cut and resumes', async () => {
    server = await startServer({ windowMs: 5000 }, (ws) => {
      ws.subscribe('t');
      ws.on('message', (d, b) => ws.send(d, { binary: b }));
    });
    proxy = await new TcpProxy(server.port).listen();
    const ws = new ReconnectingWebSocket(proxy.url, undefined, {
      resume: true,
      minReconnectionDelay: 10,
      maxReconnectionDelay: 20,
    });
    const got: unknown[] = [];
    ws.onmessage = (e) => got.push((e as MessageEvent).data);
    await nextEvent(ws, 'open');
    ws.send('hi');
    await until(() => got.length === 1);
    server.wss.publish('t', 'a');
    await until(() => got.length === 2);
    proxy.cut();
    server.wss.publish('t', 'b');
    await nextEvent(ws, 'resumed');
    await until(() => got.length === 3);
    expect(got).toEqual(['hi', 'a', 'b']);
    ws.close();
  });
});
