// A server that owns its port reads request heads itself (http1-listener.ts), without
// node:http: what it answers on the wire, the request object the hooks and `connection`
// receive (compared with what node:http makes of the same bytes), and that no socket is
// left without an end. Raw sockets on 127.0.0.1.
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect, Server as NetServer, Socket } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { incomingMessage, nodeHeaders } from '../src/http1-listener.js';
import type { ServerWebSocket, WebSocketServer } from '../src/index.js';
import { echo, startServer, stopServer } from './helpers.js';

let server: WebSocketServer<unknown> | undefined;
afterEach(async () => {
  if (server) await stopServer(server);
  server = undefined;
});

async function started(
  options: Parameters<typeof startServer>[0] = {},
): Promise<{ wss: WebSocketServer<unknown>; port: number }> {
  const s = await startServer(options);
  server = s.wss;
  return s;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const UPGRADE =
  'GET /chat?room=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/**
 * Connects and writes `chunks` (one write each, a turn of the event loop apart); `answer()`
 * is everything received so far (latin1).
 */
async function send(
  port: number,
  chunks: ReadonlyArray<string | Buffer>,
): Promise<{ socket: Socket; answer: () => string }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let answer = '';
  socket.on('data', (c) => (answer += c.toString('latin1')));
  await once(socket, 'connect');
  for (const chunk of chunks) {
    socket.write(chunk);
    await new Promise((r) => setImmediate(r));
  }
  return { socket, answer: () => answer };
}

/** {@link send}, then the answer once the server closed the connection. */
async function exchange(port: number, chunks: ReadonlyArray<string | Buffer>): Promise<string> {
  const { socket, answer } = await send(port, chunks);
  await once(socket, 'close');
  return answer();
}

/** A masked client frame with mask key 0 (payload readable, still a masked frame). */
function frame(text: string): Buffer {
  const data = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, 0x80 | data.length, 0, 0, 0, 0]), data]);
}

function textFramesIn(bytes: Buffer): string[] {
  const out: string[] = [];
  let i = bytes.indexOf('\r\n\r\n') + 4;
  while (i + 2 <= bytes.length) {
    const len = bytes[i + 1]! & 0x7f;
    if ((bytes[i]! & 0x0f) === 1) out.push(bytes.toString('utf8', i + 2, i + 2 + len));
    i += 2 + len;
  }
  return out;
}

