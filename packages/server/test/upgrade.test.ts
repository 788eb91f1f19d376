/**
 * `handleUpgrade` as `ws` users call it (issue #15): any Duplex as the socket, a second
 * call on one socket, a client that half-closes while an asynchronous hook runs, and the
 * `headers` event (the 101's lines, extended by listeners; a throwing listener).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { encodeFrame, Opcode } from '@strata-ws/codec';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type ServerWebSocket,
  WebSocketServer,
  type WebSocketServerOptions,
} from '../src/index.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const UPGRADE_HEAD =
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

function upgradeRequest(): IncomingMessage {
  return {
    method: 'GET',
    url: '/',
    httpVersion: '1.1',
    headers: {
      host: 'x',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': KEY,
      'sec-websocket-version': '13',
    },
  } as unknown as IncomingMessage;
}

/** Two in-memory Duplex ends wired to each other (no net.Socket anywhere). */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (other: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _encoding, callback) {
        other().push(chunk);
        callback();
      },
      final(callback) {
        other().push(null);
        callback();
      },
    });
  ends.push(
    make(() => ends[1]!),
    make(() => ends[0]!),
  );
  return [ends[0]!, ends[1]!];
}

function noServer(options: Partial<WebSocketServerOptions> = {}): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, heartbeatInterval: 0, ...options });
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  return wss;
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

/** A raw client: writes the upgrade head, collects every byte, resolves `closed` at close. */
function rawClient(port: number, allowHalfOpen = false) {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  socket.write(UPGRADE_HEAD);
  return { socket, closed, text: () => Buffer.concat(chunks).toString('latin1') };
}

