/**
 * WebSockets over HTTP/2 (RFC 8441): extended CONNECT on node:http2, cleartext (h2c) and
 * TLS (h2), side by side with HTTP/1.1 upgrades, driven by Node's own http2 client.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  createServer as createH2Server,
  createSecureServer,
  connect as http2Connect,
  type IncomingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { encodeFrame, FrameParser } from '@strata-ws/codec';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDualProtocolServer, WebSocketServer } from '../src/index.js';

const fixtures = new URL('./fixtures/', import.meta.url);
const tls = {
  key: readFileSync(new URL('localhost.key', fixtures)),
  cert: readFileSync(new URL('localhost.crt', fixtures)),
};

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A minimal RFC 8441 client on Node's http2: masked frames out, parsed frames in. */
class H2WebSocket {
  readonly frames: Array<{ opcode: number; payload: Buffer }> = [];
  readonly #parser = new FrameParser();
  #waiters: Array<() => void> = [];
  constructor(
    readonly stream: ClientHttp2Stream,
    readonly response: IncomingHttpHeaders,
  ) {
    // A refusal's body is HTTP content, not WebSocket frames.
    if (Number(response[':status']) !== 200) return;
    stream.on('data', (chunk: Buffer) => {
      this.#parser.push(chunk, {
        frame: (header, payload) => {
          this.frames.push({ opcode: header.opcode, payload: Buffer.from(payload) });
        },
      });
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  send(opcode: number, payload: Uint8Array | string): void {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const [header, body] = encodeFrame({ opcode, payload: bytes, maskKey: 0x12345678 });
    this.stream.write(Buffer.concat([header, body]));
  }
  async frame(index: number): Promise<{ opcode: number; payload: Buffer }> {
    while (this.frames.length <= index) await new Promise<void>((r) => this.#waiters.push(r));
    return this.frames[index]!;
  }
}

async function h2Session(url: string, options = {}): Promise<ClientHttp2Session> {
  const session = http2Connect(url, options);
  cleanups.push(() => session.destroy());
  const [settings] = await once(session, 'remoteSettings');
  expect(settings.enableConnectProtocol).toBe(true);
  return session;
}

async function extendedConnect(
  session: ClientHttp2Session,
  authority: string,
  scheme: string,
  extra: Record<string, string> = {},
): Promise<H2WebSocket> {
  const stream = session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': scheme,
      ':path': '/chat',
      ':authority': authority,
      'sec-websocket-version': '13',
      ...extra,
    },
    { endStream: false },
  );
  const [headers] = await once(stream, 'response');
  return new H2WebSocket(stream, headers);
}

function echo(wss: WebSocketServer): void {
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
}

async function h2cServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const h2 = createH2Server({ settings: { enableConnectProtocol: true } });
  const sessions = new Set<import('node:http2').ServerHttp2Session>();
  h2.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  const wss = new WebSocketServer({ ...options, http2: h2, heartbeatInterval: 0 });
  echo(wss);
  h2.listen(0, '127.0.0.1');
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  cleanups.push(async () => {
    for (const ws of wss.clients) ws.terminate();
    for (const s of sessions) s.destroy();
    await new Promise<void>((r) => wss.close(() => r()));
    await new Promise<void>((r) => h2.close(() => r()));
  });
  return { wss, port, h2 };
}

