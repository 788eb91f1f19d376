/**
 * WebSocketStream (WHATWG WebSockets Standard): opened/closed promises, close(), the streams'
 * close/cancel/abort algorithms, the abort signal, and backpressure in both directions
 * against a real `ws` server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket as WsSocket } from 'ws';
import { WebSocketError, WebSocketStream } from '../src/index.js';
import { startWsServer } from './helpers.js';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function echoServer(options: Parameters<typeof startWsServer>[0] = {}) {
  const peer = await startWsServer({ perMessageDeflate: false, ...options });
  cleanup = peer.close;
  peer.server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  return peer;
}

function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('condition not reached'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe('WebSocketStream', () => {
  it('opens, echoes text and binary, closes with a code and reason', async () => {
    const peer = await echoServer({ handleProtocols: (set) => [...set][1] ?? false });
    const wss = new WebSocketStream(`${peer.url}/x?y=1`, { protocols: ['a', 'b'] });
    expect(wss.url).toBe(`${peer.url}/x?y=1`);
    const { readable, writable, protocol, extensions } = await wss.opened;
    expect(protocol).toBe('b');
    expect(extensions).toBe('');
    const writer = writable.getWriter();
    const reader = readable.getReader();
    await writer.write('text');
    await writer.write(new Uint8Array([1, 2, 3]));
    await writer.write(new Uint16Array([0x0102]).buffer);
    const r1 = await reader.read();
    expect(r1.value).toBe('text');
    const r2 = await reader.read();
    expect(r2.value).toBeInstanceOf(Uint8Array);
    expect((r2.value as Uint8Array).constructor).toBe(Uint8Array);
    expect([...(r2.value as Uint8Array)]).toEqual([1, 2, 3]);
    expect((await reader.read()).value).toEqual(new Uint8Array([2, 1]));
    wss.close({ closeCode: 3456, reason: 'pizza' });
    expect(await wss.closed).toEqual({ closeCode: 3456, reason: 'pizza' });
    expect((await reader.read()).done).toBe(true);
    await expect(writer.write('late')).rejects.toBeDefined();
  });

  it('keeps message order with permessage-deflate (asynchronous inflate and deflate)', async () => {
    const peer = await echoServer({ perMessageDeflate: { threshold: 0 } });
    const wss = new WebSocketStream(peer.url);
    const { readable, writable, extensions } = await wss.opened;
    expect(extensions).toMatch(/^permessage-deflate/);
    const writer = writable.getWriter();
    const sizes = [10, 100_000, 5, 300_000, 1, 70_000];
    for (const [i, n] of sizes.entries()) void writer.write(`${i}:${'y'.repeat(n)}`);
    const reader = readable.getReader();
    for (const [i, n] of sizes.entries()) {
      const { value } = await reader.read();
      expect(value).toBe(`${i}:${'y'.repeat(n)}`);
    }
    wss.close();
    expect(await wss.closed).toEqual({ closeCode: 1005, reason: '' });
  });

  it('close() without arguments sends an empty close frame; a reason alone means 1000', async () => {
    const peer = await echoServer();
    const a = new WebSocketStream(peer.url);
    await a.opened;
    a.close();
    expect(await a.closed).toEqual({ closeCode: 1005, reason: '' });
    const b = new WebSocketStream(peer.url);
    await b.opened;
    b.close({ reason: 'non-empty' });
    expect(await b.closed).toEqual({ closeCode: 1000, reason: 'non-empty' });
  });

  it('close() validates its argument', async () => {
    const peer = await echoServer();
    const wss = new WebSocketStream(peer.url);
    await wss.opened;
    expect(() => wss.close(true as unknown as object)).toThrow(TypeError);
    for (const closeCode of [999, 1001, 2999, 5000]) {
      expect(() => wss.close({ closeCode })).toThrow(
        expect.objectContaining({ name: 'InvalidAccessError' }),
      );
    }
    expect(() => wss.close({ reason: '.'.repeat(124) })).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
    expect(() => wss.close({ closeCode: 70000 })).toThrow(TypeError);
    wss.close();
    await wss.closed;
  });

  it('closing the writable closes cleanly; its promise waits for the closing handshake', async () => {
    const peer = await echoServer();
    const wss = new WebSocketStream(peer.url);
    const { writable } = await wss.opened;
    let closedSettled = false;
    void wss.closed.then(() => {
      closedSettled = true;
    });
    await writable.getWriter().close();
    expect(await wss.closed).toEqual({ closeCode: 1005, reason: '' });
    expect(closedSettled).toBe(true);
  });

  it('cancelling the readable or aborting the writable closes cleanly; a WebSocketError gives the code', async () => {
    const peer = await echoServer();
    const codes: number[] = [];
    peer.server.on('connection', (socket) => socket.on('close', (code) => codes.push(code)));
    const a = new WebSocketStream(peer.url);
    (await a.opened).readable.cancel();
    expect(await a.closed).toEqual({ closeCode: 1005, reason: '' });
    const b = new WebSocketStream(peer.url);
    (await b.opened).writable.abort(new Error('plain'));
    expect(await b.closed).toEqual({ closeCode: 1005, reason: '' });
    const c = new WebSocketStream(peer.url);
    (await c.opened).writable.abort(new WebSocketError('x', { closeCode: 4001, reason: 'why' }));
    expect(await c.closed).toEqual({ closeCode: 4001, reason: 'why' });
    const d = new WebSocketStream(peer.url);
    (await d.opened).readable.cancel(new WebSocketError('x', { reason: 'r' }));
    expect(await d.closed).toEqual({ closeCode: 1000, reason: 'r' });
    await until(() => codes.length === 4);
    expect(codes).toEqual([1005, 1005, 4001, 1000]);
  });

  it('close during the handshake rejects opened and closed with a WebSocketError', async () => {
    const peer = await echoServer();
    const wss = new WebSocketStream(peer.url);
    wss.close();
    await expect(wss.opened).rejects.toBeInstanceOf(WebSocketError);
    await expect(wss.closed).rejects.toBeInstanceOf(WebSocketError);
  });

  it('the abort signal: already aborted starts nothing (opened and closed reject with its reason), rejects with its reason while connecting', async () => {
    const peer = await echoServer();
    const reason = new Error('gave up');
    const early = new WebSocketStream(peer.url, { signal: AbortSignal.abort(reason) });
    await expect(early.opened).rejects.toBe(reason);
    await expect(early.closed).rejects.toBe(reason);
    early.close(); // a no-op
    const byDefault = new WebSocketStream(peer.url, { signal: AbortSignal.abort() });
    await expect(byDefault.opened).rejects.toMatchObject({ name: 'AbortError' });
    await expect(byDefault.closed).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const wss = new WebSocketStream(peer.url, { signal: controller.signal });
    controller.abort(reason);
    await expect(wss.opened).rejects.toBe(reason);
    await expect(wss.closed).rejects.toBe(reason);
    // No effect once open.
    const controller2 = new AbortController();
    const open = new WebSocketStream(peer.url, { signal: controller2.signal });
    await open.opened;
    controller2.abort();
    open.close({ closeCode: 1000 });
    expect(await open.closed).toEqual({ closeCode: 1000, reason: '' });
  });

  it('an unclean close errors both streams and rejects closed with code 1006', async () => {
    const peer = await echoServer();
    peer.server.on('connection', (socket) => setTimeout(() => socket.terminate(), 20));
    const wss = new WebSocketStream(peer.url);
    const { readable } = await wss.opened;
    const error = await wss.closed.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WebSocketError);
    expect((error as WebSocketError).closeCode).toBe(1006);
    await expect(readable.getReader().read()).rejects.toBe(error);
  });

  it('a connection failure rejects opened (no code) and closed (1006), as Chromium does', async () => {
    const wss = new WebSocketStream('ws://127.0.0.1:1/');
    const opened = await wss.opened.then(
      () => null,
      (e: unknown) => e as WebSocketError,
    );
    const closed = await wss.closed.then(
      () => null,
      (e: unknown) => e as WebSocketError,
    );
    expect([opened?.name, opened?.closeCode, opened?.message]).toEqual([
      'WebSocketError',
      null,
      'WebSocket closed before handshake complete.',
    ]);
    expect([closed?.name, closed?.closeCode, closed?.message]).toEqual([
      'WebSocketError',
      1006,
      'WebSocket was not cleanly closed.',
    ]);
  });

  it('backpressure on reading: a slow reader stops the socket being read', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanup = peer.close;
    const MESSAGES = 400;
    const SIZE = 64 * 1024;
    let serverSocket: WsSocket | null = null;
    peer.server.on('connection', (socket) => {
      serverSocket = socket;
      const payload = Buffer.alloc(SIZE, 1);
      for (let i = 0; i < MESSAGES; i++) {
        payload.writeUInt32BE(i, 0);
        socket.send(Buffer.from(payload));
      }
    });
    const wss = new WebSocketStream(peer.url);
    const { readable } = await wss.opened;
    await until(() => serverSocket !== null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The client read at most its queue plus what the kernel buffers hold: most of the
    // 25 MiB is still waiting on the server's side.
    const waiting = serverSocket!.bufferedAmount;
    expect(waiting).toBeGreaterThan((MESSAGES * SIZE) / 2);
    let count = 0;
    for await (const chunk of readable) {
      expect((chunk as Uint8Array).length).toBe(SIZE);
      expect(Buffer.from(chunk as Uint8Array).readUInt32BE(0)).toBe(count);
      count++;
      if (count === MESSAGES) break;
    }
    expect(count).toBe(MESSAGES);
    await wss.closed.catch(() => {});
  });

  it('backpressure on writing: a full socket holds the writer', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanup = peer.close;
    let received = 0;
    let serverSocket: WsSocket | null = null;
    peer.server.on('connection', (socket) => {
      serverSocket = socket;
      (socket as unknown as { _socket: import('node:net').Socket })._socket.pause();
      socket.on('message', () => received++);
    });
    const wss = new WebSocketStream(peer.url);
    const { writable } = await wss.opened;
    const writer = writable.getWriter();
    const chunk = new Uint8Array(64 * 1024);
    let written = 0;
    for (;;) {
      const settled = await Promise.race([
        writer.write(chunk).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200)),
      ]);
      if (!settled) break;
      written++;
      if (written > 2000) throw new Error('the writer was never held back');
    }
    // Held back after what the kernel buffers and one high-water mark hold (not 128 MiB).
    expect(written).toBeLessThan(1000);
    (serverSocket as unknown as { _socket: import('node:net').Socket })._socket.resume();
    await writer.ready;
    await until(() => received >= written);
    wss.close();
    await wss.closed;
  });
});
