/**
 * The portable client in workerd, the Cloudflare Workers runtime (miniflare 4 from npm runs it
 * locally), over the runtime's own WebSocket: a resumable session across a TCP cut against the
 * Strata server delivers every topic message exactly once, in order.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePortable, startServer, TcpProxy, until } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-reconnect-workers-'));
for (const [file, js] of compilePortable()) writeFileSync(join(dir, file), js);
copyFileSync(new URL('./fixtures/workers-client.mjs', import.meta.url), join(dir, 'worker.mjs'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('in workerd (Cloudflare Workers)', () => {
  it('resumes across a TCP cut: 400 messages exactly once, in order', async () => {
    const s = await startServer({ windowMs: 10_000 }, (c) => c.subscribe('feed'));
    const proxy = await new TcpProxy(s.port).listen();
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(dir, 'worker.mjs'),
      modulesRoot: dir,
      modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }],
      compatibilityDate: '2026-07-01',
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const base = await mf.ready;
      const answer = fetch(new URL(`/?n=400&target=${encodeURIComponent(proxy.url)}`, base));
      await until(
        () => s.sessions.sessionCount === 1 && s.wss.clients.size === 1,
        20_000,
        'session',
      );
      for (let i = 1; i <= 200; i++) s.wss.publish('feed', String(i));
      await new Promise((r) => setTimeout(r, 50));
      expect(proxy.cut()).toBe(1);
      for (let i = 201; i <= 400; i++) s.wss.publish('feed', String(i)); // while it is away
      const response = await answer;
      expect(response.status).toBe(200);
      const { events, got, log } = (await response.json()) as {
        events: string[];
        got: string[];
        log: string[];
      };
      expect(events, log.join(', ')).toEqual(['session', 'resumed']);
      expect(got, log.join(', ')).toEqual(Array.from({ length: 400 }, (_, i) => String(i + 1)));
    } finally {
      await mf.dispose();
      await proxy.close();
      await s.close();
    }
  }, 60_000);
});
