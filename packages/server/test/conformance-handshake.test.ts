/**
 * Handshake conformance found by apps/conformance (issue 13), asserted on the wire: the
 * subprotocol a server without a protocol list answers (H.19, RFC 6455 §4.2.2), the refusal of
 * an extended CONNECT for another protocol (H2.4, RFC 8441 §4 / RFC 9220 §3: 501), and the
 * `origins` option given as a RegExp (no `Origin`: 403 on HTTP/1.1 and HTTP/2; a `g`/`y` flag
 * does not make answers alternate).
 */
import { once } from 'node:events';
import {
  type ClientHttp2Session,
  createServer as createH2Server,
  type Http2Server,
  connect as http2Connect,
  type IncomingHttpHeaders,
} from 'node:http2';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocketServerOptions } from '../src/index.js';
import { startServer, stopServer } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** Writes an upgrade request with `extra` header lines; resolves with the response head. */
async function rawHandshake(port: number, extra: string[]): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(() => socket.destroy());
  await once(socket, 'connect');
  socket.write(
    [
      'GET / HTTP/1.1',
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${KEY}`,
      'Sec-WebSocket-Version: 13',
      ...extra,
      '',
      '',
    ].join('\r\n'),
  );
  let received = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no full head: ${received}`)), 3000);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(received.slice(0, end + 2));
      }
    });
    socket.on('error', reject);
  });
}

async function server(options: Parameters<typeof startServer>[0] = {}) {
  const started = await startServer(options);
  cleanups.push(() => stopServer(started.wss));
  return started;
}

describe('H.19: subprotocols (RFC 6455 §4.2.2)', () => {
  it('a server without protocols or handleProtocols selects none of the offered ones', async () => {
    const { port } = await server();
    const head = await rawHandshake(port, ['Sec-WebSocket-Protocol: x-unknown-1, x-unknown-2']);
    expect(head).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${ACCEPT}\r\n`,
    );
  });

  it('a protocols list selects its first entry the client offers, and nothing else', async () => {
    const { port } = await server({ protocols: ['chat', 'superchat'] });
    const head = await rawHandshake(port, ['Sec-WebSocket-Protocol: x-other, superchat, chat']);
    expect(head).toContain('\r\nSec-WebSocket-Protocol: chat\r\n');
    const none = await rawHandshake(port, ['Sec-WebSocket-Protocol: x-other']);
    expect(none.startsWith('HTTP/1.1 101 ')).toBe(true);
    expect(none.toLowerCase()).not.toContain('sec-websocket-protocol');
  });

  it('handleProtocols still decides (and may pick any offered one)', async () => {
    const { port } = await server({ handleProtocols: (set) => [...set].at(-1) ?? false });
    const head = await rawHandshake(port, ['Sec-WebSocket-Protocol: a, b']);
    expect(head).toContain('\r\nSec-WebSocket-Protocol: b\r\n');
  });
});

describe('origins given as a RegExp', () => {
  const origins = /^https:\/\/app\.example$/g;

  it('HTTP/1.1: no Origin is refused 403, every time; a matching Origin is accepted every time', async () => {
    const { port } = await server({ origins });
    for (let i = 0; i < 3; i++) {
      expect(await rawHandshake(port, [])).toMatch(/^HTTP\/1\.1 403 /);
    }
    for (let i = 0; i < 3; i++) {
      const head = await rawHandshake(port, ['Origin: https://app.example']);
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
    }
    expect(await rawHandshake(port, ['Origin: https://evil.example'])).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('HTTP/2: no origin is refused 403, a matching origin is accepted every time', async () => {
    const { session } = await h2Server({ origins });
    expect((await extendedConnect(session, {})).status).toBe(403);
    for (let i = 0; i < 3; i++) {
      expect((await extendedConnect(session, { origin: 'https://app.example' })).status).toBe(200);
    }
    expect((await extendedConnect(session, { origin: 'https://evil.example' })).status).toBe(403);
  });
});

async function h2Server(
  options: Omit<WebSocketServerOptions, 'port' | 'http2'> = {},
  setup?: (h2: Http2Server) => void,
): Promise<{ session: ClientHttp2Session }> {
  const h2 = createH2Server({ settings: { enableConnectProtocol: true } });
  setup?.(h2);
  const wss = new WebSocketServer({ http2: h2, ...options });
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  const session = http2Connect(`http://127.0.0.1:${(h2.address() as AddressInfo).port}`);
  session.on('error', () => {});
  cleanups.push(async () => {
    session.destroy();
    for (const ws of wss.clients) ws.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await new Promise((resolve) => h2.close(resolve));
  });
  await once(session, 'remoteSettings');
  return { session };
}

/** An extended CONNECT; resolves with the response status and body, or rejects after 3 s. */
async function extendedConnect(
  session: ClientHttp2Session,
  extra: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const stream = session.request(
    {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':path': '/',
      ':authority': '127.0.0.1',
      'sec-websocket-version': '13',
      ...extra,
    },
    { endStream: false },
  );
  stream.on('error', () => {});
  const timer = setTimeout(() => stream.destroy(new Error('no response within 3 s')), 3000);
  const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  clearTimeout(timer);
  const status = Number(headers[':status']);
  let body = '';
  if (status !== 200) {
    stream.setEncoding('utf8');
    for await (const chunk of stream) body += chunk;
  } else {
    stream.close();
  }
  return { status, headers, body };
}

describe('H2.4: an extended CONNECT for a protocol other than websocket', () => {
  it('is refused with 501 (RFC 9220 §3, same semantics as RFC 8441) when nothing else serves streams', async () => {
    const { session } = await h2Server();
    const r = await extendedConnect(session, { ':protocol': 'x-not-websocket' });
    expect(r.status).toBe(501);
    // The session stays usable: a WebSocket still opens on it.
    expect((await extendedConnect(session, {})).status).toBe(200);
  });

  it('is refused with 501 next to the node:http2 compatibility API (a "request" handler)', async () => {
    const { session } = await h2Server({}, (h2) =>
      h2.on('request', (_req, res) => {
        res.end('page');
      }),
    );
    const r = await extendedConnect(session, { ':protocol': 'x-not-websocket' });
    expect(r.status).toBe(501);
    expect((await extendedConnect(session, {})).status).toBe(200);
  });

  it('is left to the application when it listens for streams itself', async () => {
    const { session } = await h2Server({}, (h2) =>
      h2.on('stream', (stream, headers) => {
        if (headers[':protocol'] === 'x-mine') stream.respond({ ':status': 200 });
      }),
    );
    const r = await extendedConnect(session, { ':protocol': 'x-mine' });
    expect(r.status).toBe(200);
  });
});
