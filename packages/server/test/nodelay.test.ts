// TCP_NODELAY is set when a connection first sends frames, once, and not for a connection
// that never sends (the setsockopt call is saved on idle and short-lived connections).
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerWebSocket, WebSocketServer } from '../src/index.js';
import { openClient, startServer, stopServer } from './helpers.js';

let server: WebSocketServer<unknown> | undefined;
afterEach(async () => {
  if (server) await stopServer(server);
  server = undefined;
});

describe('TCP_NODELAY', () => {
  it('is set by the first send, once, before the frame is written', async () => {
    const { wss, url } = await startServer();
    server = wss;
    const calls: string[] = [];
    wss.on('connection', (ws: ServerWebSocket) => {
      const socket = ws.socket as Socket;
      const setNoDelay = socket.setNoDelay.bind(socket);
      const write = socket.write.bind(socket) as (chunk: Uint8Array, cb?: () => void) => boolean;
      socket.setNoDelay = (value?: boolean) => {
        calls.push(`setNoDelay(${value})`);
        return setNoDelay(value);
      };
      (socket as unknown as { write: typeof write }).write = (chunk, cb) => {
        calls.push('write');
        return write(chunk, cb);
      };
      ws.on('message', (data) => {
        ws.send(data);
        setImmediate(() => ws.send(data));
      });
    });
    const client = await openClient(url);
    const got: string[] = [];
    client.on('message', (d: Buffer) => got.push(d.toString()));
    expect(calls).toEqual([]); // open and idle: no call
    client.send('hi');
    await new Promise<void>((resolve) => {
      const check = () => (got.length === 2 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(got).toEqual(['hi', 'hi']);
    expect(calls).toEqual(['setNoDelay(true)', 'write', 'write']);
    client.close();
    await once(client, 'close');
  });
});
