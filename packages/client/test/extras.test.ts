/**
 * Node extras: request headers, TLS (CA, client certificates, rejectUnauthorized), an HTTP(S)
 * CONNECT proxy (explicit and from the environment), the ping heartbeat, and RFC 8441 over
 * HTTP/2 (a node:http2 server with enableConnectProtocol).
 */
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { LIMIT_DEFAULTS } from '@strata-ws/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { resolveProxy } from '../src/connect.js';
import { type CloseEvent, WebSocket } from '../src/index.js';
import { normalizeOptions } from '../src/options.js';
import { parseClientUrl } from '../src/url.js';
import { nextEvent, startWsServer } from './helpers.js';
import { closePayload, frame, parseFrames, startRawServer, switching } from './raw-server.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const ca = fixture('ca.crt');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function echo(server: WebSocketServer): void {
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
}

async function roundTrip(ws: WebSocket, text = 'ping?'): Promise<void> {
  if (ws.readyState === WebSocket.CONNECTING) await nextEvent(ws, 'open');
  ws.send(text);
  const m = await nextEvent<MessageEvent>(ws, 'message');
  expect(m.data).toBe(text);
  ws.close(1000);
  const c = await nextEvent<CloseEvent>(ws, 'close');
  expect([c.code, c.wasClean]).toEqual([1000, true]);
}

