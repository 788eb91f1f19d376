import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocketServer } from '../src/index.js';
import { echo, openClient, startServer, stopServer } from './helpers.js';

let server: WebSocketServer<unknown> | undefined;
afterEach(async () => {
  if (server) await stopServer(server);
  server = undefined;
});

describe('echo with a ws client', () => {
  it('echoes text and binary with their type', async () => {
    const { wss, url } = await startServer();
    server = wss;
    echo(wss);
    const client = await openClient(url);
    const got: Array<[string, boolean]> = [];
    client.on('message', (data, isBinary) => got.push([String(data), isBinary]));
    client.send('hello');
    client.send(Buffer.from('bin'));
    while (got.length < 2) await once(client, 'message');
    expect(got).toEqual([
      ['hello', false],
      ['bin', true],
    ]);
    const serverSide = [...wss.clients][0]!;
    const serverClosed = once(serverSide, 'close');
    client.close(1000, 'bye');
    const [code] = await once(client, 'close');
    expect(code).toBe(1000);
    expect(await serverClosed).toEqual([1000, 'bye']);
  });
});
