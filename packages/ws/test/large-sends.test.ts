/**
 * An `@strata-ws/ws` client sending large messages behind a stalled socket: the engine reuses
 * the buffer of a large masked frame only after its write finished (the transport releases the
 * chunks from the write's callback), so every message reaches a real `ws` server byte-exact.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { WebSocket } from '../src/index.js';
import { listen, shut } from './impls.js';

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed * 13) & 0xff;
  return out;
}

describe('@strata-ws/ws client: large sends', () => {
  it('frames queued behind a stalled socket keep their bytes until written', async () => {
    // 24 MiB: more than the kernel's loopback buffers take, so writes stay pending.
    const size = 512 * 1024;
    const count = 48;
    const { wss, url } = await listen(ws, { maxPayload: 1 << 20 });
    const received: Buffer[] = [];
    let resume = (): void => {};
    wss.on('connection', (peer, request) => {
      request.socket.pause(); // `ws` has not read anything yet: the client's writes back up
      resume = () => request.socket.resume();
      peer.on('message', (data) => received.push(data as Buffer));
    });
    const client = new WebSocket(url);
    await once(client, 'open');
    for (let i = 0; i < count; i++) {
      client.send(pattern(size, i));
      if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(client.bufferedAmount).toBeGreaterThan(size); // writes are pending
    resume();
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(count);
    for (const [i, data] of received.entries()) {
      expect(Buffer.compare(data, pattern(size, i))).toBe(0);
    }
    client.close();
    await shut(wss);
  });
});