describe('RFC 8441 over cleartext HTTP/2 (h2c)', () => {
  it('accepts an extended CONNECT, negotiates the subprotocol and echoes (§4, §5)', async () => {
    const { wss, port } = await h2cServer({ protocols: ['chat'] });
    const connected = once(wss, 'connection');
    const session = await h2Session(`http://127.0.0.1:${port}`);
    const ws = await extendedConnect(session, `127.0.0.1:${port}`, 'http', {
      'sec-websocket-protocol': 'superchat, chat',
    });
    // §5: a 2xx answer, no Sec-WebSocket-Accept, the chosen subprotocol.
    expect(ws.response[':status']).toBe(200);
    expect(ws.response['sec-websocket-accept']).toBeUndefined();
    expect(ws.response['sec-websocket-protocol']).toBe('chat');
    const [serverSide, request] = await connected;
    expect(wss.transportOf(serverSide)).toBe('h2');
    expect(serverSide.protocol).toBe('chat');
    expect(request.method).toBe('CONNECT');
    expect(request.url).toBe('/chat');
    expect(request.httpVersion).toBe('2.0');
    expect(serverSide.remoteAddress).toBe('127.0.0.1');

    ws.send(1, 'hello over h2');
    ws.send(2, new Uint8Array([1, 2, 3]));
    expect(await ws.frame(0)).toEqual({ opcode: 1, payload: Buffer.from('hello over h2') });
    expect(await ws.frame(1)).toEqual({ opcode: 2, payload: Buffer.from([1, 2, 3]) });

    // Closing handshake over the stream, then the stream ends (END_STREAM, not RST).
    const serverClosed = once(serverSide, 'close');
    const clientStreamClosed = once(ws.stream, 'close');
    ws.send(8, new Uint8Array([0x03, 0xe8]));
    const reply = await ws.frame(2);
    expect(reply.opcode).toBe(8);
    expect([...reply.payload]).toEqual([0x03, 0xe8]);
    ws.stream.end();
    expect(await serverClosed).toEqual([1000, '']);
    await clientStreamClosed;
    expect(ws.stream.rstCode).toBe(0);
    expect(wss.counters.connectionsHttp2).toBe(1);
  });

  it('refuses a bad extended CONNECT with the right status (§5: 400 + sec-websocket-version)', async () => {
    const { port, wss } = await h2cServer();
    const session = await h2Session(`http://127.0.0.1:${port}`);
    const ws = await extendedConnect(session, `127.0.0.1:${port}`, 'http', {
      'sec-websocket-version': '8',
    });
    expect(ws.response[':status']).toBe(400);
    expect(ws.response['sec-websocket-version']).toBe('13');
    expect(wss.counters.handshakesRefused).toBe(1);
    expect(wss.clients.size).toBe(0);
  });

  it('runs the authenticate hook with the stream request and refuses with its status', async () => {
    const { port } = await h2cServer({
      authenticate: (request) =>
        request.headers.authorization === 'Bearer ok'
          ? { accept: { data: 'user-1' } }
          : { reject: { status: 403, body: 'no' } },
    });
    const session = await h2Session(`http://127.0.0.1:${port}`);
    const refused = await extendedConnect(session, `127.0.0.1:${port}`, 'http');
    expect(refused.response[':status']).toBe(403);
    const accepted = await extendedConnect(session, `127.0.0.1:${port}`, 'http', {
      authorization: 'Bearer ok',
    });
    expect(accepted.response[':status']).toBe(200);
  });

  it('respects flow control: a message larger than the peer window waits for WINDOW_UPDATE', async () => {
    const { wss, port } = await h2cServer();
    const connected = once(wss, 'connection');
    // A 64 KiB stream window: the server may not send more until the client reads.
    const session = await h2Session(`http://127.0.0.1:${port}`, {
      settings: { initialWindowSize: 65535 },
    });
    const ws = await extendedConnect(session, `127.0.0.1:${port}`, 'http');
    const [serverSide] = await connected;
    ws.stream.pause();
    const big = Buffer.alloc(1024 * 1024, 7);
    serverSide.send(big);
    await new Promise((r) => setTimeout(r, 100));
    // Most of the message is still queued on the server side: the window holds it back.
    expect(serverSide.bufferedAmount).toBeGreaterThan(big.length / 2);
    ws.stream.resume();
    const frame = await ws.frame(0);
    expect(frame.payload.length).toBe(big.length);
    expect(frame.payload.equals(big)).toBe(true);
  });

  it('h2c and HTTP/1.1 on one port (prior-knowledge preface sniffing)', async () => {
    const dual = createDualProtocolServer();
    const wss = new WebSocketServer({
      server: dual.http1,
      http2: dual.http2,
      heartbeatInterval: 0,
    });
    echo(wss);
    dual.server.listen(0, '127.0.0.1');
    await once(dual.server, 'listening');
    const port = (dual.server.address() as AddressInfo).port;
    cleanups.push(async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => dual.server.close(() => r()));
    });
    const transports: string[] = [];
    wss.on('connection', (ws) => transports.push(wss.transportOf(ws)!));

    const h1 = new WebSocket(`ws://127.0.0.1:${port}/`);
    cleanups.push(() => h1.terminate());
    await once(h1, 'open');
    h1.send('via http/1.1');
    const [h1Echo] = await once(h1, 'message');
    expect(String(h1Echo)).toBe('via http/1.1');

    const session = await h2Session(`http://127.0.0.1:${port}`);
    const h2 = await extendedConnect(session, `127.0.0.1:${port}`, 'http');
    h2.send(1, 'via h2c');
    expect(String((await h2.frame(0)).payload)).toBe('via h2c');
    expect(transports).toEqual(['http/1.1', 'h2']);
  });
});

