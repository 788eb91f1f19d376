/**
 * Strata server ↔ headless Chromium's own WebSocket (peers/chromium-page.js), through
 * playwright-core. The page is served by an http server that the Strata server is attached to
 * (same origin). Chromium offers permessage-deflate; the server accepts with threshold 0, so
 * every message travels compressed both ways.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  type EchoServer,
  peerFile,
  type ServerRecord,
  startEchoServer,
} from './helpers.js';

interface PageEvent {
  type: string;
  [key: string]: unknown;
}
interface PageReport {
  error?: string;
  first: {
    events: PageEvent[];
    greeting: string;
    echoes: { name: string; equal: boolean }[];
    bufferedAmountAtEnd: number;
  };
  second: { events: PageEvent[] };
}

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-sync',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

describe.skipIf(!existsSync(CHROMIUM))('Strata server ↔ headless Chromium', () => {
  let server: EchoServer;
  let context: BrowserContext | undefined;
  let profile: string;
  let report: PageReport;
  let pageErrors: string[];
  let first: ServerRecord;
  let second: ServerRecord;

  beforeAll(async () => {
    const script = readFileSync(peerFile('chromium-page.js'), 'utf8');
    const http = createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><meta charset="utf-8"><script src="/page.js"></script>');
      } else if (req.url === '/page.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
        res.end(script);
      } else {
        res.writeHead(404).end();
      }
    });
    server = await startEchoServer(true, { server: http, protocols: ['strata.v1', 'strata.v2'] });
    server.wss.on('connection', (ws) => {
      ws.send('welcome ✓');
    });

    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'strata-interop-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ARGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`http://127.0.0.1:${server.port}/`, { timeout: 20_000 });
    // The page's promise settles once both connections closed; bounded here.
    let timer: NodeJS.Timeout | undefined;
    report = (await Promise.race([
      page.evaluate(() => (globalThis as { __interop?: unknown }).__interop),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the page did not finish in 30 s')), 30_000);
      }),
    ]).finally(() => clearTimeout(timer))) as PageReport;
    [first, second] = server.connections as [ServerRecord, ServerRecord];
  }, 60_000);

  afterAll(async () => {
    await context?.close().catch(() => {});
    await server?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('runs the page without errors', () => {
    expect(pageErrors).toEqual([]);
    expect(report.error).toBeUndefined();
    expect(server.connections).toHaveLength(2);
  });

  it('negotiates permessage-deflate and the server-preferred subprotocol', () => {
    expect(first.offered).toMatch(/^permessage-deflate/);
    expect(first.extensions).toMatch(/^permessage-deflate/);
    const open = report.first.events[0]!;
    expect(open).toEqual({ type: 'open', protocol: 'strata.v1', extensions: first.extensions });
    // No subprotocol offered on the second connection: none chosen.
    expect(report.second.events[0]).toMatchObject({ type: 'open', protocol: '' });
  });

  it('delivers open, the greeting, every echo in order, then the server close', () => {
    const events = report.first.events;
    expect(events.map((e) => e.type)).toEqual(['open', ...Array(10).fill('message'), 'close']);
    expect(report.first.greeting).toBe('welcome ✓');
    expect(events.slice(2, 11).map((e) => e.kind)).toEqual([
      'text',
      'text',
      'text',
      'arraybuffer',
      'arraybuffer',
      'text',
      'arraybuffer',
      'arraybuffer',
      'arraybuffer',
    ]);
    expect(report.first.echoes.filter((e) => !e.equal)).toEqual([]);
    expect(report.first.echoes).toHaveLength(9);
  });

  it('received every message on the server, with its type and size', () => {
    expect(first.messages.map((m) => [m.isBinary, m.length])).toEqual([
      [false, 5],
      [false, 0],
      [false, Buffer.byteLength('héllo wörld — 你好 🌍 𝄞')],
      [true, 256],
      [true, 0],
      [false, first.messages[5]!.length],
      [true, 1 << 20],
      [true, 7],
      [true, 65536],
      [false, Buffer.byteLength('close:4002:server says bye ✓')],
      // The message the page sent after its close request still arrived (the page sent it
      // before the server's close frame reached it); the server did not answer it.
      [false, Buffer.byteLength('after close request')],
    ]);
    expect(first.messages[5]!.length).toBeGreaterThanOrEqual(1 << 20);
  });

  it('reports the server-initiated close with its code and reason as clean', async () => {
    expect(report.first.events.at(-1)).toEqual({
      type: 'close',
      code: 4002,
      reason: 'server says bye ✓',
      wasClean: true,
      readyState: 3,
    });
    expect((await first.close).code).toBe(4002);
  });

  it('closes TCP first once the server-initiated closing handshake is done (RFC 6455 §7.1.1)', async () => {
    // Chromium answers the close frame, then waits (about 2 s) for the server's FIN before
    // it gives up and closes itself; the close event is late by that much.
    await first.close;
    expect(first.firstFin).toBe('server');
  });

  it('delivers a page-initiated close to the server with its code and reason', async () => {
    expect(await second.close).toEqual({ code: 4003, reason: 'page bye ✓' });
    expect(report.second.events).toEqual([
      { type: 'open', protocol: '', extensions: second.extensions },
      { type: 'after close()', readyState: 2 },
      { type: 'close', code: 4003, reason: expect.any(String), wasClean: true, readyState: 3 },
    ]);
    expect(second.firstFin).toBe('server');
  });
});
