// The public API against real clients: `ws` in-process, Node's built-in WebSocket in a
// child process, raw sockets where a client library would hide what is on the wire.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ServerWebSocket, WebSocketServer } from '../src/index.js';
import { echo, openClient, startServer, stopServer } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function started<D = unknown>(
  options: Parameters<typeof startServer<D>>[0] = {},
): Promise<{ wss: WebSocketServer<D>; url: string; port: number }> {
  const s = await startServer<D>(options);
  cleanups.push(() => stopServer(s.wss as WebSocketServer<unknown>));
  return s;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** Opens a ws client expecting a refusal; resolves with status, headers and body. */
function refused(
  url: string,
  options?: WebSocket.ClientOptions,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on('open', () => reject(new Error('unexpectedly opened')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
  });
}

describe('modes', () => {
  it('noServer: handleUpgrade takes upgrades from a bare http.Server', async () => {
    const wss = new WebSocketServer({ noServer: true });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    echo(wss as WebSocketServer<unknown>);
    const http = createServer();
    http.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket as import('node:net').Socket, head, (ws) =>
        wss.emit('connection', ws, req),
      );
    });
    const port = await listen(http);
    const client = await openClient(`ws://127.0.0.1:${port}/any`);
    client.send('via handleUpgrade');
    const [data, isBinary] = await once(client, 'message');
    expect([String(data), isBinary]).toEqual(['via handleUpgrade', false]);
    client.terminate();
  });

  it('server + path: upgrades on the path are served, others are refused with 400', async () => {
    const http = createServer((_req, res) => res.end('plain http'));
    const wss = new WebSocketServer({ server: http, path: '/ws' });
    cleanups.push(() => new Promise<void>((r) => wss.close(() => r())));
    echo(wss as WebSocketServer<unknown>);
    const port = await listen(http);
    const client = await openClient(`ws://127.0.0.1:${port}/ws?x=1`);
    client.send('on path');
    const [data] = await once(client, 'message');
    expect(String(data)).toBe('on path');
    client.terminate();
    const r = await refused(`ws://127.0.0.1:${port}/other`);
    expect(r.status).toBe(400);
  });

  it('own port: plain HTTP requests get 426 Upgrade Required', async () => {
    const { port } = await started();
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    expect(await res.text()).toBe('Upgrade Required');
  });

  it('rejects conflicting modes and bad options', () => {
    expect(() => new WebSocketServer({})).toThrow(TypeError);
    expect(() => new WebSocketServer({ noServer: true, port: 1 })).toThrow(TypeError);
    expect(() => new WebSocketServer({ noServer: true, maxPayload: -1 })).toThrow(RangeError);
    expect(
      () =>
        new WebSocketServer({
          noServer: true,
          backpressurePolicy: 'wait' as unknown as 'drop',
        }),
    ).toThrow(TypeError);
  });
});

describe('authentication before the 101', () => {
  it('an async hook attaches per-connection data and 101 headers', async () => {
    const { wss, url } = await started<{ user: string }>({
      authenticate: async (req) => {
        await new Promise((r) => setTimeout(r, 20));
        const token = new URL(req.url!, 'http://x').searchParams.get('token');
        return { accept: { data: { user: `user-${token}` }, headers: { 'X-Auth': 'ok' } } };
      },
    });
    const connected = once(wss, 'connection');
    const client = new WebSocket(`${url}?token=42`);
    const [res] = await once(client, 'upgrade');
    expect((res as IncomingMessage).headers['x-auth']).toBe('ok');
    const [ws] = (await connected) as [ServerWebSocket<{ user: string }>];
    expect(ws.data).toEqual({ user: 'user-42' });
    client.terminate();
  });

  it('refuses with the status, headers and body the hook chose', async () => {
    const { url, wss } = await started({
      authenticate: () => ({
        reject: { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: 'who are you?' },
      }),
    });
    const errors: Error[] = [];
    wss.on('wsClientError', (e) => errors.push(e));
    const r = await refused(url);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
    expect(r.body).toBe('who are you?');
    expect(errors).toHaveLength(1);
    expect(wss.clients.size).toBe(0);
  });

  it('false refuses with 401; a throwing hook answers 500', async () => {
    const a = await started({ authenticate: () => false });
    expect((await refused(a.url)).status).toBe(401);
    const b = await started({
      authenticate: async () => {
        throw new Error('db down');
      },
    });
    expect((await refused(b.url)).status).toBe(500);
  });

  it('verifyClient (ws-compatible, callback form)', async () => {
    const { url } = await started({
      verifyClient: (info, cb) => {
        cb(info.req.headers['x-pass'] === 'yes', 403, 'no pass');
        return undefined;
      },
    });
    const r = await refused(url);
    expect([r.status, r.body]).toEqual([403, 'no pass']);
    const ok = await openClient(url, { headers: { 'x-pass': 'yes' } });
    ok.terminate();
  });

  it('origin allow-list: other origins get 403, listed ones and origin-less clients pass', async () => {
    const { url } = await started({ origins: ['https://app.example'] });
    expect((await refused(url, { origin: 'https://evil.example' })).status).toBe(403);
    (await openClient(url, { origin: 'https://app.example' })).terminate();
    (await openClient(url)).terminate();
  });

  it('rejects a malformed upgrade (bad version) with 426 and Sec-WebSocket-Version', async () => {
    const { port } = await started();
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.on('data', (c) => (response += c));
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n',
    );
    await once(socket, 'close');
    expect(response).toMatch(/^HTTP\/1\.1 426 /);
    expect(response).toMatch(/Sec-WebSocket-Version: 13/i);
  });
});

