/**
 * Compatibility cases for the `WebSocket` client and socket API, written from `ws`'s
 * documentation (doc/ws.md) and run against `ws` itself and against `@strata-ws/ws`.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  closed,
  closeHttp,
  httpServer,
  implementations,
  listen,
  next,
  shut,
  type WsSocket,
} from './impls.js';

/** A TCP server that accepts and never answers (for handshake timeouts). */
async function silentServer(): Promise<{ server: net.Server; port: number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await next(server, 'listening');
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  }) as typeof server.close;
  return { server, port: (server.address() as net.AddressInfo).port };
}

describe.each(implementations)('WebSocket client (%s)', (_name, m) => {
  it('exposes the ready-state constants on instances', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    expect(client.readyState).toBe(m.WebSocket.CONNECTING);
    expect([client.CONNECTING, client.OPEN, client.CLOSING, client.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(client.url).toBe(`${url}/`);
    expect(client.binaryType).toBe('nodebuffer');
    expect(client.bufferedAmount).toBe(0);
    expect(client.protocol).toBe('');
    await next(client, 'open');
    expect(client.readyState).toBe(m.WebSocket.OPEN);
    expect(client.extensions).toBe('');
    const done = closed(client);
    client.close();
    expect(client.readyState).toBe(m.WebSocket.CLOSING);
    expect(await done).toEqual({ code: 1005, reason: '' });
    expect(client.readyState).toBe(m.WebSocket.CLOSED);
    await shut(wss);
  });

  it('rejects bad URLs and protocol versions at construction', () => {
    expect(() => new m.WebSocket('not a url')).toThrow(SyntaxError);
    expect(() => new m.WebSocket('not a url')).toThrow('Invalid URL: not a url');
    expect(() => new m.WebSocket('ftp://example.com')).toThrow(
      'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"',
    );
    expect(() => new m.WebSocket('ws://example.com/#frag')).toThrow(
      'The URL contains a fragment identifier',
    );
    expect(() => new m.WebSocket('ws://example.com', { protocolVersion: 9 })).toThrow(
      'Unsupported protocol version: 9 (supported versions: 8, 13)',
    );
  });

  it('send() while CONNECTING throws; after close the callback gets an error', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    expect(() => client.send('x')).toThrow('WebSocket is not open: readyState 0 (CONNECTING)');
    expect(() => client.ping()).toThrow('WebSocket is not open: readyState 0 (CONNECTING)');
    await next(client, 'open');
    const done = closed(client);
    client.close();
    const error = await new Promise<Error | undefined>((r) => client.send('late', (e) => r(e)));
    expect(error?.message).toBe('WebSocket is not open: readyState 2 (CLOSING)');
    await done;
    await shut(wss);
  });

  it('send callbacks are called once the data is written', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    await next(client, 'open');
    const results = await Promise.all(
      ['a', 'b', 'c'].map(
        (d) => new Promise<Error | undefined | null>((r) => client.send(d, { binary: false }, r)),
      ),
    );
    expect(results.every((e) => e == null)).toBe(true);
    const pinged = await new Promise<Error | undefined | null>((r) => client.ping('x', true, r));
    expect(pinged == null).toBe(true);
    client.close();
    await shut(wss);
  });

  it('close() validates the code and the reason length', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    await next(client, 'open');
    expect(() => client.close(1005)).toThrow('First argument must be a valid error code number');
    expect(() => client.close(1000, 'x'.repeat(124))).toThrow(
      'The message must not be greater than 123 bytes',
    );
    expect(() => client.ping(Buffer.alloc(126))).toThrow(
      'The data size must not be greater than 125 bytes',
    );
    client.terminate();
    await shut(wss);
  });

  it('close() while CONNECTING: error then close 1006', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const events: string[] = [];
    client.on('error', (e) => events.push(`error:${e.message}`));
    client.on('close', (code) => events.push(`close:${code}`));
    const done = closed(client);
    client.close();
    await done;
    expect(events).toEqual([
      'error:WebSocket was closed before the connection was established',
      'close:1006',
    ]);
    await shut(wss);
  });

  it('binaryType arraybuffer and fragments', async () => {
    const { wss, url } = await listen(m);
    wss.on('connection', (ws) => ws.send(Buffer.from([1, 2, 3])));
    const client = new m.WebSocket(url);
    client.binaryType = 'arraybuffer';
    const [data, isBinary] = await next<[ArrayBuffer, boolean]>(client, 'message');
    expect(isBinary).toBe(true);
    expect(data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(data)]).toEqual([1, 2, 3]);
    client.binaryType = 'fragments';
    const second = new m.WebSocket(url);
    second.binaryType = 'fragments';
    const [frags] = await next<[Buffer[]]>(second, 'message');
    expect(Array.isArray(frags)).toBe(true);
    expect(Buffer.concat(frags)).toEqual(Buffer.from([1, 2, 3]));
    client.binaryType = 'bogus' as never;
    expect(client.binaryType).toBe('fragments');
    client.close();
    second.close();
    await shut(wss);
  });

  it('text is delivered as a Buffer with isBinary false, whatever the binaryType', async () => {
    const { wss, url } = await listen(m);
    wss.on('connection', (ws) => ws.send('text'));
    const client = new m.WebSocket(url);
    client.binaryType = 'arraybuffer';
    const [data, isBinary] = await next<[Buffer, boolean]>(client, 'message');
    expect(isBinary).toBe(false);
    expect(Buffer.isBuffer(data)).toBe(true);
    expect(data.toString()).toBe('text');
    client.close();
    await shut(wss);
  });

  it('ping and pong events; autoPong answers with the same payload', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const clientPing = next<[Buffer]>(client, 'ping');
    const serverPong = next<[Buffer]>(server, 'pong');
    server.ping('are you there');
    expect(String((await clientPing)[0])).toBe('are you there');
    expect(String((await serverPong)[0])).toBe('are you there');
    client.close();
    await shut(wss);
  });

  it('addEventListener shim and on<event> attributes', async () => {
    const { wss, url } = await listen(m);
    wss.on('connection', (ws) => {
      ws.send('hi');
      ws.send(Buffer.from('bin'));
    });
    const client = new m.WebSocket(url);
    const events: string[] = [];
    const onMessage = (e: { data: unknown; type: string; target: unknown }) => {
      events.push(`${e.type}:${typeof e.data === 'string' ? e.data : 'binary'}`);
      expect(e.target).toBe(client);
    };
    client.addEventListener('message', onMessage);
    client.addEventListener('message', onMessage); // a duplicate is ignored
    client.onopen = (e) => events.push(e.type);
    expect(typeof client.onopen).toBe('function');
    const gotClose = new Promise<{ code: number; wasClean: boolean }>((r) => {
      client.onclose = (e) => r({ code: e.code, wasClean: e.wasClean });
    });
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (events.length === 3) {
          clearInterval(t);
          r();
        }
      }, 5);
    });
    expect(events).toEqual(['open', 'message:hi', 'message:binary']);
    client.removeEventListener('message', onMessage);
    expect(client.listenerCount('message')).toBe(0);
    client.close(1000);
    expect(await gotClose).toEqual({ code: 1000, wasClean: true });
    await shut(wss);
  });

  it('pause() and resume(): isPaused, messages held while paused', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    expect(client.isPaused).toBe(false);
    client.pause();
    expect(client.isPaused).toBe(true);
    const got: string[] = [];
    client.on('message', (d) => got.push(String(d)));
    server.send('one');
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
    client.resume();
    expect(client.isPaused).toBe(false);
    await next(client, 'message');
    expect(got).toEqual(['one']);
    client.close();
    await shut(wss);
  });

  it('upgrade event carries the 101 response; unexpected-response for other statuses', async () => {
    const { server, port } = await httpServer((_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('nope');
    });
    const client = new m.WebSocket(`ws://127.0.0.1:${port}`);
    const [, res] = await next<[unknown, { statusCode: number }]>(client, 'unexpected-response');
    expect(res.statusCode).toBe(404);
    const aborted = new Promise<Error>((r) => client.once('error', r));
    client.terminate();
    expect((await aborted).message).toBe(
      'WebSocket was closed before the connection was established',
    );
    const other = new m.WebSocket(`ws://127.0.0.1:${port}`);
    const otherClosed = closed(other);
    const [error] = await next<[Error]>(other, 'error');
    expect(error.message).toBe('Unexpected server response: 404');
    expect((await otherClosed).code).toBe(1006);
    await closeHttp(server);
  });

  it('followRedirects: redirect event, then the new location', async () => {
    const { wss, port: wsPort } = await listen(m);
    const { server, port } = await httpServer((_req, res) => {
      res.writeHead(302, { Location: `ws://127.0.0.1:${wsPort}/moved` });
      res.end();
    });
    const client = new m.WebSocket(`ws://127.0.0.1:${port}/old`, { followRedirects: true });
    const [url] = await next<[string]>(client, 'redirect');
    expect(url).toBe(`ws://127.0.0.1:${wsPort}/moved`);
    await next(client, 'open');
    expect(client.url).toBe(`ws://127.0.0.1:${wsPort}/moved`);
    client.close();
    const limited = new m.WebSocket(`ws://127.0.0.1:${port}/old`, {
      followRedirects: true,
      maxRedirects: 0,
    });
    const [error] = await next<[Error]>(limited, 'error');
    expect(error.message).toBe('Maximum redirects exceeded');
    await shut(wss);
    await closeHttp(server);
  });

  it('handshakeTimeout: error "Opening handshake has timed out", close 1006', async () => {
    const { server, port } = await silentServer();
    const client = new m.WebSocket(`ws://127.0.0.1:${port}`, { handshakeTimeout: 50 });
    const done = closed(client);
    const [error] = await next<[Error]>(client, 'error');
    expect(error.message).toBe('Opening handshake has timed out');
    expect((await done).code).toBe(1006);
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('headers, origin, finishRequest, createConnection and generateMask are used', async () => {
    const { wss, url, port } = await listen(m);
    const seen: Record<string, unknown> = {};
    wss.on('connection', (ws, req) => {
      seen.auth = req.headers.authorization;
      seen.origin = req.headers.origin;
      seen.extra = req.headers['x-extra'];
      ws.on('message', (d) => ws.send(d));
    });
    let connections = 0;
    let finished = 0;
    let masks = 0;
    const client = new m.WebSocket(url, {
      headers: { Authorization: 'Bearer t' },
      origin: 'https://origin.example',
      createConnection: ((opts: net.NetConnectOpts) => {
        connections++;
        return net.connect({ ...(opts as net.TcpNetConnectOpts), port, host: '127.0.0.1' });
      }) as never,
      finishRequest: (req) => {
        finished++;
        req.setHeader('X-Extra', 'yes');
        req.end();
      },
      generateMask: (mask: Buffer) => {
        masks++;
        mask.fill(0);
      },
    });
    await next(client, 'open');
    client.send('masked');
    const [echo] = await next<[Buffer]>(client, 'message');
    expect(echo.toString()).toBe('masked');
    expect(seen).toEqual({ auth: 'Bearer t', origin: 'https://origin.example', extra: 'yes' });
    expect([connections, finished]).toEqual([1, 1]);
    expect(masks).toBeGreaterThan(0);
    client.close();
    await shut(wss);
  });

  it('perMessageDeflate: false sends no offer', async () => {
    const { wss, url } = await listen(m, { perMessageDeflate: true });
    const offers: unknown[] = [];
    wss.on('connection', (_ws, req) => offers.push(req.headers['sec-websocket-extensions']));
    const plain = new m.WebSocket(url, { perMessageDeflate: false });
    await next(plain, 'open');
    expect(plain.extensions).toBe('');
    const deflate = new m.WebSocket(url);
    await next(deflate, 'open');
    expect(deflate.extensions).toBe('permessage-deflate');
    expect(offers[0]).toBeUndefined();
    expect(String(offers[1])).toContain('permessage-deflate');
    plain.close();
    deflate.close();
    await shut(wss);
  });

  it('a protocol error from the peer: error event with a code, then close 1006', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', (head: Buffer) => {
        const key = /sec-websocket-key: (.+)\r\n/i.exec(head.toString())?.[1] ?? '';
        const accept = require('node:crypto')
          .createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        socket.write(Buffer.from([0x83, 0x00])); // reserved opcode 3
      });
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await next(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const client = new m.WebSocket(`ws://127.0.0.1:${port}`);
    const done = closed(client);
    const [error] = await next<[Error & { code?: string }]>(client, 'error');
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('WS_ERR_INVALID_OPCODE');
    expect((await done).code).toBe(1006);
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('createWebSocketStream: a Duplex over the socket', async () => {
    const { wss, url } = await listen(m);
    wss.on('connection', (ws) => ws.on('message', (d) => ws.send(`echo:${d}`)));
    const client = new m.WebSocket(url);
    const duplex = m.createWebSocketStream(client, { encoding: 'utf8' });
    duplex.write('streamed');
    const [chunk] = await next<[string]>(duplex, 'data');
    expect(chunk).toBe('echo:streamed');
    const ended = closed(client);
    duplex.end();
    duplex.resume();
    expect((await ended).code).toBe(1005);
    await shut(wss);
  });

  it('both ends closing at once: both close events, both sockets end', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const both = Promise.all([closed(client), closed(server)]);
    client.close(1000, 'c');
    server.close(1001, 's');
    const [c, s] = await both;
    expect(c.code).toBe(1001);
    expect(s.code).toBe(1000);
    await shut(wss);
  });

  it('bufferedAmount counts sends refused after close', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    await next(client, 'open');
    const done = closed(client);
    client.close();
    await done;
    client.send('12345');
    expect(client.bufferedAmount).toBe(5);
    await shut(wss);
  });

  it('agent: the handshake request goes through the given http.Agent', async () => {
    const { wss, url } = await listen(m);
    const agent = new http.Agent({ keepAlive: false });
    let created = 0;
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
      created++;
      return createConnection(...args);
    }) as typeof agent.createConnection;
    const client = new m.WebSocket(url, { agent });
    await next(client, 'open');
    expect(created).toBe(1);
    const done = closed(client);
    client.close();
    await done;
    agent.destroy();
    await shut(wss);
  });

  it('maxPayload (client): a larger message fails with 1009 and WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url, { maxPayload: 16 });
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const serverClosed = closed(server);
    const clientClosed = closed(client);
    const errored = next<[Error & { code?: string }]>(client, 'error');
    server.send(Buffer.alloc(17));
    const [error] = await errored;
    expect(error.code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect((await serverClosed).code).toBe(1009);
    expect((await clientClosed).code).toBe(1006);
    await shut(wss);
  });

  it('allowSynchronousEvents and skipUTF8Validation are accepted; valid messages arrive in order', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url, {
      allowSynchronousEvents: false,
      skipUTF8Validation: true,
    });
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      client.on('message', (data: Buffer, isBinary: boolean) => {
        got.push(`${isBinary}:${data.toString()}`);
        if (got.length === 3) resolve();
      });
    });
    server.send('a');
    server.send(Buffer.from('b'));
    server.send('é');
    await all;
    expect(got).toEqual(['false:a', 'true:b', 'false:é']);
    await shut(wss);
  });

  it('onmessage and onerror attributes receive the shim events', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const message = new Promise<{ type: string; data: unknown }>((resolve) => {
      client.onmessage = (e) => resolve({ type: e.type, data: e.data });
    });
    expect(typeof client.onmessage).toBe('function');
    server.send('hi');
    const got = await message;
    expect(got.type).toBe('message');
    expect(got.data).toBe('hi');
    const error = new Promise<{ type: string; message: string }>((resolve) => {
      client.onerror = (e) => resolve({ type: e.type, message: e.message });
    });
    // an unmasked server frame is not allowed for a client's peer: make the server send one raw
    const raw = (server as unknown as { _socket: net.Socket })._socket;
    raw.write(Buffer.from([0x81, 0x81, 0, 0, 0, 0, 0x61]));
    const err = await error;
    expect(err.type).toBe('error');
    expect(err.message.length).toBeGreaterThan(0);
    await shut(wss);
  });
});
