import { afterEach, describe, expect, it } from 'vitest';
import { type CloseEvent, WebSocket, WebSocketStream } from '../src/index.js';
import { nextEvent, startWsServer } from './helpers.js';
import { frame, type ReceivedFrames, startRawServer, switching } from './raw-server.js';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('smoke', () => {
  it('echoes text and binary with a ws server', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanup = peer.close;
    peer.server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const ws = new WebSocket(peer.url);
    ws.binaryType = 'arraybuffer';
    await nextEvent(ws, 'open');
    ws.send('hello');
    const m1 = await nextEvent<MessageEvent>(ws, 'message');
    expect(m1.data).toBe('hello');
    ws.send(new Uint8Array([1, 2, 3]));
    const m2 = await nextEvent<MessageEvent>(ws, 'message');
    expect(new Uint8Array(m2.data as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    ws.close(1000, 'bye');
    const c = await nextEvent<CloseEvent>(ws, 'close');
    expect([c.code, c.reason, c.wasClean]).toEqual([1000, 'bye', true]);
  });
});

describe('binary messages as ArrayBuffers', () => {
  it('each large and small message is its own ArrayBuffer with its own bytes (no aliasing)', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanup = peer.close;
    peer.server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const ws = new WebSocket(peer.url);
    ws.binaryType = 'arraybuffer';
    await nextEvent(ws, 'open');
    // 16 KiB and 4 KiB messages: several in one read (copied out into unzeroed buffers) and
    // some split across reads (gathered into the engine's own unzeroed buffers).
    const sizes = [300_000, 300_000, 5000, 100, 70_000, 100, 16_384, 16_384, 16_384, 4096, 4095];
    const received: ArrayBuffer[] = [];
    const all = new Promise<void>((resolve) => {
      ws.onmessage = (e: MessageEvent) => {
        received.push(e.data as ArrayBuffer);
        if (received.length === sizes.length) resolve();
      };
    });
    for (const [i, n] of sizes.entries()) ws.send(new Uint8Array(n).fill(i + 1));
    await all;
    // Checked only after every message arrived: a buffer reused for a later message would show.
    sizes.forEach((n, i) => {
      const bytes = new Uint8Array(received[i]!);
      expect(bytes.length).toBe(n);
      expect(bytes.every((b) => b === i + 1)).toBe(true);
    });
    expect(new Set(received).size).toBe(sizes.length);
    ws.close();
    await nextEvent(ws, 'close');
  });
});

describe('binary messages from a WebSocketStream', () => {
  it('each message is a Uint8Array of its own with its own bytes (no aliasing)', async () => {
    const peer = await startWsServer({ perMessageDeflate: false });
    cleanup = peer.close;
    peer.server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const wss = new WebSocketStream(peer.url);
    const { readable, writable } = await wss.opened;
    const writer = writable.getWriter();
    const reader = readable.getReader();
    const sizes = [300_000, 16_384, 16_384, 100, 70_000, 5000];
    for (const [i, n] of sizes.entries()) await writer.write(new Uint8Array(n).fill(i + 1));
    const received: Uint8Array[] = [];
    for (let i = 0; i < sizes.length; i++) {
      const { value } = await reader.read();
      received.push(value as Uint8Array);
    }
    sizes.forEach((n, i) => {
      const bytes = received[i]!;
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(bytes)).toBe(false);
      // The message's own buffer, exactly its size.
      expect([bytes.byteOffset, bytes.byteLength, bytes.buffer.byteLength]).toEqual([0, n, n]);
      expect(bytes.every((b) => b === i + 1)).toBe(true);
    });
    expect(new Set(received.map((r) => r.buffer)).size).toBe(sizes.length);
    wss.close();
    await wss.closed;
  });
});

describe('replies to the messages of one socket read', () => {
  it('leave in one write after the last of them, in order; bufferedAmount counts them until then', async () => {
    let received: ReceivedFrames | null = null;
    const server = await startRawServer((socket, request, frames) => {
      received = frames;
      socket.write(switching(request));
      // Three messages in one write: one read on the client, three tasks queued together.
      setTimeout(() => {
        socket.write(Buffer.concat([frame(1, 'm1'), frame(1, 'm2'), frame(1, 'm3')]));
      }, 20);
    });
    cleanup = server.close;
    const ws = new WebSocket(server.url);
    const buffered: number[] = [];
    ws.onmessage = (e: MessageEvent) => {
      buffered.push(ws.bufferedAmount);
      ws.send(`re-${e.data as string}`);
    };
    const texts = (): string[] =>
      (received?.frames ?? []).filter((f) => f.opcode === 1).map((f) => f.payload.toString());
    for (let i = 0; i < 200 && texts().length < 3; i++) await new Promise((r) => setTimeout(r, 5));
    expect(texts()).toEqual(['re-m1', 're-m2', 're-m3']);
    // Held while the tasks of the same read ran (5 bytes per reply), written after the last.
    expect(buffered).toEqual([0, 5, 10]);
    await new Promise((r) => setTimeout(r, 20));
    expect(ws.bufferedAmount).toBe(0);
    const closed = nextEvent(ws, 'close');
    for (const socket of server.sockets) socket.destroy();
    await closed;
  });
});

describe('smoke with compression', () => {
  it('negotiates permessage-deflate with ws and echoes large messages', async () => {
    const peer = await startWsServer({ perMessageDeflate: { threshold: 0 } });
    cleanup = peer.close;
    peer.server.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    const ws = new WebSocket(peer.url);
    await nextEvent(ws, 'open');
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const big = 'x'.repeat(200_000);
    ws.send(big);
    const m1 = await nextEvent<MessageEvent>(ws, 'message');
    expect(m1.data).toBe(big);
    ws.send(new Uint8Array(100_000).fill(7));
    const m2 = await nextEvent<MessageEvent>(ws, 'message');
    expect(m2.data).toBeInstanceOf(Blob);
    expect((m2.data as Blob).size).toBe(100_000);
    ws.close();
    const c = await nextEvent<CloseEvent>(ws, 'close');
    expect([c.code, c.reason, c.wasClean]).toEqual([1005, '', true]);
  });
});
