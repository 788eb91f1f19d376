/**
 * Large messages and the reuse of their frame buffers: a client's masked frame over 16 KiB is
 * masked into a buffer whose earlier write finished (the session calls the engine's
 * `releaseOutput` from the write's callback), never into one a stalled socket still holds.
 * Asserted on the bytes the server receives and on the allocations made.
 */
import { once } from 'node:events';
import { WebSocketServer } from '@strata-ws/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from '../src/index.js';
import { type ReceivedFrames, startRawServer, switching } from './raw-server.js';

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed * 13) & 0xff;
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('large sends', () => {
  it('frames queued behind a stalled socket keep their bytes until written', async () => {
    // 24 MiB: more than the kernel's loopback buffers take, so writes stay pending.
    const size = 512 * 1024;
    const count = 48;
    let frames: ReceivedFrames['frames'] = [];
    let resume = (): void => {};
    const server = await startRawServer((socket, request, received) => {
      frames = received.frames;
      socket.write(switching(request));
      socket.pause(); // nothing is read: the client's writes back up
      resume = () => socket.resume();
    });
    const ws = new WebSocket(server.url);
    ws.binaryType = 'arraybuffer';
    await once(ws, 'open');
    // Sent across several ticks: several flushes while the earlier writes are still pending.
    for (let i = 0; i < count; i++) {
      ws.send(pattern(size, i));
      if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(ws.bufferedAmount).toBeGreaterThan(size); // writes are pending
    resume();
    await vi.waitFor(() => expect(frames.length).toBe(count), { timeout: 5000 });
    // Every frame the server parsed, in order, byte for byte.
    for (const [i, f] of frames.entries()) {
      expect(f.masked).toBe(true);
      expect(Buffer.compare(f.payload, pattern(size, i))).toBe(0);
    }
    ws.close();
    await server.close();
  });

  it('a steady stream of large echoes reuses frame buffers, byte-exact', async () => {
    const size = 100 * 1024;
    const frameSize = size + 14; // 2 + 8 (64-bit length) + 4 (mask key)
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    wss.on('connection', (peer) => {
      peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }));
    });
    const { port } = wss.address() as { port: number };
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.binaryType = 'arraybuffer';
    await once(ws, 'open');
    const allocations = vi.spyOn(Buffer, 'allocUnsafe');
    const rounds = 30;
    for (let i = 0; i < rounds; i++) {
      ws.send(pattern(size, i));
      const [event] = (await once(ws, 'message')) as [{ data: ArrayBuffer }];
      expect(Buffer.compare(Buffer.from(event.data), pattern(size, i))).toBe(0);
    }
    const frameBuffers = allocations.mock.calls.filter(([n]) => n === frameSize).length;
    expect(frameBuffers).toBeGreaterThanOrEqual(1);
    expect(frameBuffers).toBeLessThanOrEqual(2); // not one per message
    ws.close();
    await once(ws, 'close');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
});
