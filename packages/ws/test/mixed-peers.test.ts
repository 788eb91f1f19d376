/**
 * Mixed peers: a `ws` client against an `@strata-ws/ws` server and the reverse, with and
 * without permessage-deflate; messages of several sizes both ways, pings, and the closing
 * handshake's code and reason.
 */
import { describe, expect, it } from 'vitest';
import { closed, implementations, listen, next, shut, type WsSocket } from './impls.js';

const [[, ws], [, strata]] = implementations as [
  readonly [string, (typeof implementations)[number][1]],
  readonly [string, (typeof implementations)[number][1]],
];

const pairs = [
  ['ws client -> @strata-ws/ws server', ws, strata],
  ['@strata-ws/ws client -> ws server', strata, ws],
] as const;

describe.each(pairs)('%s', (_title, clientModule, serverModule) => {
  it.each([false, true])('echoes 0 B .. 1 MiB, text and binary (deflate: %s)', async (deflate) => {
    const { wss, url } = await listen(serverModule, { perMessageDeflate: deflate });
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const client = new clientModule.WebSocket(url, { perMessageDeflate: deflate });
    await next(client, 'open');
    expect(client.extensions).toBe(deflate ? 'permessage-deflate' : '');
    const sizes = [0, 1, 125, 126, 65_535, 65_536, 1 << 20];
    const received: Array<[number, boolean, string]> = [];
    const done = new Promise<void>((resolve) => {
      client.on('message', (data, isBinary) => {
        const buf = data as Buffer;
        received.push([buf.length, isBinary, buf.subarray(-3).toString('hex')]);
        if (received.length === sizes.length * 2) resolve();
      });
    });
    const expected: Array<[number, boolean, string]> = [];
    for (const size of sizes) {
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 7 + size) & 0xff;
      const text = 'ab€'.repeat(Math.ceil(size / 5)).slice(0, size);
      client.send(bytes, { binary: true });
      client.send(text);
      expected.push([size, true, bytes.subarray(-3).toString('hex')]);
      const encoded = Buffer.from(text);
      expected.push([encoded.length, false, encoded.subarray(-3).toString('hex')]);
    }
    await done;
    expect(received).toEqual(expected);
    const clientClosed = closed(client);
    client.close(4000, 'mixed');
    expect((await clientClosed).code).toBe(4000);
    await shut(wss);
  });

  it('pings both ways and a server-initiated close', async () => {
    const { wss, url } = await listen(serverModule);
    const client = new clientModule.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const pong = next<[Buffer]>(server, 'pong');
    server.ping('s');
    expect(String((await pong)[0])).toBe('s');
    const clientPong = next<[Buffer]>(client, 'pong');
    client.ping('c');
    expect(String((await clientPong)[0])).toBe('c');
    const clientClosed = closed(client);
    server.close(4002, 'server done');
    expect(await clientClosed).toEqual({ code: 4002, reason: 'server done' });
    await shut(wss);
  });
});