describe('negotiation', () => {
  it('picks the first supported subprotocol in the server preference order', async () => {
    const { url, wss } = await started({ protocols: ['v2', 'v1'] });
    const connected = once(wss, 'connection');
    const client = await openClient(url, { protocol: undefined, headers: {} } as never);
    client.terminate();
    await connected;
    const c2 = new WebSocket(url, ['v1', 'v2']);
    await once(c2, 'open');
    expect(c2.protocol).toBe('v2');
    c2.terminate();
  });

  it('handleProtocols (ws-compatible) chooses; ws.protocol reports it', async () => {
    const { url, wss } = await started({
      handleProtocols: (offered) => (offered.has('chat') ? 'chat' : false),
    });
    const connected = once(wss, 'connection');
    const client = new WebSocket(url, ['x', 'chat']);
    await once(client, 'open');
    const [ws] = await connected;
    expect(client.protocol).toBe('chat');
    expect((ws as ServerWebSocket).protocol).toBe('chat');
    client.terminate();
  });

  it('permessage-deflate: negotiated, reported in ws.extensions, round-trips', async () => {
    const { url, wss } = await started({ perMessageDeflate: { threshold: 0 } });
    echo(wss as WebSocketServer<unknown>);
    const connected = once(wss, 'connection');
    const client = new WebSocket(url, { perMessageDeflate: true });
    await once(client, 'open');
    const [ws] = await connected;
    expect((ws as ServerWebSocket).extensions).toMatch(/^permessage-deflate/);
    const big = 'x'.repeat(100_000);
    client.send(big);
    const [data] = await once(client, 'message');
    expect(String(data)).toBe(big);
    client.terminate();
  });

  it("the 'headers' event adds 101 response headers", async () => {
    const { url, wss } = await started();
    wss.on('headers', (headers) => headers.push('X-Hello: world'));
    const client = new WebSocket(url);
    const [res] = await once(client, 'upgrade');
    expect((res as IncomingMessage).headers['x-hello']).toBe('world');
    client.terminate();
  });
});

