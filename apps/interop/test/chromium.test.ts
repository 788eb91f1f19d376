/**
 * Strata server ↔ headless Chromium's own WebSocket, through playwright-core. The page (a
 * module running peers/exchange.js) is served by an http server the Strata server is attached
 * to (same origin). Chromium offers permessage-deflate; the server accepts with threshold 0,
 * so every message travels compressed both ways.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '@strata-ws/test-vectors';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExchangeReport,
  type ExchangeRun,
  exchangeSuite,
  GREETING,
  SERVER_PROTOCOLS,
} from './exchange-suite.js';
import { CHROMIUM, type EchoServer, peerFile, startEchoServer } from './helpers.js';

const ARGS = [...CHROMIUM_ARGS];

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="module">
  import { runExchange } from '/exchange.js';
  globalThis.__interop = runExchange(\`ws://\${location.host}/\`);
</script>
`;

describe.skipIf(!existsSync(CHROMIUM))('Strata server ↔ headless Chromium', () => {
  let server: EchoServer;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let run: ExchangeRun;
  let version = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const script = readFileSync(peerFile('exchange.js'), 'utf8');
    const http = createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      } else if (req.url === '/exchange.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      } else {
        res.writeHead(404).end();
      }
    });
    server = await startEchoServer(true, {
      server: http,
      protocols: SERVER_PROTOCOLS,
      greeting: GREETING,
    });

    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'strata-interop-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 40_000,
      args: ARGS,
    });
    version = context.browser()?.version() ?? '';
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: 20_000 });
    await page.waitForFunction(() => (globalThis as { __interop?: unknown }).__interop, null, {
      timeout: 20_000,
    });
    // The page's promise settles once both connections closed; bounded here.
    let timer: NodeJS.Timeout | undefined;
    const report = (await Promise.race([
      page.evaluate(() => (globalThis as { __interop?: unknown }).__interop),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the page did not finish in 30 s')), 30_000);
      }),
    ]).finally(() => clearTimeout(timer))) as ExchangeReport;
    run = {
      report,
      diagnostics: `chromium ${version}; page errors: ${pageErrors.join('; ')}`,
      connections: server.connections,
    };
  }, 90_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await server?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('loads the page without errors', () => {
    expect(pageErrors).toEqual([]);
  });

  exchangeSuite(() => run, { offersDeflate: true, dropsMessagesWhileClosing: true });
});
