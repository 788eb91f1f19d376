/**
 * Compatibility cases for `WebSocketServer`, written from `ws`'s documentation (doc/ws.md) and
 * run against `ws` itself and against `@strata-ws/ws`: any difference fails one of the two.
 */
import * as net from 'node:net';
import { Duplex } from 'node:stream';
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

/** Sends a raw HTTP request and collects the answer until the server closes. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      out += d;
      // a 101 keeps the connection open: its head is the whole answer
      if (out.startsWith('HTTP/1.1 101') && out.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
    socket.write(text);
    setTimeout(() => socket.destroy(), 2000).unref();
  });
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
function upgradeHead(path = '/', extra = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}

describe.each(implementations)('WebSocketServer (%s)', (_name, m) => {
  it('exports the classes on the default export and as named exports', () => {
    expect(m.default).toBe(m.WebSocket);
    expect(typeof m.WebSocketServer).toBe('function');
    expect(typeof m.createWebSocketStream).toBe('function');
    const internals = m as unknown as Record<string, unknown>;
    expect(typeof internals.Receiver).toBe('function');
    expect(typeof internals.Sender).toBe('function');
    expect([
      m.WebSocket.CONNECTING,
      m.WebSocket.OPEN,
      m.WebSocket.CLOSING,
      m.WebSocket.CLOSED,
    ]).toEqual([0, 1, 2, 3]);
  });

  it('requires exactly one of port, server, noServer', () => {
    const message =
      'One and only one of the "port", "server", or "noServer" options must be specified';
    expect(() => new m.WebSocketServer({})).toThrow(TypeError);
    expect(() => new m.WebSocketServer({})).toThrow(message);
    expect(() => new m.WebSocketServer({ port: 0, noServer: true })).toThrow(message);
  });

  it('address() throws in noServer mode; clients is undefined without clientTracking', () => {
    const wss = new m.WebSocketServer({ noServer: true, clientTracking: false });
    expect(() => wss.address()).toThrow('The server is operating in "noServer" mode');
    expect(wss.clients).toBeUndefined();
    const tracked = new m.WebSocketServer({ noServer: true });
    expect(tracked.clients).toBeInstanceOf(Set);
    expect(tracked.options.maxPayload).toBe(100 * 1024 * 1024);
    expect(tracked.options.perMessageDeflate).toBe(false);
    expect(tracked.options.clientTracking).toBe(true);
    expect(tracked.options.WebSocket).toBe(m.WebSocket);
  });

  it('echoes text and binary with (data: Buffer, isBinary)', async () => {
    const { wss, url } = await listen(m);
    const seen: Array<[string, boolean, boolean]> = [];
    wss.on('connection', (ws, req) => {
      expect(req.url).toBe('/chat?x=1');
      ws.on('message', (data, isBinary) => {
        seen.push([String(data), isBinary, Buffer.isBuffer(data)]);
        ws.send(data, { binary: isBinary });
      });
    });
    const client = new m.WebSocket(`${url}/chat?x=1`);
    await next(client, 'open');
    const got: Array<[string, boolean]> = [];
    client.on('message', (data, isBinary) => got.push([String(data), isBinary]));
    client.send('héllo');
    client.send(Buffer.from('bin'));
    client.send(new Uint8Array([0x61, 0x62]).buffer);
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (got.length === 3) {
          clearInterval(t);
          r();
        }
      }, 5);
    });
    expect(seen).toEqual([
      ['héllo', false, true],
      ['bin', true, true],
      ['ab', true, true],
    ]);
    expect(got).toEqual([
      ['héllo', false],
      ['bin', true],
      ['ab', true],
    ]);
    client.close();
    await shut(wss);
  });

  it('tracks clients and removes them on close', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    expect(wss.clients.size).toBe(1);
    expect(wss.clients.has(server)).toBe(true);
    const done = closed(server);
    client.close(4000, 'bye');
    expect(await done).toEqual({ code: 4000, reason: 'bye' });
    expect(wss.clients.size).toBe(0);
    await shut(wss);
  });

  it('delivers the close code and reason to both sides', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const serverClosed = closed(server);
    const clientClosed = closed(client);
    server.close(4001, 'server says bye');
    expect(await clientClosed).toEqual({ code: 4001, reason: 'server says bye' });
    expect(await serverClosed).toEqual({ code: 4001, reason: 'server says bye' });
    expect(server.readyState).toBe(m.WebSocket.CLOSED);
    await shut(wss);
  });

  it('a close without code gives 1005 to the other side', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const serverClosed = closed(server);
    client.close();
    expect(await serverClosed).toEqual({ code: 1005, reason: '' });
    await shut(wss);
  });

  it('terminate() gives 1006 to the other side', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    const serverClosed = closed(server);
    await next(client, 'open');
    client.terminate();
    expect(client.readyState).toBe(m.WebSocket.CLOSING);
    expect(await serverClosed).toEqual({ code: 1006, reason: '' });
    await shut(wss);
  });

  it('verifyClient (sync) refuses with 401; the client sees unexpected-response', async () => {
    const { wss, url } = await listen(m, {
      verifyClient: (info: { req: { headers: Record<string, unknown> } }) =>
        info.req.headers['x-token'] === 'ok',
    });
    const client = new m.WebSocket(url);
    const [req, res] = await next<[unknown, { statusCode: number }]>(client, 'unexpected-response');
    expect(res.statusCode).toBe(401);
    (req as { destroy(): void }).destroy();
    const good = new m.WebSocket(url, { headers: { 'x-token': 'ok' } });
    await next(good, 'open');
    good.close();
    await shut(wss);
  });

  it('verifyClient (async) refuses with its code, message and headers', async () => {
    const { wss, url } = await listen(m, {
      verifyClient: (info, cb) => {
        expect(info.origin).toBe('https://app.example');
        expect(info.secure).toBe(false);
        setTimeout(() => cb(false, 403, 'Go away', { 'X-Why': 'test' }), 5);
      },
    });
    const client = new m.WebSocket(url, { origin: 'https://app.example' });
    const [, res] = await next<
      [unknown, NodeJS.EventEmitter & { statusCode: number; headers: Record<string, string> }]
    >(client, 'unexpected-response');
    expect(res.statusCode).toBe(403);
    expect(res.headers['x-why']).toBe('test');
    let body = '';
    res.on('data', (d: Buffer) => {
      body += d.toString();
    });
    await next(res, 'end');
    expect(body).toBe('Go away');
    await shut(wss);
  });

  it('an error without unexpected-response listener names the status', async () => {
    const { wss, url } = await listen(m, { verifyClient: () => false });
    const client = new m.WebSocket(url);
    const clientClosed = closed(client);
    const [error] = await next<[Error]>(client, 'error');
    expect(error.message).toBe('Unexpected server response: 401');
    expect(await clientClosed).toEqual({ code: 1006, reason: '' });
    await shut(wss);
  });

  it('handleProtocols picks from the offered Set', async () => {
    const { wss, url } = await listen(m, {
      handleProtocols: (protocols, req) => {
        expect(protocols).toBeInstanceOf(Set);
        expect(req.url).toBe('/');
        return protocols.has('b') ? 'b' : false;
      },
    });
    const client = new m.WebSocket(url, ['a', 'b']);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    expect(server.protocol).toBe('b');
    expect(client.protocol).toBe('b');
    client.close();
    await shut(wss);
  });

  it('without handleProtocols the first offered protocol is selected', async () => {
    const { wss, url } = await listen(m);
    const client = new m.WebSocket(url, ['first', 'second']);
    await next(client, 'open');
    expect(client.protocol).toBe('first');
    client.close();
    await shut(wss);
  });

  it('path: other paths are refused with 400', async () => {
    const { wss, port } = await listen(m, { path: '/ws' });
    const answer = await rawRequest(port, upgradeHead('/other'));
    expect(answer.startsWith('HTTP/1.1 400 Bad Request')).toBe(true);
    const ok = await rawRequest(port, upgradeHead('/ws?token=1'));
    expect(ok.startsWith('HTTP/1.1 101 Switching Protocols')).toBe(true);
    await shut(wss);
  });

  it('answers plain HTTP on its own port with 426', async () => {
    const { wss, port } = await listen(m);
    const answer = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer.startsWith('HTTP/1.1 426 Upgrade Required')).toBe(true);
    expect(answer.endsWith('\r\n\r\nUpgrade Required')).toBe(true);
    await shut(wss);
  });

  it("refuses broken requests with ws's status and message", async () => {
    const { wss, port } = await listen(m);
    const badUpgrade = await rawRequest(
      port,
      upgradeHead().replace('Upgrade: websocket', 'Upgrade: h2c'),
    );
    expect(badUpgrade).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(badUpgrade.endsWith('Invalid Upgrade header')).toBe(true);
    const badKey = await rawRequest(port, upgradeHead().replace(KEY, 'short'));
    expect(badKey).toMatch(/^HTTP\/1\.1 400 /);
    expect(badKey.endsWith('Missing or invalid Sec-WebSocket-Key header')).toBe(true);
    const badVersion = await rawRequest(
      port,
      upgradeHead().replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 12'),
    );
    expect(badVersion).toMatch(/^HTTP\/1\.1 400 /);
    expect(badVersion.endsWith('Missing or invalid Sec-WebSocket-Version header')).toBe(true);
    await shut(wss);
  });

  it('wsClientError gets the error, socket and request instead of an answer', async () => {
    const { wss, port } = await listen(m);
    wss.on('wsClientError', (error, socket, req) => {
      expect(req.headers.upgrade).toBe('h2c');
      socket.end(`HTTP/1.1 418 I'm a Teapot\r\nConnection: close\r\n\r\n${error.message}`);
    });
    const answer = await rawRequest(
      port,
      upgradeHead().replace('Upgrade: websocket', 'Upgrade: h2c'),
    );
    expect(answer.startsWith("HTTP/1.1 418 I'm a Teapot")).toBe(true);
    expect(answer.endsWith('Invalid Upgrade header')).toBe(true);
    await shut(wss);
  });

  it('headers: listeners extend the 101 header lines', async () => {
    const { wss, url } = await listen(m);
    wss.on('headers', (headers, req) => {
      expect(headers[0]).toBe('HTTP/1.1 101 Switching Protocols');
      expect(req.url).toBe('/');
      headers.push('Set-Cookie: id=42');
    });
    const client = new m.WebSocket(url);
    const opened = next(client, 'open');
    const [res] = await next<[{ headers: Record<string, string[]> }]>(client, 'upgrade');
    expect(res.headers['set-cookie']).toEqual(['id=42']);
    await opened;
    client.close();
    await shut(wss);
  });

  it('noServer + handleUpgrade; a second handleUpgrade on one socket throws', async () => {
    const wss = new m.WebSocketServer({ noServer: true });
    const { server, port } = await httpServer();
    const errors: Error[] = [];
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      try {
        wss.handleUpgrade(req, socket, head, () => {});
      } catch (error) {
        errors.push(error as Error);
      }
    });
    const client = new m.WebSocket(`ws://127.0.0.1:${port}`);
    const [ws] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    expect(ws).toBeInstanceOf(m.WebSocket);
    expect(errors.map((e) => e.message)).toEqual([
      'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
    ]);
    client.close();
    await closed(ws);
    await new Promise<void>((r) => wss.close(() => r()));
    await closeHttp(server);
  });

  it('handleUpgrade accepts any Duplex (not only a net.Socket)', async () => {
    const wss = new m.WebSocketServer({ noServer: true });
    const written: Buffer[] = [];
    const duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        callback();
      },
    });
    const req = {
      method: 'GET',
      url: '/',
      httpVersion: '1.1',
      headers: {
        host: 'localhost',
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': KEY,
        'sec-websocket-version': '13',
      },
      socket: duplex,
    };
    const opened = new Promise<WsSocket>((resolve) => {
      wss.handleUpgrade(req as never, duplex, Buffer.alloc(0), (ws) => resolve(ws));
    });
    const ws = await opened;
    expect(Buffer.concat(written).toString().startsWith('HTTP/1.1 101 Switching Protocols')).toBe(
      true,
    );
    const message = next<[Buffer, boolean]>(ws, 'message');
    duplex.push(Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2])); // masked "hi"
    const [data, isBinary] = await message;
    expect([String(data), isBinary]).toEqual(['hi', false]);
    ws.terminate();
  });

  it('a client gone during an async verifyClient gets no connection', async () => {
    let connections = 0;
    let decide: (() => void) | undefined;
    const verified = new Promise<void>((resolve) => {
      decide = resolve;
    });
    const { wss, port } = await listen(m, {
      verifyClient: (_info, cb) => {
        decide?.();
        setTimeout(() => cb(true), 100);
      },
    });
    wss.on('connection', () => connections++);
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(upgradeHead());
    await verified;
    socket.destroy();
    await new Promise((r) => setTimeout(r, 250));
    expect(connections).toBe(0);
    await shut(wss);
  });

  it('server option: attaches to an http server; shouldHandle follows path', async () => {
    const { server, port } = await httpServer();
    const wss = new m.WebSocketServer({ server, path: '/a' });
    expect(wss.shouldHandle({ url: '/a?q' } as never)).toBe(true);
    expect(wss.shouldHandle({ url: '/b' } as never)).toBe(false);
    expect((wss.address() as { port: number }).port).toBe(port);
    const client = new m.WebSocket(`ws://127.0.0.1:${port}/a`);
    await next(client, 'open');
    client.close();
    await new Promise<void>((r) => wss.close(() => r()));
    await closeHttp(server);
  });

  it('close(cb): close event; closing again reports "The server is not running"', async () => {
    const { wss } = await listen(m);
    await new Promise<void>((r) => wss.close(() => r()));
    const error = await new Promise<Error | undefined>((r) => wss.close((e) => r(e)));
    expect(error?.message).toBe('The server is not running');
  });

  it('the WebSocket option sets the class of server-side sockets', async () => {
    class Tagged extends m.WebSocket {
      tag = 'mine';
    }
    const { wss, url } = await listen(m, { WebSocket: Tagged });
    const client = new m.WebSocket(url);
    const [ws] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    expect(ws).toBeInstanceOf(Tagged);
    expect((ws as Tagged).tag).toBe('mine');
    client.close();
    await shut(wss);
  });

  it('maxPayload: a larger message fails the connection with 1009', async () => {
    const { wss, url } = await listen(m, { maxPayload: 8 });
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    const serverError = next<[Error & { code?: string }]>(server, 'error');
    const clientClosed = closed(client);
    await next(client, 'open');
    client.send('123456789');
    const [error] = await serverError;
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect((await clientClosed).code).toBe(1009);
    await shut(wss);
  });

  it('perMessageDeflate: negotiated and round-trips large messages', async () => {
    const { wss, url } = await listen(m, { perMessageDeflate: { threshold: 0 } });
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    const client = new m.WebSocket(url, { perMessageDeflate: true });
    await next(client, 'open');
    expect(client.extensions).toBe('permessage-deflate');
    const big = 'abc'.repeat(20_000);
    client.send(big);
    const [data, isBinary] = await next<[Buffer, boolean]>(client, 'message');
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe(big);
    client.close();
    await shut(wss);
  });

  it('autoPong: false leaves pings unanswered; ping events carry the payload', async () => {
    const { wss, url } = await listen(m, { autoPong: false });
    const client = new m.WebSocket(url);
    const [server] = await next<[WsSocket]>(wss, 'connection');
    await next(client, 'open');
    const pings: string[] = [];
    server.on('ping', (data) => pings.push(data.toString()));
    let pongs = 0;
    client.on('pong', () => pongs++);
    client.ping('p1');
    await new Promise((r) => setTimeout(r, 50));
    expect(pings).toEqual(['p1']);
    expect(pongs).toBe(0);
    server.pong('manual');
    const [payload] = await next<[Buffer]>(client, 'pong');
    expect(payload.toString()).toBe('manual');
    client.close();
    await shut(wss);
  });

  it('backlog is passed to listen and kept in options', async () => {
    const { wss, url } = await listen(m, { backlog: 8 });
    expect(wss.options.backlog).toBe(8);
    const client = new m.WebSocket(url);
    await next(client, 'open');
    const done = closed(client);
    client.close();
    await done;
    await shut(wss);
  });
});
