// Limits and hostile clients: every limit has a default and an option, and each one is
// exercised here with a raw TCP peer on 127.0.0.1 (bounded in time and count).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultLimits, type ServerWebSocket, type WebSocketServer } from '../src/index.js';
import { echo, openClient, startServer, stopServer } from './helpers.js';

let server: WebSocketServer<unknown> | undefined;
afterEach(async () => {
  if (server) await stopServer(server);
  server = undefined;
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
function upgradeRequest(port: number, extra = ''): string {
  return (
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  );
}

/** A raw client after a completed upgrade; `received` collects everything after the 101. */
async function rawUpgrade(port: number): Promise<{ socket: Socket; received: () => Buffer }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let buffer = Buffer.alloc(0);
  let headDone = false;
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!headDone) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        headDone = true;
        buffer = buffer.subarray(end + 4);
        socket.emit('upgraded');
      }
    }
  });
  socket.write(upgradeRequest(0));
  await once(socket, 'upgraded');
  return { socket, received: () => buffer };
}

/** A masked client frame (mask key 0 keeps the payload readable; it is still masked). */
function frame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const n = data.length;
  const header =
    n < 126 ? Buffer.from([0, 0x80 | n]) : Buffer.from([0, 0x80 | 126, n >> 8, n & 0xff]);
  header[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([header, Buffer.alloc(4), data]);
}

/** The close code of the first close frame in `bytes` (server frames are unmasked). */
function closeCodeIn(bytes: Buffer): number | null {
  let i = 0;
  while (i + 2 <= bytes.length) {
    const opcode = bytes[i]! & 0x0f;
    let len = bytes[i + 1]! & 0x7f;
    let h = 2;
    if (len === 126) {
      len = bytes.readUInt16BE(i + 2);
      h = 4;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(i + 2));
      h = 10;
    }
    if (opcode === 8) return len >= 2 ? bytes.readUInt16BE(i + h) : 1005;
    i += h + len;
  }
  return null;
}

function closedWithin(socket: Socket, ms: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}

function gcRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

const rawClient = fileURLToPath(new URL('./fixtures/raw-client.mjs', import.meta.url));
function runRawClient(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [rawClient, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`raw client exited ${code}`)),
    );
  });
}

describe('defaults', () => {
  it('every limit has a safe default', () => {
    expect(defaultLimits.handshakeTimeout).toBeLessThanOrEqual(10_000);
    expect(defaultLimits.maxPayload).toBe(16 * 1024 * 1024);
    // Issue #13: a fragment costs its bytes (bounded by maxMessageSize); counting is opt-in.
    expect(defaultLimits.maxFragments).toBe(Number.POSITIVE_INFINITY);
    expect(defaultLimits.closeTimeout).toBeGreaterThan(0);
    expect(defaultLimits.maxBufferedAmount).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(defaultLimits.heartbeatInterval).toBe(30_000);
  });
});

