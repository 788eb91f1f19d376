/**
 * Cases of the Bun and Deno adapters' own API, beside the shared suite: `handler.publish` to
 * every subscriber (signalled with SIGUSR2 to the fixture) and `handler.close()` (SIGINT: every
 * peer gets 1001, the process reports `CLOSED` and exits), in each mode.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RuntimeServer } from './process.js';

/** Registers the cases for one runtime and mode; `start` launches the suite's fixture. */
export function defineAdapterCases(name: string, start: () => Promise<RuntimeServer>): void {
  describe(`${name}: handler.publish and handler.close`, () => {
    it('publishes to every subscriber, then closes every peer with 1001', async () => {
      const server = await start();
      try {
        const open = async (tag: string) => {
          const ws = new WebSocket(`ws://127.0.0.1:${server.port}/?tag=${tag}`);
          const messages: string[] = [];
          ws.on('message', (data) => messages.push(String(data)));
          await once(ws, 'open');
          ws.send('!sub news');
          while (!messages.includes('subscribed news')) await new Promise((r) => setTimeout(r, 10));
          return { ws, messages };
        };
        const a = await open('pa');
        const b = await open('pb');
        server.child.kill('SIGUSR2');
        for (const c of [a, b]) {
          while (!c.messages.some((m) => m.startsWith('server news')))
            await new Promise((r) => setTimeout(r, 10));
        }
        expect(a.messages).toContain('server news to 2 peers');
        expect(b.messages).toContain('server news to 2 peers');
        const closes = [a, b].map(({ ws }) => once(ws, 'close').then(([code]) => code as number));
        const exited = once(server.child, 'exit');
        server.child.kill('SIGINT');
        expect(await Promise.all(closes)).toEqual([1001, 1001]);
        await exited;
        expect(server.output()).toContain('CLOSED');
      } finally {
        await server.stop();
      }
    }, 20_000);
  });
}