describe('own port: the request head', () => {
  it('upgrades when the head arrives one byte per read', async () => {
    const { wss, port } = await started();
    const connected = once(wss, 'connection');
    const bytes = [...Buffer.from(UPGRADE)].map((b) => Buffer.from([b]));
    const { socket, answer } = await send(port, bytes);
    const [ws, request] = (await connected) as [ServerWebSocket, IncomingMessage];
    expect(request.url).toBe('/chat?room=1');
    expect(ws.readyState).toBe(1);
    while (!answer().includes('\r\n\r\n')) await new Promise((r) => setTimeout(r, 5));
    expect(answer()).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(answer()).toContain(`Sec-WebSocket-Accept: ${ACCEPT}\r\n`);
    socket.destroy();
  });

  it('answers plain HTTP with 426 (HEAD without a body) and closes', async () => {
    const { port } = await started();
    const get = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(get).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(get).toMatch(/\r\nUpgrade: websocket\r\n/i);
    expect(get.endsWith('\r\n\r\nUpgrade Required')).toBe(true);
    const head = await exchange(port, ['HEAD / HTTP/1.1\r\nHost: x\r\n\r\n']);
    expect(head).toMatch(/^HTTP\/1\.1 426 /);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
  });

  it.each([
    ['bare LF line endings', 'GET / HTTP/1.1\nHost: x\nUpgrade: websocket\n\n'],
    ['obsolete line folding', 'GET / HTTP/1.1\r\nHost: x\r\n y\r\nUpgrade: websocket\r\n\r\n'],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\nUpgrade: websocket\r\n\r\n'],
    ['no HTTP version', 'GET /\r\nUpgrade: websocket\r\n\r\n'],
    ['binary garbage', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\r\n\r\n'],
  ])('answers a malformed head (%s) with 400 and closes', async (_name, head) => {
    const { wss, port } = await started();
    const refusals: Error[] = [];
    wss.on('wsClientError', (e) => refusals.push(e));
    expect(await exchange(port, [head])).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it('answers an upgrade without Connection: Upgrade with 400 (RFC 6455 §4.2.1)', async () => {
    const { port } = await started();
    const answer = await exchange(port, [UPGRADE.replace('Connection: Upgrade\r\n', '')]);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('a path other than `path` gets 400', async () => {
    const { port } = await started({ path: '/ws' });
    expect(await exchange(port, [UPGRADE])).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('a head too large in pieces is answered 431 without waiting for its end', async () => {
    const { port } = await started({ maxHeaderSize: 1024 });
    const answer = await exchange(port, [
      'GET / HTTP/1.1\r\nX-A: ',
      'a'.repeat(600),
      'a'.repeat(600),
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('a client sending its head slowly gets 408 at the handshake timeout', async () => {
    const { port } = await started({ handshakeTimeout: 300 });
    const started_ = Date.now();
    const answer = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n']);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started_).toBeGreaterThanOrEqual(250);
  });

  it('a refused client that never closes its side is destroyed by the handshake deadline', async () => {
    const { wss, port } = await started({ handshakeTimeout: 400 });
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    socket.on('data', () => {});
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'); // 426, then the server waits for our FIN
    await once(socket, 'end');
    const count = () =>
      new Promise<number>((r) => (wss.server as NetServer).getConnections((_e, n) => r(n)));
    expect(await count()).toBe(1);
    // Our side stays open (allowHalfOpen): only the server's deadline can end it.
    const since = Date.now();
    while ((await count()) > 0 && Date.now() - since < 3_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await count()).toBe(0);
    socket.destroy();
  });

  it('frames sent with the head while an async hook decides are kept, in order', async () => {
    const { wss, port } = await started({
      authenticate: () => new Promise((r) => setTimeout(() => r(true), 60)),
    });
    echo(wss);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let received = Buffer.alloc(0);
    socket.on('data', (c) => (received = Buffer.concat([received, c])));
    await once(socket, 'connect');
    socket.write(Buffer.concat([Buffer.from(UPGRADE), frame('one')]));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(frame('two'));
    const deadline = Date.now() + 3_000;
    while (textFramesIn(received).length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    expect(textFramesIn(received)).toEqual(['one', 'two']);
    socket.destroy();
  });

  it('wss.server is the net.Server it listens on', async () => {
    const { wss, port } = await started();
    expect(wss.server).toBeInstanceOf(NetServer);
    expect((wss.server!.address() as AddressInfo).port).toBe(port);
  });
});

describe('own port: the request object', () => {
  /** What node:http makes of `bytes`: the upgrade request as its `upgrade` event gets it. */
  async function viaNodeHttp(bytes: string): Promise<IncomingMessage> {
    const http = createHttpServer();
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const upgrade = once(http, 'upgrade');
    const socket = connect((http.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(bytes);
    const [request, serverSocket] = (await upgrade) as [IncomingMessage, Socket];
    serverSocket.destroy();
    socket.destroy();
    http.close();
    return request;
  }

  it('is an IncomingMessage with what node:http gives for the same bytes', async () => {
    const { wss, port } = await started();
    const head =
      'GET /chat?room=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: other\r\nUpgrade: websocket\r\n' +
      'Connection: keep-alive, Upgrade\r\nCookie: a=1\r\nCookie: b=2\r\nX-Twice: 1\r\nx-twice: 2\r\n' +
      'Set-Cookie: s=1\r\nUser-Agent: one\r\nUser-Agent: two\r\n' +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    const connected = once(wss, 'connection');
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(head);
    const [, ours] = (await connected) as [ServerWebSocket, IncomingMessage];
    const theirs = await viaNodeHttp(head);
    expect(ours).toBeInstanceOf((theirs as object).constructor as new () => unknown);
    for (const field of ['method', 'url', 'httpVersion', 'httpVersionMajor', 'httpVersionMinor'])
      expect([field, ours[field as keyof IncomingMessage]]).toEqual([
        field,
        theirs[field as keyof IncomingMessage],
      ]);
    expect(ours.headers).toEqual(theirs.headers);
    expect(ours.rawHeaders).toEqual(theirs.rawHeaders);
    expect(ours.socket.remotePort).toBe(socket.localPort);
    socket.destroy();
  });

  it('headers follow node:http for repeated fields (property, against node:http itself)', async () => {
    const names = fc.constantFrom(
      'Host',
      'host',
      'Cookie',
      'Set-Cookie',
      'Content-Type',
      'User-Agent',
      'X-A',
      'x-a',
      'Authorization',
      'Accept',
      'Referer',
    );
    const value = fc.stringMatching(/^[a-z0-9=;,]{1,6}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(names, value), { minLength: 1, maxLength: 8 }),
        async (pairs) => {
          const lines = pairs.map(([n, v]) => `${n}: ${v}\r\n`).join('');
          const theirs = await viaNodeHttp(
            `GET / HTTP/1.1\r\n${lines}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
          );
          const raw: Array<[string, string]> = [
            ...pairs,
            ['Upgrade', 'websocket'],
            ['Connection', 'Upgrade'],
          ];
          expect(nodeHeaders(raw)).toEqual(theirs.headers);
          // The request the listener makes builds its `headers` lazily, by node:http's rules.
          const request = incomingMessage(new Socket(), {
            method: 'GET',
            url: '/',
            httpVersion: '1.1',
            headers: {},
            rawHeaders: raw,
          });
          expect(request.headers).toEqual(theirs.headers);
          expect(request.rawHeaders).toEqual(theirs.rawHeaders);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('own port: hostile heads (property)', () => {
  it('any bytes in any split: a 101, or a 4xx answer and a close — never a crash or a hang', async () => {
    const { wss, port } = await started({ maxHeaderSize: 512, handshakeTimeout: 300 });
    const lines = fc.constantFrom(
      'GET / HTTP/1.1\r\n',
      'GET /x?y HTTP/1.0\r\n',
      'POST / HTTP/1.1\r\n',
      'Host: a\r\n',
      'Upgrade: websocket\r\n',
      'Connection: Upgrade\r\n',
      `Sec-WebSocket-Key: ${KEY}\r\n`,
      'Sec-WebSocket-Version: 13\r\n',
      'Sec-WebSocket-Protocol: a, , b\r\n',
      'Sec-WebSocket-Extensions: permessage-deflate; x\r\n',
      'X: \u0000\r\n',
      ' folded\r\n',
      '\n',
      '\r\n',
      'a'.repeat(300),
    );
    const bytesOf = fc.oneof(
      fc.array(lines, { minLength: 1, maxLength: 10 }).map((l) => `${l.join('')}\r\n`),
      fc.uint8Array({ minLength: 1, maxLength: 700 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(bytesOf, fc.array(fc.nat(), { maxLength: 3 }), async (text, cuts) => {
        const bytes = Buffer.from(text, 'latin1');
        const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of points) {
          if (p > from) chunks.push(bytes.subarray(from, p));
          from = Math.max(from, p);
        }
        chunks.push(bytes.subarray(from));
        const { socket, answer } = await send(port, chunks);
        // Upgraded, or answered and closed; a head still incomplete is cut at the deadline.
        const settled = await Promise.race([
          once(socket, 'close').then(() => 'closed'),
          new Promise<string>((r) => {
            const poll = setInterval(() => {
              if (answer().startsWith('HTTP/1.1 101 ')) {
                clearInterval(poll);
                r('upgraded');
              }
            }, 5);
            socket.once('close', () => clearInterval(poll));
          }),
          new Promise<string>((r) => setTimeout(() => r('hung'), 4_000)),
        ]);
        socket.destroy();
        expect(settled).not.toBe('hung');
        if (settled === 'closed' && answer() !== '') {
          expect(answer()).toMatch(/^HTTP\/1\.1 (101|4\d\d) /);
        }
      }),
      { numRuns: 40 },
    );
    // Nothing left behind on the server.
    const since = Date.now();
    const count = () =>
      new Promise<number>((r) => (wss.server as NetServer).getConnections((_e, n) => r(n)));
    while ((await count()) > 0 && Date.now() - since < 3_000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await count()).toBe(0);
  }, 60_000);
});