describe('RFC 8441 over TLS (h2) with HTTP/1.1 upgrades on the same server (allowHTTP1)', () => {
  it('serves both a wss:// HTTP/1.1 upgrade and an h2 extended CONNECT', async () => {
    const h2 = createSecureServer({
      ...tls,
      allowHTTP1: true,
      settings: { enableConnectProtocol: true },
    });
    const wss = new WebSocketServer({ http2: h2, heartbeatInterval: 0 });
    echo(wss);
    h2.listen(0, '127.0.0.1');
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    const sessions = new Set<import('node:http2').ServerHttp2Session>();
    h2.on('session', (s) => sessions.add(s));
    cleanups.push(async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const s of sessions) s.destroy();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => h2.close(() => r()));
    });
    const transports: string[] = [];
    wss.on('connection', (ws) => transports.push(wss.transportOf(ws)!));

    const h1 = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: tls.cert });
    cleanups.push(() => h1.terminate());
    await once(h1, 'open');
    h1.send('tls http/1.1');
    expect(String((await once(h1, 'message'))[0])).toBe('tls http/1.1');

    const session = await h2Session(`https://127.0.0.1:${port}`, { ca: tls.cert });
    const ws = await extendedConnect(session, `127.0.0.1:${port}`, 'https');
    expect(ws.response[':status']).toBe(200);
    ws.send(1, 'tls h2');
    expect(String((await ws.frame(0)).payload)).toBe('tls h2');
    expect(transports).toEqual(['http/1.1', 'h2']);
  });
});

describe('RFC 8441 with the Strata client (http2 opt-in)', () => {
  it('the client opens its WebSocket as an h2c stream and echoes', async () => {
    const { WebSocket: StrataWebSocket } = await import('@strata-ws/client');
    const { wss, port } = await h2cServer({ protocols: ['chat'] });
    const transports: string[] = [];
    wss.on('connection', (ws) => transports.push(wss.transportOf(ws)!));
    const client = new StrataWebSocket(`ws://127.0.0.1:${port}/`, ['chat'], { http2: true });
    cleanups.push(() => client.close());
    await new Promise((resolve, reject) => {
      client.onopen = resolve;
      client.onerror = reject;
    });
    expect(client.protocol).toBe('chat');
    const message = new Promise<string>((resolve) => {
      client.onmessage = (event) => resolve(String((event as MessageEvent).data));
    });
    client.send('strata over h2c');
    expect(await message).toBe('strata over h2c');
    const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) => {
      client.onclose = (event) => {
        const { code, wasClean } = event as unknown as { code: number; wasClean: boolean };
        resolve({ code, wasClean });
      };
    });
    client.close(1000);
    expect(await closed).toEqual({ code: 1000, wasClean: true });
    expect(transports).toEqual(['h2']);
  });
});

describe('RFC 8441 flow control, receiving side', () => {
  it('a paused connection stops consuming its stream, so the peer stops sending', async () => {
    const { wss, port } = await h2cServer();
    const connected = once(wss, 'connection');
    const session = await h2Session(`http://127.0.0.1:${port}`);
    const ws = await extendedConnect(session, `127.0.0.1:${port}`, 'http');
    const [serverSide] = await connected;
    let received = 0;
    serverSide.on('message', (data: Buffer) => (received += data.length));
    serverSide.pause();
    const payload = new Uint8Array(16 * 1024).fill(1);
    const [header, body] = encodeFrame({ opcode: 2, payload, maskKey: 0x01020304 });
    const frame = Buffer.concat([header, body]);
    // Offer 4 MiB; with the connection paused only what fits the HTTP/2 windows and the
    // stream's buffer gets through.
    for (let i = 0; i < 256; i++) ws.stream.write(frame);
    await new Promise((r) => setTimeout(r, 300));
    const transferred = wss.counters.bytesReceived;
    expect(received).toBe(0);
    expect(transferred).toBeLessThan(1024 * 1024);
    expect(ws.stream.writableLength).toBeGreaterThan(3 * 1024 * 1024);
    serverSide.resume();
    await new Promise<void>((resolve) => {
      const check = () => (received === 256 * payload.length ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(ws.stream.writableLength).toBe(0);
  });
});

describe('RFC 8441 next to the node:http2 compatibility API', () => {
  it('a server with a "request" handler and an async authenticate hook still serves WebSockets', async () => {
    const h2 = createH2Server({ settings: { enableConnectProtocol: true } });
    h2.on('request', (req, res) => res.end(`page ${req.url}`));
    const wss = new WebSocketServer({
      http2: h2,
      heartbeatInterval: 0,
      authenticate: async () => {
        await new Promise((r) => setTimeout(r, 20));
        return true;
      },
    });
    echo(wss);
    const sessions = new Set<import('node:http2').ServerHttp2Session>();
    h2.on('session', (s) => sessions.add(s));
    h2.listen(0, '127.0.0.1');
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    cleanups.push(async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const s of sessions) s.destroy();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => h2.close(() => r()));
    });
    const session = await h2Session(`http://127.0.0.1:${port}`);
    const page = await new Promise<string>((resolve) => {
      const req = session.request({ ':path': '/index' });
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => resolve(body));
    });
    expect(page).toBe('page /index');
    const ws = await extendedConnect(session, `127.0.0.1:${port}`, 'http');
    expect(ws.response[':status']).toBe(200);
    ws.send(1, 'still a websocket');
    expect(String((await ws.frame(0)).payload)).toBe('still a websocket');
  });
});
