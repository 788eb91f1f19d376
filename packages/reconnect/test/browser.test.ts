/**
 * The client suite (a subset) in headless Chromium against the Strata server: the package's
 * portable sources are compiled to ESM (typescript.transpileModule) and served with an import
 * map, so the page imports `@strata-ws/reconnect` over Chromium's own WebSocket. Covered:
 * queue flushed in order, backoff events and the maxRetries end state, an `online` event
 * retrying at once, a black-holed network noticed by the connection timeout only, handshakes
 * refused with 503 then accepted (fresh URLs from a provider; the browser shows no status), a
 * 1008 close ending the loop, and resumption across TCP cuts (exactly once, in order) and past the window.
 */
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '@strata-ws/test-vectors';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResumableServer } from '../src/server.js';
import {
  compilePortable,
  freePort,
  ManualClock,
  startServer,
  TcpProxy,
  type TestServer,
  until,
} from './helpers.js';

function compile(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, js] of compilePortable()) out.set(`/reconnect/${file}`, js);
  return out;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>reconnect</title>
<script type="importmap">{"imports":{"@strata-ws/reconnect":"/reconnect/index.js"}}</script>
<script type="module">
import { ReconnectingWebSocket } from '@strata-ws/reconnect';
window.R = ReconnectingWebSocket;
window.make = (url, options) => {
  const ws = new ReconnectingWebSocket(url, undefined, options);
  const state = { ws, messages: [], events: [] };
  ws.onmessage = (e) => state.messages.push(e.data);
  for (const type of ['open', 'close', 'error', 'reconnecting', 'giveup', 'drop', 'resumed', 'resync', 'session']) {
    ws.addEventListener(type, (e) => state.events.push(
      type === 'close' ? 'close ' + e.code
      : type === 'reconnecting' ? 'reconnecting ' + e.attempt + ' ' + e.delay
      : type === 'giveup' ? 'giveup ' + e.reason
      : type));
  }
  window.state = state;
  return true;
};
window.ready = true;
</script>`;

const CHROMIUM = CHROMIUM_EXECUTABLE;

describe.skipIf(!existsSync(CHROMIUM))('in headless Chromium', () => {
  let http: Server;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const files = compile();

  beforeAll(async () => {
    http = createServer((req, res) => {
      const body = req.url === '/' ? PAGE : files.get(req.url ?? '');
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      const type = req.url === '/' ? 'text/html; charset=utf-8' : 'text/javascript';
      res.writeHead(200, { 'content-type': type }).end(body);
    });
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    profile = mkdtempSync(join(tmpdir(), 'strata-reconnect-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: [...CHROMIUM_ARGS],
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (globalThis as { ready?: boolean }).ready === true);
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    http?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const state = <T>(fn: string): Promise<T> =>
    page.evaluate(`(() => { const s = window.state; return ${fn}; })()`) as Promise<T>;

  async function waitState(fn: string, ms = 10_000): Promise<void> {
    await page.waitForFunction(`(() => { const s = window.state; return ${fn}; })()`, null, {
      timeout: ms,
    });
  }

  it('queues while closed and flushes in order on reconnect()', async () => {
    const received: string[] = [];
    const s: TestServer = await startServer({}, (c) =>
      c.on('message', (d) => {
        received.push(String(d));
        c.send(`echo ${d}`);
      }),
    );
    try {
      await page.evaluate(
        `make(${JSON.stringify(s.url)}, { startClosed: true, maxEnqueuedMessages: 3 })`,
      );
      await page.evaluate(
        `['a', 'b', 'c', 'd'].forEach((m) => state.ws.send(m)); state.ws.reconnect()`,
      );
      await waitState('s.messages.length === 3');
      expect(received).toEqual(['a', 'b', 'c']);
      expect(await state('s.messages')).toEqual(['echo a', 'echo b', 'echo c']);
      expect(await state('s.events')).toEqual(['drop', 'open']);
      await page.evaluate('state.ws.close()');
    } finally {
      await s.close();
    }
  });

  it('backoff events, then the maxRetries end state (CLOSED, no more attempts)', async () => {
    const port = await freePort();
    await page.evaluate(
      `make('ws://127.0.0.1:${port}/', { jitter: 'none', minReconnectionDelay: 20, reconnectionDelayGrowFactor: 2, maxRetries: 2 })`,
    );
    await waitState("s.events.includes('giveup maxRetries')");
    await new Promise((r) => setTimeout(r, 150));
    const events = await state<string[]>('s.events');
    expect(events.filter((e) => !e.startsWith('error'))).toEqual([
      'close 1006',
      'reconnecting 1 20',
      'close 1006',
      'reconnecting 2 40',
      'close 1006',
      'giveup maxRetries',
    ]);
    expect(await state('s.ws.readyState')).toBe(3);
  });

  it("the browser's online event retries at once instead of waiting out the delay", async () => {
    const s = await startServer();
    const proxy = await new TcpProxy(await freePort()).listen(); // forwards to nothing yet
    try {
      await page.evaluate(
        `make(${JSON.stringify(proxy.url)}, { minReconnectionDelay: 60000, jitter: 'none' })`,
      );
      await waitState("s.events.includes('reconnecting 1 60000')");
      proxy.target = s.port;
      await page.evaluate("window.dispatchEvent(new Event('online'))");
      await waitState("s.events.includes('open')", 5000);
      await page.evaluate('state.ws.close()');
    } finally {
      await proxy.close();
      await s.close();
    }
  });

  it('the page becoming visible retries at once too', async () => {
    const s = await startServer();
    const proxy = await new TcpProxy(await freePort()).listen();
    try {
      await page.evaluate(
        `make(${JSON.stringify(proxy.url)}, { minReconnectionDelay: 60000, jitter: 'none' })`,
      );
      await waitState("s.events.includes('reconnecting 1 60000')");
      proxy.target = s.port;
      await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
      await waitState("s.events.includes('open')", 5000);
      await page.evaluate('state.ws.close()');
    } finally {
      await proxy.close();
      await s.close();
    }
  });

  it('a black-holed network: only the connection timeout notices, then it recovers', async () => {
    const s = await startServer();
    const proxy = await new TcpProxy(s.port).listen();
    try {
      proxy.blackhole(true);
      await page.evaluate(
        `make(${JSON.stringify(proxy.url)}, { connectionTimeout: 300, minReconnectionDelay: 50, jitter: 'none' });
         state.reasons = []; state.ws.addEventListener('close', (e) => state.reasons.push(e.reason)); true`,
      );
      await waitState("s.events.includes('reconnecting 1 50')");
      expect(await state('s.events')).toEqual(['error', 'close 1006', 'reconnecting 1 50']);
      expect(await state('s.reasons')).toEqual(['connection timeout']);
      expect(proxy.accepted).toBeGreaterThanOrEqual(1); // TCP accepted: no RST, only silence
      proxy.blackhole(false);
      await waitState("s.events.includes('open')", 8000);
      expect(await state('s.ws.readyState')).toBe(1);
      await page.evaluate('state.ws.close()');
    } finally {
      await proxy.close();
      await s.close();
    }
  });

  it('503 twice, then accepted: failed attempts (no status in a browser), fresh URLs from the provider', async () => {
    let attempts = 0;
    const seen: string[] = [];
    const { wss, sessions } = createResumableServer({
      port: 0,
      host: '127.0.0.1',
      heartbeatInterval: 0,
      resume: {},
      authenticate: (req) => {
        seen.push(req.url ?? '');
        attempts++;
        return attempts <= 2 ? { reject: { status: 503 } } : true;
      },
    });
    await once(wss, 'listening');
    const port = (wss.address() as AddressInfo).port;
    try {
      await page.evaluate(
        `(() => { let token = 0; return make(async () => 'ws://127.0.0.1:${port}/?token=' + (++token), { minReconnectionDelay: 10, jitter: 'none' }); })()`,
      );
      await waitState("s.events.includes('open')");
      expect(await state('s.events')).toEqual([
        'error',
        'close 1006',
        'reconnecting 1 10',
        'error',
        'close 1006',
        'reconnecting 2 13',
        'open',
      ]);
      expect(seen).toEqual(['/?token=1', '/?token=2', '/?token=3']);
      expect(await state('s.ws.url')).toBe(`ws://127.0.0.1:${port}/?token=3`);
      await page.evaluate('state.ws.close()');
    } finally {
      sessions.close();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  it('a 1008 close (how a server stops a browser, which sees no 4xx status) is not retried', async () => {
    let connections = 0;
    const s = await startServer({}, (c) => {
      connections++;
      c.close(1008, 'not allowed');
    });
    try {
      await page.evaluate(
        `make(${JSON.stringify(s.url)}, { minReconnectionDelay: 10, jitter: 'none' })`,
      );
      await waitState("s.events.includes('giveup shouldReconnect')");
      await new Promise((r) => setTimeout(r, 100)); // no further attempt comes
      expect(await state('s.events')).toEqual(['open', 'close 1008', 'giveup shouldReconnect']);
      expect(await state('s.ws.readyState')).toBe(3);
      expect(connections).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('resumes across TCP cuts: 3,000 topic messages exactly once, in order', async () => {
    const s = await startServer({ windowMs: 10_000 }, (c) => c.subscribe('feed'));
    const proxy = await new TcpProxy(s.port).listen();
    try {
      await page.evaluate(
        `make(${JSON.stringify(proxy.url)}, { resume: true, minReconnectionDelay: 5, maxReconnectionDelay: 5 })`,
      );
      await waitState("s.events.includes('session')");
      let resumes = 0;
      for (let i = 1; i <= 3000; i++) {
        s.wss.publish('feed', String(i));
        if (i % 250 === 0) await new Promise((r) => setImmediate(r));
        if (i % 1000 === 500) {
          expect(proxy.cut()).toBe(1);
          resumes++;
        }
        if (i % 1000 === 800)
          await waitState(`s.events.filter((e) => e === 'resumed').length === ${resumes}`);
      }
      await waitState('s.messages.length >= 3000');
      const messages = await state<string[]>('s.messages');
      expect(messages.length).toBe(3000);
      expect(messages.every((m, i) => m === String(i + 1))).toBe(true);
      expect(await state<string[]>("s.events.filter((e) => e === 'resync')")).toEqual([]);
      await page.evaluate('state.ws.close()');
    } finally {
      await proxy.close();
      await s.close();
    }
  }, 30_000);

  it('past the window: resync, and the missed message never arrives', async () => {
    const clock = new ManualClock();
    const s = await startServer({ windowMs: 1000, clock }, (c) => c.subscribe('feed'));
    const proxy = await new TcpProxy(s.port).listen();
    try {
      await page.evaluate(
        `make(${JSON.stringify(proxy.url)}, { resume: true, minReconnectionDelay: 300, jitter: 'none' })`,
      );
      await waitState("s.events.includes('session')");
      proxy.cut();
      await until(() => clock.pending.length === 1, 3000, 'session detached');
      s.wss.publish('feed', 'missed');
      clock.advance(1000);
      await waitState("s.events.includes('resync')");
      s.wss.publish('feed', 'after');
      await waitState('s.messages.length === 1');
      expect(await state('s.messages')).toEqual(['after']);
      await page.evaluate('state.ws.close()');
    } finally {
      await proxy.close();
      await s.close();
    }
  });
});