describe('handshake timeout (RFC 6455 §4.1, a slowloris upgrade)', () => {
  it('closes a client that sends its upgrade request one byte at a time', async () => {
    const { wss, port } = await startServer({ handshakeTimeout: 600 });
    server = wss;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    const request = upgradeRequest(port);
    let i = 0;
    const drip = setInterval(() => {
      if (i < request.length && !socket.destroyed) socket.write(request[i++]!);
    }, 50);
    try {
      const elapsed = await closedWithin(socket, 3_000);
      expect(elapsed).toBeGreaterThanOrEqual(500);
      expect(i).toBeLessThan(request.length); // cut off long before the request was complete
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a client that connects and sends nothing', async () => {
    const { wss, port } = await startServer({ handshakeTimeout: 500 });
    server = wss;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    // Generous bound: the suite runs beside other heavy test files on a shared machine.
    const elapsed = await closedWithin(socket, 8_000);
    expect(elapsed).toBeGreaterThanOrEqual(400);
  });

  it('covers the authentication hook: a hook that never answers gets 408', async () => {
    const { wss, port } = await startServer({
      handshakeTimeout: 300,
      authenticate: () => new Promise(() => {}),
    });
    server = wss;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let response = '';
    socket.on('data', (c) => (response += c));
    socket.write(upgradeRequest(port));
    await closedWithin(socket, 2_000);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(wss.clients.size).toBe(0);
  });

  it('refuses a request header over maxHeaderSize with 431', async () => {
    const { wss, port } = await startServer({ maxHeaderSize: 2048 });
    server = wss;
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let response = '';
    socket.on('data', (c) => (response += c));
    socket.write(upgradeRequest(port, `X-Big: ${'a'.repeat(4096)}\r\n`));
    await closedWithin(socket, 2_000);
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
  });
});

describe('close timeout (RFC 6455 §7.1.1)', () => {
  it('destroys a peer that never answers our close frame', async () => {
    const { wss, port } = await startServer({ closeTimeout: 300 });
    server = wss;
    const connected = once(wss, 'connection');
    const { socket, received } = await rawUpgrade(port);
    const [ws] = await connected;
    const closeEvent = once(ws, 'close');
    ws.close(1000, 'bye');
    const elapsed = await closedWithin(socket, 2_000);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(closeCodeIn(received())).toBe(1000);
    expect(await closeEvent).toEqual([1006, '']);
    expect(wss.clients.size).toBe(0);
  });
});

describe('message limits (RFC 6455 §7.4.1: 1008, 1009)', () => {
  it('refuses a frame over maxPayload with 1009', async () => {
    const { wss, port } = await startServer({ maxPayload: 1000 });
    server = wss;
    const { socket, received } = await rawUpgrade(port);
    socket.write(frame(2, Buffer.alloc(2000)));
    await closedWithin(socket, 2_000);
    expect(closeCodeIn(received())).toBe(1009);
  });

  it('refuses a fragmented message over maxMessageSize with 1009', async () => {
    const { wss, port } = await startServer({ maxMessageSize: 1000 });
    server = wss;
    const { socket, received } = await rawUpgrade(port);
    socket.write(
      Buffer.concat([
        frame(2, Buffer.alloc(600), false),
        frame(0, Buffer.alloc(600), false),
        frame(0, Buffer.alloc(10), true),
      ]),
    );
    await closedWithin(socket, 2_000);
    expect(closeCodeIn(received())).toBe(1009);
  });

  it('refuses a flood of one-byte fragments with 1008 after maxFragments (opt-in)', async () => {
    const { wss, port } = await startServer({ maxFragments: 1024 });
    server = wss;
    const errors: Error[] = [];
    wss.on('connection', (ws) => ws.on('error', (e) => errors.push(e)));
    const { socket, received } = await rawUpgrade(port);
    // 1.4 MB of one-byte fragments, built before the baseline so only the server is measured.
    const one = frame(0, 'a', false);
    const flood = Buffer.allocUnsafe(one.length * 200_001);
    frame(1, 'a', false).copy(flood, 0);
    for (let i = 1; i <= 200_000; i++) one.copy(flood, i * one.length);
    const before = gcRss();
    socket.write(flood);
    await closedWithin(socket, 5_000);
    expect(closeCodeIn(received())).toBe(1008);
    expect(gcRss() - before).toBeLessThan(10 * 1024 * 1024);
    expect(errors.map((e) => (e as Error & { closeCode?: number }).closeCode)).toEqual([1008]);
  });
});

describe('backpressure (a client that sends but never reads)', () => {
  it('stops reading from it: RSS grows by at most 16 MB while it floods for 4 s', async () => {
    const { wss, port } = await startServer();
    server = wss;
    echo(wss);
    const before = gcRss();
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      for (const ws of wss.clients) maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
    }, 20);
    const result = await runRawClient(['flood', String(port), '4']);
    clearInterval(sampler);
    const growth = gcRss() - before;
    expect(result.sent as number).toBeGreaterThan(1024 * 1024); // it did flood
    expect(maxBuffered).toBeLessThanOrEqual(wss.options.maxBufferedAmount + 256 * 1024);
    expect(growth).toBeLessThan(16 * 1024 * 1024);
  }, 20_000);

  it("policy 'close': a connection whose queue passes maxBufferedAmount is closed with 1008", async () => {
    const { wss, port } = await startServer({
      maxBufferedAmount: 256 * 1024,
      highWaterMark: 64 * 1024,
      closeTimeout: 300,
    });
    server = wss;
    const connected = once(wss, 'connection');
    const { socket, received } = await rawUpgrade(port);
    socket.pause();
    const [ws] = (await connected) as [ServerWebSocket];
    const closed = once(ws, 'close');
    const chunk = Buffer.alloc(64 * 1024);
    let refused = 0;
    for (let i = 0; i < 200 && ws.readyState === 1; i++) {
      ws.send(chunk, (error) => {
        if (error) refused++;
      });
      await new Promise((r) => setImmediate(r));
    }
    expect(ws.readyState).not.toBe(1);
    await closed;
    expect(refused).toBeGreaterThan(0);
    socket.resume();
    void received;
  });

  it("policy 'drop': sends over the limit are dropped and reported, the connection stays", async () => {
    const { wss, port } = await startServer({
      maxBufferedAmount: 256 * 1024,
      highWaterMark: 64 * 1024,
      backpressurePolicy: 'drop',
    });
    server = wss;
    const connected = once(wss, 'connection');
    const { socket } = await rawUpgrade(port);
    socket.pause();
    const [ws] = (await connected) as [ServerWebSocket];
    const chunk = Buffer.alloc(64 * 1024);
    let dropped = 0;
    // The kernel's socket buffers absorb several MB first; keep sending until one is dropped.
    for (let i = 0; i < 2_000 && dropped === 0; i++) {
      ws.send(chunk, (error) => {
        if (error) dropped++;
      });
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(dropped).toBeGreaterThan(0);
    expect(ws.readyState).toBe(1);
    expect(ws.bufferedAmount).toBeLessThan(256 * 1024 + 64 * 1024 + 8 * 1024 * 1024);
    // Once the peer reads, the queue drains and sends are accepted again.
    const drained = once(ws, 'drain');
    socket.resume();
    await drained;
    expect(ws.send('after')).toBe(true);
  });
});

