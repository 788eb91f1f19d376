/**
 * Cases of the Bun and Deno adapters' own API, beside the shared suite: `handler.publish` to
 * every subscriber (signalled with SIGUSR2 to the fixture) and `handler.close()` (SIGINT: every
 * peer gets 1001, the process reports `CLOSED` and exits), in each mode.
 */
import { randomBytes } from 'node:crypto';
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

/**
 * permessage-deflate in `strata` mode (`echo-server.ts ... deflate`): three 1 MiB messages of
 * random bytes echoed compressed, then the closing handshake completes. (A regression: a send
 * counted over `highWaterMark` while it waited for compression paused reading until a drain
 * the runtime never reported, so the close frame was never read.)
 */
export function defineCompressionCase(name: string, start: () => Promise<RuntimeServer>): void {
  describe(`${name}: permessage-deflate`, () => {
    it('echoes 1 MiB compressed messages and completes the closing handshake', async () => {
      const server = await start();
      try {
        const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { perMessageDeflate: true });
        await once(ws, 'open');
        expect(ws.extensions).toContain('permessage-deflate');
        const sent = [0, 1, 2].map(() => randomBytes(1 << 20));
        const got: Buffer[] = [];
        ws.on('message', (data) => got.push(data as Buffer));
        for (const message of sent) ws.send(message);
        while (got.length < 3) await new Promise((r) => setTimeout(r, 10));
        expect(got.map((m) => m.equals(sent[got.indexOf(m)] as Buffer))).toEqual([
          true,
          true,
          true,
        ]);
        const closed = once(ws, 'close');
        ws.close(1000);
        const [code] = await closed;
        expect(code).toBe(1000);
      } finally {
        await server.stop();
      }
    }, 20_000);
  });
}