describe('handleUpgrade with any Duplex', () => {
  it('answers 101 on a stream that is not a net.Socket, and echoes over it', async () => {
    const wss = noServer();
    const [serverEnd, clientEnd] = duplexPair();
    const received: Buffer[] = [];
    clientEnd.on('data', (c: Buffer) => received.push(c));
    // What the server hands the stream: Buffers (a plain Uint8Array would be wrapped in a new
    // Buffer by node:stream on every write).
    const handed: boolean[] = [];
    const write = serverEnd.write.bind(serverEnd) as (
      chunk: Uint8Array,
      cb?: () => void,
    ) => boolean;
    (serverEnd as unknown as { write: typeof write }).write = (chunk, cb) => {
      handed.push(Buffer.isBuffer(chunk));
      return write(chunk, cb);
    };
    let connection: ServerWebSocket | undefined;
    wss.handleUpgrade(upgradeRequest(), serverEnd as unknown as Socket, Buffer.alloc(0), (ws) => {
      connection = ws;
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    expect(connection).toBeDefined();
    expect(connection!.remoteAddress).toBeUndefined();
    const [header, payload] = encodeFrame({
      opcode: Opcode.Text,
      payload: new TextEncoder().encode('over a Duplex'),
      maskKey: 0x01020304,
    });
    clientEnd.write(Buffer.concat([header, payload]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const all = Buffer.concat(received);
    const text = all.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(text).not.toContain('500');
    const frame = all.subarray(all.indexOf('\r\n\r\n') + 4);
    expect([...frame.subarray(0, 2)]).toEqual([0x81, 13]); // FIN text, unmasked, 13 bytes
    expect(frame.subarray(2).toString()).toBe('over a Duplex');
    expect(handed.length).toBeGreaterThanOrEqual(2); // the 101, then the echo
    expect(handed.slice(1).every(Boolean)).toBe(true); // the frames (the 101 is written once)
  });
});

describe('handleUpgrade twice on one socket', () => {
  it('throws as ws does; one 101, one connection', async () => {
    const first = noServer();
    const second = noServer();
    const connections: string[] = [];
    first.on('connection', () => connections.push('first'));
    second.on('connection', () => connections.push('second'));
    const errors: Error[] = [];
    const http = createServer();
    http.on('upgrade', (req, socket, head) => {
      for (const [name, wss] of [
        ['first', first],
        ['second', second],
      ] as const) {
        try {
          wss.handleUpgrade(req, socket as Socket, head, (ws) => wss.emit('connection', ws, req));
        } catch (error) {
          errors.push(error as Error);
          expect(name).toBe('second');
        }
      }
    });
    const port = await listen(http);
    const client = rawClient(port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(errors.map((e) => e.message)).toEqual([
      'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration',
    ]);
    expect(connections).toEqual(['first']);
    expect(client.text().match(/HTTP\/1\.1 101/g)).toHaveLength(1);
    client.socket.destroy();
  });
});

describe('a client that half-closes while an asynchronous hook runs', () => {
  for (const mode of ['own port', 'attached http server'] as const) {
    it(`gets no connection; its socket is destroyed (${mode})`, async () => {
      let release!: () => void;
      const decided = new Promise<void>((resolve) => {
        release = resolve;
      });
      const options: Partial<WebSocketServerOptions> = {
        heartbeatInterval: 0,
        verifyClient: (_info, callback) => {
          decided.then(() => callback(true));
        },
      };
      let port: number;
      let wss: WebSocketServer;
      if (mode === 'own port') {
        wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
        await once(wss, 'listening');
        port = (wss.address() as AddressInfo).port;
      } else {
        const http = createServer();
        wss = new WebSocketServer({ server: http, ...options });
        port = await listen(http);
      }
      cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
      const connections: ServerWebSocket[] = [];
      wss.on('connection', (ws) => connections.push(ws));
      const client = rawClient(port, true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      client.socket.end(); // FIN: the client will send nothing more
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      await client.closed;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(connections).toHaveLength(0);
      expect(wss.clients.size).toBe(0);
      expect(client.text()).not.toContain('101');
    });
  }
});

describe("the 'headers' event", () => {
  it("receives the 101's lines; an appended Set-Cookie is sent", async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    await once(wss, 'listening');
    const seen: string[][] = [];
    wss.on('headers', (headers, request) => {
      seen.push([...headers]);
      expect(request.url).toBe('/');
      headers.push('Set-Cookie: a=b');
    });
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
    const [res] = (await once(client, 'upgrade')) as [IncomingMessage];
    expect(res.headers['set-cookie']).toEqual(['a=b']);
    expect(seen[0]![0]).toBe('HTTP/1.1 101 Switching Protocols');
    expect(seen[0]).toEqual(expect.arrayContaining(['Upgrade: websocket', 'Connection: Upgrade']));
    const accept = seen[0]!.find((line) => line.startsWith('Sec-WebSocket-Accept: '));
    expect(accept?.slice(22)).toBe(res.headers['sec-websocket-accept']);
    client.terminate();
  });

  it('a listener that throws: the exception propagates, the socket is destroyed, nothing is written', async () => {
    const wss = noServer();
    wss.on('headers', () => {
      throw new Error('listener bug');
    });
    const connections: ServerWebSocket[] = [];
    const thrown: Error[] = [];
    const http = createServer();
    http.on('upgrade', (req, socket, head) => {
      try {
        wss.handleUpgrade(req, socket as Socket, head, (ws) => connections.push(ws));
      } catch (error) {
        thrown.push(error as Error);
      }
    });
    const client = rawClient(await listen(http));
    await client.closed;
    expect(thrown.map((e) => e.message)).toEqual(['listener bug']);
    expect(client.text()).toBe(''); // no 101, no 500: nothing at all
    expect(connections).toHaveLength(0);
  });

  it('a listener that changes a given line or appends a non-header: TypeError, nothing written', async () => {
    for (const edit of [
      (h: string[]) => {
        h[0] = 'HTTP/1.1 200 OK';
      },
      (h: string[]) => h.push('no colon here'),
    ]) {
      const wss = noServer();
      wss.on('headers', edit);
      const thrown: Error[] = [];
      const http = createServer();
      http.on('upgrade', (req, socket, head) => {
        try {
          wss.handleUpgrade(req, socket as Socket, head, () => {});
        } catch (error) {
          thrown.push(error as Error);
        }
      });
      const client = rawClient(await listen(http));
      await client.closed;
      expect(thrown[0]).toBeInstanceOf(TypeError);
      expect(client.text()).toBe('');
    }
  });
});
