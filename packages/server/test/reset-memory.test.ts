/**
 * Connections reset mid-frame (issue #13): 2,000 clients upgrade, send the first part of a
 * frame, then reset (RST). Nothing may stay behind after a GC: no connection, no topic
 * entry, no heap or buffer growth beyond noise. (The 10,000-connection figures come from
 * `node apps/bench/src/reset-memory.js`.)
 */
import { once } from 'node:events';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../src/index.js';

const N = Number(process.env.RESET_TEST_N ?? 2000);
const UPGRADE = Buffer.from(
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);
// A masked binary frame announcing 1024 bytes, and 100 of them.
const PARTIAL = Buffer.concat([
  Buffer.from([0x82, 0x80 | 126, 0x04, 0x00, 1, 2, 3, 4]),
  Buffer.alloc(100, 0x61),
]);

let server: WebSocketServer | undefined;
afterEach(async () => {
  const wss = server;
  server = undefined;
  if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
});

function retained(): { heap: number; buffers: number } {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  // `external` includes `arrayBuffers` (Buffers' memory).
  return { heap: m.heapUsed, buffers: m.external };
}

/** Opens `count` clients that are mid-frame once the promise resolves. */
async function openMidFrame(port: number, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let done = 0; done < count; done += 200) {
    await Promise.all(
      Array.from(
        { length: Math.min(200, count - done) },
        () =>
          new Promise<void>((resolve, reject) => {
            const s = connect(port, '127.0.0.1');
            s.on('error', () => {});
            s.once('connect', () => s.write(UPGRADE));
            s.once('data', () => s.write(PARTIAL, () => resolve()));
            s.once('close', () => reject(new Error('closed before the upgrade')));
            sockets.push(s);
          }),
      ),
    );
  }
  return sockets;
}

async function resetAll(sockets: Socket[]): Promise<void> {
  await Promise.all(
    sockets.map((s) => {
      const closed = once(s, 'close');
      s.resetAndDestroy();
      return closed;
    }),
  );
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('connections reset mid-frame', () => {
  it('leave nothing behind after a GC (2,000 connections)', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
    server = wss;
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    const closes: number[] = [];
    wss.on('connection', (ws) => {
      ws.subscribe('room');
      ws.on('close', (code) => closes.push(code));
    });
    // A first round grows what is sized once (JIT, pools, hash tables of the client and topic
    // maps); the baseline comes after it, so what the second round leaves is what stays.
    await resetAll(await openMidFrame(port, N));
    await until(() => wss.clients.size === 0);
    const before = retained();
    const sockets = await openMidFrame(port, N);
    await until(() => wss.clients.size === N);
    const peak = retained();
    await resetAll(sockets);
    sockets.length = 0;
    await until(() => wss.clients.size === 0);
    const after = retained();
    // The peak is real (each connection holds its partial frame)...
    expect(peak.heap - before.heap).toBeGreaterThan(N * 500);
    // ...and after the resets nothing stays: under 250 bytes per connection either way.
    expect(after.heap - before.heap).toBeLessThan(N * 250);
    expect(after.buffers - before.buffers).toBeLessThan(N * 250);
    expect(closes.filter((code) => code === 1006)).toHaveLength(2 * N);
    expect(wss.subscriberCount('room')).toBe(0);
    expect(wss.counters.connectionsOpen).toBe(0);
  }, 60_000);
});