async function startTlsServer(requestCert = false) {
  const server = https.createServer({
    key: fixture('server.key'),
    cert: fixture('server.crt'),
    ...(requestCert ? { ca, requestCert: true, rejectUnauthorized: true } : {}),
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  echo(wss);
  const seen: string[] = [];
  wss.on('connection', (_socket, request) => {
    const peer = (request.socket as import('node:tls').TLSSocket).getPeerCertificate();
    seen.push(String(peer?.subject?.CN ?? ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { port, seen };
}

/** A CONNECT proxy on 127.0.0.1 that records the requests it tunnels. */
async function startProxy(secure = false) {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const onClient = (client: net.Socket) => {
    sockets.add(client);
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const text = head.subarray(0, end).toString('latin1');
      requests.push(text);
      const [method, authority] = text.split(' ');
      if (method !== 'CONNECT' || authority === undefined) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      if (text.includes('Proxy-Authorization') && !text.includes('dXNlcjpwYXNz')) {
        client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
        return;
      }
      const i = authority.lastIndexOf(':');
      const upstream = net.connect(Number(authority.slice(i + 1)), authority.slice(0, i), () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
    };
    client.on('data', onData);
  };
  const server = secure
    ? tls.createServer({ key: fixture('server.key'), cert: fixture('server.crt') }, onClient)
    : net.createServer(onClient);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`, requests };
}

describe('request headers', () => {
  it('sends extra headers and the Origin; refuses the handshake headers and CR/LF', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanups.push(peer.close);
    echo(peer.server);
    const seen: Record<string, string | string[] | undefined>[] = [];
    peer.server.on('connection', (_s, request) => seen.push(request.headers));
    const ws = new WebSocket(peer.url, [], {
      headers: { Authorization: 'Bearer abc', 'X-Multi': ['a', 'b'] },
      origin: 'https://example.org',
    });
    await roundTrip(ws);
    expect(seen[0]?.authorization).toBe('Bearer abc');
    expect(seen[0]?.['x-multi']).toBe('a, b');
    expect(seen[0]?.origin).toBe('https://example.org');
    expect(() => new WebSocket(peer.url, [], { headers: { 'Sec-WebSocket-Key': 'x' } })).toThrow(
      TypeError,
    );
    expect(() => new WebSocket(peer.url, [], { headers: { 'X-Evil': 'a\r\nb: c' } })).toThrow(
      TypeError,
    );
  });

  it('accepts the protocols and options together as the second argument', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanups.push(peer.close);
    echo(peer.server);
    const ws = new WebSocket(peer.url, { protocols: ['v2', 'v1'], headers: { 'X-A': '1' } });
    await nextEvent(ws, 'open');
    expect(ws.protocol).toBe('v2');
    await roundTrip(ws);
  });
});

describe("options are checked at construction, by the engine's one limits table", () => {
  it('throws a RangeError naming the limit for a value that is not a positive integer', () => {
    for (const [name, value] of [
      ['maxPayload', 1.5],
      ['maxMessageSize', 0],
      ['maxFragments', -1],
      ['maxBufferedInput', Number.NaN],
      ['maxResponseHeadSize', 2.5],
      ['maxBufferedAmount', -10],
    ] as const) {
      let caught: unknown;
      try {
        new WebSocket('ws://127.0.0.1:9/', { [name]: value });
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(RangeError);
      expect((caught as Error).message).toBe(
        `${name} must be a positive integer or Infinity, got ${value}`,
      );
    }
    expect(() => new WebSocket('ws://127.0.0.1:9/', [], { maxPayload: '10' as never })).toThrow(
      new TypeError('maxPayload must be a number, got string'),
    );
  });

  it('refuses timeouts a Node timer cannot hold, naming the option', () => {
    expect(() => new WebSocket('ws://127.0.0.1:9/', { handshakeTimeout: Infinity })).toThrow(
      /^handshakeTimeout must be a number of milliseconds in \(0, 2147483647\], got Infinity$/,
    );
    expect(() => new WebSocket('ws://127.0.0.1:9/', { closeTimeout: 0 })).toThrow(RangeError);
    expect(() => new WebSocket('ws://127.0.0.1:9/', { heartbeat: -1 })).toThrow(RangeError);
    expect(() => new WebSocket('ws://127.0.0.1:9/', { closeTimeout: 'x' as never })).toThrow(
      TypeError,
    );
  });

  it('fills the client defaults of the engine table (LIMIT_DEFAULTS.client), and Infinity turns a limit off', () => {
    expect(normalizeOptions({}).limits).toEqual(LIMIT_DEFAULTS.client);
    expect(normalizeOptions({ maxPayload: 1000, maxFragments: Infinity }).limits).toEqual({
      ...LIMIT_DEFAULTS.client,
      maxPayload: 1000,
    });
  });
});

describe('IPv6', () => {
  it('connects to an IPv6 literal ([::1]) and reports the bracketed URL and origin', async () => {
    const peer = await startWsServer({ host: '::1', perMessageDeflate: false });
    cleanups.push(peer.close);
    echo(peer.server);
    const port = (peer.server.address() as net.AddressInfo).port;
    const hosts: (string | undefined)[] = [];
    peer.server.on('connection', (_s, request) => hosts.push(request.headers.host));
    const ws = new WebSocket(`ws://[::1]:${port}/v6`);
    expect(ws.url).toBe(`ws://[::1]:${port}/v6`);
    await nextEvent(ws, 'open');
    ws.send('six');
    const m = await nextEvent<MessageEvent>(ws, 'message');
    expect([m.data, m.origin]).toEqual(['six', `ws://[::1]:${port}`]);
    expect(hosts).toEqual([`[::1]:${port}`]);
    ws.close();
    await nextEvent(ws, 'close');
  });
});

describe('permessage-deflate options', () => {
  it('offers what the options say and runs the negotiated parameters', async () => {
    const peer = await startWsServer({ perMessageDeflate: { threshold: 0 } });
    cleanups.push(peer.close);
    echo(peer.server);
    const offers: (string | undefined)[] = [];
    peer.server.on('connection', (_s, request) =>
      offers.push(request.headers['sec-websocket-extensions']),
    );
    const ws = new WebSocket(peer.url, [], {
      perMessageDeflate: { serverNoContextTakeover: true, clientMaxWindowBits: 10, threshold: 0 },
    });
    await nextEvent(ws, 'open');
    expect(offers[0]).toBe(
      'permessage-deflate; server_no_context_takeover; client_max_window_bits=10',
    );
    expect(ws.extensions).toContain('server_no_context_takeover');
    expect(ws.extensions).toContain('client_max_window_bits=10');
    await roundTrip(ws, 'z'.repeat(10_000));
    const plain = new WebSocket(peer.url, [], { perMessageDeflate: false });
    await nextEvent(plain, 'open');
    expect(offers[1]).toBeUndefined();
    expect(plain.extensions).toBe('');
    await roundTrip(plain);
  });

  it('refuses invalid deflate options in the constructor', () => {
    expect(
      () =>
        new WebSocket('ws://127.0.0.1:9/', [], { perMessageDeflate: { clientMaxWindowBits: 20 } }),
    ).toThrow(RangeError);
  });
});

describe('TLS', () => {
  it('connects with a custom CA and fails (error, close 1006) without it', async () => {
    const { port } = await startTlsServer();
    await roundTrip(new WebSocket(`wss://localhost:${port}/`, [], { tls: { ca } }));
    await roundTrip(new WebSocket(`https://127.0.0.1:${port}/`, [], { tls: { ca } }));
    const bad = new WebSocket(`wss://localhost:${port}/`);
    const log: string[] = [];
    bad.onerror = () => log.push('error');
    bad.onclose = (e: CloseEvent) => log.push(`close:${e.code}`);
    bad.onopen = () => log.push('open');
    await nextEvent(bad, 'close');
    expect(log).toEqual(['error', 'close:1006']);
    await roundTrip(
      new WebSocket(`wss://localhost:${port}/`, [], { tls: { rejectUnauthorized: false } }),
    );
  });

  it('presents a client certificate', async () => {
    const { port, seen } = await startTlsServer(true);
    await roundTrip(
      new WebSocket(`wss://localhost:${port}/`, [], {
        tls: { ca, cert: fixture('client.crt'), key: fixture('client.key') },
      }),
    );
    expect(seen).toEqual(['strata-client']);
    const anonymous = new WebSocket(`wss://localhost:${port}/`, [], { tls: { ca } });
    const c = await nextEvent<CloseEvent>(anonymous, 'close');
    expect(c.code).toBe(1006);
  });
});

describe('HTTP CONNECT proxy', () => {
  it('tunnels ws: and wss: through an explicit proxy, with Basic credentials', async () => {
    const proxy = await startProxy();
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanups.push(peer.close);
    echo(peer.server);
    await roundTrip(new WebSocket(peer.url, [], { proxy: proxy.url }));
    const { port } = await startTlsServer();
    const authed = proxy.url.replace('http://', 'http://user:pass@');
    await roundTrip(new WebSocket(`wss://localhost:${port}/`, [], { proxy: authed, tls: { ca } }));
    expect(proxy.requests[0]).toMatch(/^CONNECT 127\.0\.0\.1:\d+ HTTP\/1\.1\r\nHost: /);
    expect(proxy.requests[1]).toContain(`CONNECT localhost:${port} HTTP/1.1`);
    expect(proxy.requests[1]).toContain('Proxy-Authorization: Basic dXNlcjpwYXNz');
  });

  it('tunnels through an https: proxy (TLS to the proxy, then TLS to the server inside)', async () => {
    const proxy = await startProxy(true);
    const { port } = await startTlsServer();
    await roundTrip(
      new WebSocket(`wss://localhost:${port}/`, [], {
        proxy: { url: proxy.url, tls: { ca } },
        tls: { ca },
      }),
    );
    expect(proxy.requests[0]).toContain(`CONNECT localhost:${port} HTTP/1.1`);
  });

  it('fails (error, close 1006) when the proxy refuses', async () => {
    const proxy = await startProxy();
    const wrong = proxy.url.replace('http://', 'http://user:nope@');
    const ws = new WebSocket('ws://127.0.0.1:9/', [], { proxy: wrong });
    const log: string[] = [];
    ws.onerror = () => log.push('error');
    ws.onclose = (e: CloseEvent) => log.push(`close:${e.code}`);
    await nextEvent(ws, 'close');
    expect(log).toEqual(['error', 'close:1006']);
  });

  it('reads the proxy from the environment when asked, honouring NO_PROXY', () => {
    const env = {
      HTTPS_PROXY: 'http://secure-proxy:3128',
      http_proxy: 'plain-proxy:8080',
      NO_PROXY: 'internal.example, .corp.example:8443 , [::1]',
    };
    const on = normalizeOptions({ proxyFromEnvironment: true });
    const off = normalizeOptions({});
    const pick = (url: string, o = on) => resolveProxy(parseClientUrl(url), o, env)?.url ?? null;
    expect(pick('wss://api.example/')).toBe('http://secure-proxy:3128');
    expect(pick('ws://api.example/')).toBe('http://plain-proxy:8080');
    expect(pick('ws://api.example/', off)).toBeNull();
    expect(pick('ws://internal.example/')).toBeNull();
    expect(pick('ws://a.internal.example/')).toBeNull();
    expect(pick('wss://x.corp.example:8443/')).toBeNull();
    expect(pick('wss://x.corp.example/')).toBe('http://secure-proxy:3128');
    expect(pick('ws://[::1]:8080/')).toBeNull();
    expect(
      resolveProxy(parseClientUrl('ws://a/'), on, { NO_PROXY: '*', HTTP_PROXY: 'http://p:1' }),
    ).toBeNull();
  });

  it('uses the environment proxy for a real connection', async () => {
    const proxy = await startProxy();
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanups.push(peer.close);
    echo(peer.server);
    const saved = process.env.http_proxy;
    process.env.http_proxy = proxy.url;
    try {
      await roundTrip(new WebSocket(peer.url, [], { proxyFromEnvironment: true }));
    } finally {
      if (saved === undefined) delete process.env.http_proxy;
      else process.env.http_proxy = saved;
    }
    expect(proxy.requests.length).toBe(1);
  });
});

describe('heartbeat', () => {
  it('fails the connection (error, close 1006) when pings go unanswered', async () => {
    let pings = 0;
    const server = await startRawServer((socket, request, received) => {
      socket.write(switching(request));
      void received.waitFor(9).then(() => pings++);
    });
    cleanups.push(server.close);
    const ws = new WebSocket(server.url, [], { heartbeat: { interval: 40, timeout: 60 } });
    const log: string[] = [];
    for (const t of ['open', 'error', 'close']) ws.addEventListener(t, (e) => log.push(e.type));
    const started = Date.now();
    const c = await nextEvent<CloseEvent>(ws, 'close');
    expect(c.code).toBe(1006);
    expect(log).toEqual(['open', 'error', 'close']);
    expect(pings).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('keeps a responsive connection open and pings only when idle', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanups.push(peer.close);
    let pings = 0;
    peer.server.on('connection', (s) => s.on('ping', () => pings++));
    // A generous timeout: a loaded machine may answer late, which is not what this checks.
    const ws = new WebSocket(peer.url, [], { heartbeat: { interval: 30, timeout: 2000 } });
    await nextEvent(ws, 'open');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(pings).toBeGreaterThanOrEqual(2);
    ws.close();
    await nextEvent(ws, 'close');
  });
});

/** An RFC 8441 echo server on node:http2 (cleartext or TLS), written with raw frames. */
async function startH2Server(options: { tls?: boolean; enableConnect?: boolean } = {}) {
  const settings = { enableConnectProtocol: options.enableConnect ?? true };
  const server = options.tls
    ? http2.createSecureServer({
        key: fixture('server.key'),
        cert: fixture('server.crt'),
        settings,
      })
    : http2.createServer({ settings });
  let sessions = 0;
  const open = new Set<http2.ServerHttp2Session>();
  const requests: http2.IncomingHttpHeaders[] = [];
  server.on('session', (session) => {
    sessions++;
    open.add(session);
    session.on('close', () => open.delete(session));
  });
  server.on('stream', (stream, headers) => {
    requests.push(headers);
    if (
      headers[':method'] !== 'CONNECT' ||
      headers[':protocol'] !== 'websocket' ||
      headers['x-refuse']
    ) {
      stream.respond({ ':status': 400 });
      stream.end();
      return;
    }
    const offered = headers['sec-websocket-protocol'];
    stream.respond({
      ':status': 200,
      ...(typeof offered === 'string'
        ? { 'sec-websocket-protocol': offered.split(',')[0]!.trim() }
        : {}),
    });
    let buffered: Buffer = Buffer.alloc(0);
    const frames: ReturnType<
      typeof Array<{ fin: boolean; opcode: number; masked: boolean; payload: Buffer }>
    > = [];
    stream.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const before = frames.length;
      buffered = parseFrames(buffered, frames);
      for (const f of frames.slice(before)) {
        if (f.opcode === 1 || f.opcode === 2) stream.write(frame(f.opcode, f.payload));
        if (f.opcode === 8) {
          stream.end(
            frame(8, f.payload.length >= 2 ? closePayload(f.payload.readUInt16BE(0)) : undefined),
          );
        }
      }
    });
    stream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const session of open) session.destroy();
        server.close(() => resolve());
      }),
  );
  return { port, requests, sessions: () => sessions };
}