describe('10,000 connections reset in the middle of a frame', () => {
  it('leave the server alive, with no leaked sockets or timers and bounded growth', async () => {
    const { wss, port } = await startServer();
    server = wss;
    echo(wss);
    const resources = () => {
      const info = process.getActiveResourcesInfo();
      return {
        tcp: info.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP').length,
        timers: info.filter((r) => r === 'Timeout').length,
      };
    };
    // Warm up first: V8 grows its young generation (up to ~32 MB of RSS) the first time
    // allocation runs hot; that is a one-time reservation, not growth per connection.
    await runRawClient(['resets', String(port), '1000', '64']);
    await new Promise((r) => setTimeout(r, 200));
    const baseline = resources();
    const before = gcRss();
    const count = Number(process.env.STRATA_RESET_COUNT ?? 10_000);
    const result = await runRawClient(['resets', String(port), String(count), '64']);
    expect(result.done).toBe(count);
    // Every server-side socket is gone shortly after.
    const deadline = Date.now() + 5_000;
    while (wss.clients.size > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(wss.clients.size).toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    const after = resources();
    expect(after.tcp).toBeLessThanOrEqual(baseline.tcp);
    expect(after.timers).toBeLessThanOrEqual(baseline.timers);
    expect(gcRss() - before).toBeLessThan(30 * 1024 * 1024);
    // Still serving.
    const client = await openClient(`ws://127.0.0.1:${port}/`);
    client.send('alive');
    const [data] = await once(client, 'message');
    expect(String(data)).toBe('alive');
    client.terminate();
  }, 60_000);
});