describe('per connection', () => {
  async function pair(options: Parameters<typeof startServer>[0] = {}) {
    const { wss, url } = await started(options);
    const connected = once(wss, 'connection');
    const client = await openClient(url);
    cleanups.push(() => client.terminate());
    const [ws] = (await connected) as [ServerWebSocket];
    return { wss, client, ws };
  }

  it('send: text/binary choice, callback and promise completion, fragments', async () => {
    const { client, ws } = await pair();
    const got: Array<[string, boolean]> = [];
    client.on('message', (d, b) => got.push([String(d), b]));
    const done: string[] = [];
    ws.send('text', () => done.push('cb'));
    ws.send(new Uint8Array([104, 105]), { binary: false });
    ws.send('as binary', { binary: true });
    ws.send('frag-', { fin: false });
    ws.send('ment', { fin: true });
    await ws.sendAsync(Buffer.from('async'));
    done.push('promise');
    while (got.length < 5) await once(client, 'message');
    expect(got).toEqual([
      ['text', false],
      ['hi', false],
      ['as binary', true],
      ['frag-ment', false],
      ['async', true],
    ]);
    expect(done).toEqual(['cb', 'promise']);
    expect(ws.readyState).toBe(1);
    expect(ws.remoteAddress).toBe('127.0.0.1');
  });

  it('ping/pong: events both ways with payloads', async () => {
    const { client, ws } = await pair();
    const pong = once(ws, 'pong');
    ws.ping('are you there');
    expect(String((await pong)[0])).toBe('are you there');
    const ping = once(ws, 'ping');
    const clientPong = once(client, 'pong');
    client.ping('hello server');
    expect(String((await ping)[0])).toBe('hello server');
    expect(String((await clientPong)[0])).toBe('hello server');
    expect(() => ws.ping(Buffer.alloc(126))).toThrow(RangeError);
  });

  it('close(code, reason): readyState CLOSING then CLOSED; the close event carries the code', async () => {
    const { client, ws } = await pair();
    const clientClose = once(client, 'close');
    const serverClose = once(ws, 'close');
    ws.close(4001, 'custom');
    expect(ws.readyState).toBe(2);
    const [code, reason] = await clientClose;
    expect([code, String(reason)]).toEqual([4001, 'custom']);
    expect(await serverClose).toEqual([4001, 'custom']); // ws echoes the reason
    expect(ws.readyState).toBe(3);
    expect(() => ws.close(1005)).not.toThrow(); // closed already: a no-op
    let sendError: Error | undefined;
    ws.send('late', (e) => (sendError = e));
    await new Promise((r) => setImmediate(r));
    expect(sendError).toBeInstanceOf(Error);
  });

  it('close with a code that may not be sent throws RangeError', async () => {
    const { ws } = await pair();
    expect(() => ws.close(1006)).toThrow(RangeError);
    expect(() => ws.close(1000, 'x'.repeat(124))).toThrow(RangeError);
  });

  it('terminate(): the close event reports 1006', async () => {
    const { client, ws } = await pair();
    const serverClose = once(ws, 'close');
    ws.terminate();
    expect(await serverClose).toEqual([1006, '']);
    const [code] = await once(client, 'close');
    expect(code).toBe(1006);
  });

  it('the async iterator yields messages in order and ends on close', async () => {
    const { client, ws } = await pair();
    const seen: string[] = [];
    const iterating = (async () => {
      for await (const { data, isBinary } of ws) seen.push(`${String(data)}:${isBinary}`);
    })();
    client.send('a');
    client.send(Buffer.from('b'));
    client.send('c');
    await new Promise((r) => setTimeout(r, 50));
    client.close();
    await iterating;
    expect(seen).toEqual(['a:false', 'b:true', 'c:false']);
  });

  it('protocol errors: the error event (when listened) and the close code', async () => {
    const { wss, port } = await started();
    const connected = once(wss, 'connection');
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [ws] = (await connected) as [ServerWebSocket];
    const error = once(ws, 'error');
    const closed = new Promise<unknown[]>((resolve) => ws.on('close', (...args) => resolve(args)));
    // Read (and so see the server's FIN and close): otherwise the close waits for closeTimeout.
    socket.resume();
    socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69])); // unmasked client frame: 1002
    const [e] = await error;
    expect((e as { closeCode: number }).closeCode).toBe(1002);
    expect((await closed)[0]).toBe(1002);
  });

  it('frames that arrive in the same packet as the upgrade request (head) are processed', async () => {
    const { wss, port } = await started();
    echo(wss as WebSocketServer<unknown>);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let received = Buffer.alloc(0);
    socket.on('data', (c) => (received = Buffer.concat([received, c])));
    const masked = Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]); // "hi", mask key 0
    socket.write(
      Buffer.concat([
        Buffer.from(
          `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ),
        masked,
      ]),
    );
    const deadline = Date.now() + 2_000;
    while (!received.includes(Buffer.from([0x81, 0x02, 0x68, 0x69])) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    expect(received.subarray(received.indexOf('\r\n\r\n') + 4)).toEqual(
      Buffer.from([0x81, 0x02, 0x68, 0x69]),
    );
    socket.destroy();
  });

  it('pause()/resume() stop and restart message delivery', async () => {
    const { client, ws } = await pair();
    const got: string[] = [];
    ws.on('message', (d) => got.push(String(d)));
    ws.pause();
    expect(ws.isPaused).toBe(true);
    client.send('while paused');
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
    ws.resume();
    await once(ws, 'message');
    expect(got).toEqual(['while paused']);
  });

  it('bufferedAmount counts queued bytes; drain fires once the peer reads', async () => {
    const { wss, port } = await started({ highWaterMark: 64 * 1024 });
    const connected = once(wss, 'connection');
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [ws] = (await connected) as [ServerWebSocket];
    socket.pause();
    const chunk = Buffer.alloc(256 * 1024);
    let accepted = true;
    // The kernel's buffers take several MB first; send until bytes stay queued here.
    for (let i = 0; i < 400 && ws.bufferedAmount <= 64 * 1024; i++) {
      accepted = ws.send(chunk);
      await new Promise((r) => setImmediate(r));
    }
    expect(accepted).toBe(false);
    expect(ws.bufferedAmount).toBeGreaterThan(64 * 1024);
    const drained = once(ws, 'drain');
    socket.resume();
    await drained;
    expect(ws.bufferedAmount).toBe(0);
    socket.destroy();
  });
});

describe('heartbeat and idle timeout', () => {
  it('terminates a peer that does not answer pings; keeps one that does', async () => {
    const { wss, url, port } = await started({ heartbeatInterval: 150 });
    const alive = await openClient(url); // ws answers pings automatically
    cleanups.push(() => alive.terminate());
    const connected = once(wss, 'connection');
    const silent = connect(port, '127.0.0.1');
    silent.on('error', () => {});
    silent.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [dead] = (await connected) as [ServerWebSocket];
    const start = Date.now();
    const [code] = await once(dead, 'close');
    expect(code).toBe(1006);
    expect(Date.now() - start).toBeLessThan(2_000);
    await new Promise((r) => setTimeout(r, 400));
    expect(alive.readyState).toBe(WebSocket.OPEN);
    expect(wss.clients.size).toBe(1);
  });

  it('idleTimeout closes a connection with no messages (1001)', async () => {
    const { url } = await started({ idleTimeout: 200, heartbeatInterval: 0 });
    const client = await openClient(url);
    const start = Date.now();
    const [code] = await once(client, 'close');
    expect(code).toBe(1001);
    expect(Date.now() - start).toBeGreaterThanOrEqual(150);
  });
});

describe('client tracking', () => {
  it('clients lists open connections; clientTracking: false keeps it empty', async () => {
    const a = await started();
    const c1 = await openClient(a.url);
    expect(a.wss.clients.size).toBe(1);
    const closed = once([...a.wss.clients][0]!, 'close');
    c1.close();
    await closed;
    expect(a.wss.clients.size).toBe(0);
    const b = await started({ clientTracking: false });
    const c2 = await openClient(b.url);
    expect(b.wss.clients.size).toBe(0);
    c2.terminate();
  });
});

describe("Node's built-in WebSocket (child process, --experimental-websocket on Node 20)", () => {
  it('connects, echoes text and binary, closes cleanly', async () => {
    const { wss, url } = await started();
    echo(wss as WebSocketServer<unknown>);
    const script = `
      const ws = new WebSocket(${JSON.stringify(url)});
      ws.binaryType = 'arraybuffer';
      const out = [];
      ws.onopen = () => { ws.send('hi'); ws.send(new Uint8Array([1, 2, 3])); };
      ws.onmessage = (e) => {
        out.push(typeof e.data === 'string' ? e.data : Array.from(new Uint8Array(e.data)).join(','));
        if (out.length === 2) ws.close(1000, 'done');
      };
      ws.onclose = (e) => { console.log(JSON.stringify({ out, code: e.code, clean: e.wasClean })); };
      ws.onerror = (e) => { console.log(JSON.stringify({ error: String(e.message) })); };
    `;
    const major = Number(process.versions.node.split('.')[0]);
    const args = major < 22 ? ['--experimental-websocket', '-e', script] : ['-e', script];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    await once(child, 'exit');
    expect(JSON.parse(stdout)).toEqual({ out: ['hi', '1,2,3'], code: 1000, clean: true });
  });
});