describe('RFC 8441 over HTTP/2', () => {
  it('opens an extended CONNECT stream and shares one session per origin', async () => {
    const h2 = await startH2Server();
    const a = new WebSocket(`ws://127.0.0.1:${h2.port}/chat?room=1`, ['v1'], { http2: true });
    const b = new WebSocket(`ws://127.0.0.1:${h2.port}/other`, [], { http2: true });
    await Promise.all([nextEvent(a, 'open'), nextEvent(b, 'open')]);
    expect(h2.requests[0]?.[':path']).toBe('/chat?room=1');
    expect(h2.requests[0]?.[':scheme']).toBe('http');
    expect(h2.requests[0]?.['sec-websocket-version']).toBe('13');
    expect(h2.requests[0]?.['sec-websocket-protocol']).toBe('v1');
    expect(h2.sessions()).toBe(1);
    await Promise.all([roundTrip(a), roundTrip(b, 'two')]);
  });

  it('runs over TLS (ALPN h2) and on a session given by the caller', async () => {
    const h2 = await startH2Server({ tls: true });
    await roundTrip(new WebSocket(`wss://localhost:${h2.port}/`, [], { http2: true, tls: { ca } }));
    const session = http2.connect(`https://localhost:${h2.port}`, { ca });
    cleanups.push(() => {
      session.close();
    });
    await roundTrip(new WebSocket(`wss://localhost:${h2.port}/`, [], { http2: session }));
    await roundTrip(new WebSocket(`wss://localhost:${h2.port}/`, [], { http2: session }));
    expect(session.closed).toBe(false);
  });

  it('fails (error, close 1006) when the server refuses the extended CONNECT', async () => {
    const h2 = await startH2Server();
    const ws = new WebSocket(`ws://127.0.0.1:${h2.port}/`, [], {
      http2: true,
      headers: { 'x-refuse': '1' },
    });
    const log: string[] = [];
    for (const t of ['open', 'error', 'close']) ws.addEventListener(t, (e) => log.push(e.type));
    const c = await nextEvent<CloseEvent>(ws, 'close');
    expect([log, c.code]).toEqual([['error', 'close'], 1006]);
  });

  it('falls back to HTTP/1.1 when the server is not HTTP/2 or does not enable extended CONNECT', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanups.push(peer.close);
    echo(peer.server);
    await roundTrip(new WebSocket(peer.url, [], { http2: true }));
    const tlsPeer = await startTlsServer(); // HTTP/1.1 only: ALPN does not offer h2
    await roundTrip(
      new WebSocket(`wss://localhost:${tlsPeer.port}/`, [], { http2: true, tls: { ca } }),
    );
    const h2 = await startH2Server({ enableConnect: false });
    const ws = new WebSocket(`ws://127.0.0.1:${h2.port}/`, [], { http2: true });
    const c = await nextEvent<CloseEvent>(ws, 'close');
    expect(c.code).toBe(1006); // an HTTP/2-only server cannot answer the HTTP/1.1 upgrade
    expect(h2.requests.length).toBe(0);
  });
});
