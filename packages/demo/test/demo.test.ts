// The demo as a user meets it: `strata serve` in its own process, two headless Chromium pages
// (Debian's /usr/bin/chromium through playwright-core) and a Node client
// (@strata-ws/reconnect/node) in the room. Messages go through the server; a server restart on
// the same port is survived (everyone reconnects with backoff); a screenshot is saved to
// test-results/demo.png.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReconnectingWebSocket } from '@strata-ws/reconnect/node';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '@strata-ws/test-vectors';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../cli/bin/strata.js', import.meta.url));
const results = fileURLToPath(new URL('../test-results/', import.meta.url));

let server: ChildProcess | undefined;
let context: BrowserContext | undefined;
let profile = '';

/** Starts `strata serve` and resolves with the page URL it printed. */
async function startServer(port: number): Promise<string> {
  const p = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  server = p;
  let out = '';
  for await (const chunk of p.stdout!) {
    out += chunk;
    const m = /Strata demo: (http:\/\/\S+)\n/.exec(out);
    if (m) return m[1]!;
  }
  throw new Error(`strata serve printed: ${out}`);
}

async function stopServer(): Promise<number | null> {
  const p = server!;
  server = undefined;
  if (p.exitCode !== null) return p.exitCode;
  p.kill('SIGTERM');
  const [code] = await once(p, 'exit');
  return code as number | null;
}

const chatLines = (page: Page) => page.locator('#log li:not(.system)').allTextContents();

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#chat button');
}

async function waitForChat(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll('#log li')].some((li) => li.textContent?.endsWith(t)),
    text,
    { timeout: 10_000 },
  );
}

const connected = (page: Page) =>
  page.waitForSelector('#status[data-state="open"]', { timeout: 15_000 });

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), 'strata-demo-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_EXECUTABLE,
    headless: true,
    timeout: 30_000,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1200, height: 760 },
  });
});

afterAll(async () => {
  await context?.close().catch(() => {});
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(profile, { recursive: true, force: true });
});

describe('npm start: the demo in Chromium', () => {
  it('two pages chat through the server, show the negotiation and counters, and survive a restart', async () => {
    expect(existsSync(CHROMIUM_EXECUTABLE)).toBe(true);
    const url = await startServer(0);
    const port = Number(new URL(url).port);
    const a = await context!.newPage();
    const b = await context!.newPage();
    const errors: string[] = [];
    for (const page of [a, b]) page.on('pageerror', (e) => errors.push(String(e)));
    await a.goto(url);
    await b.goto(url);
    await connected(a);
    await connected(b);
    // A third member from Node, on the same reconnecting client the page uses.
    const wsUrl = `${url.replace('http://', 'ws://')}ws`;
    const node = new ReconnectingWebSocket(wsUrl, ['strata-demo.v1'], {
      minReconnectionDelay: 100,
      maxReconnectionDelay: 1000,
    });
    const nodeChats: string[] = [];
    node.addEventListener('message', (event) => {
      const msg = JSON.parse(String((event as MessageEvent).data));
      if (msg.type === 'chat') nodeChats.push(msg.text);
    });
    await once(node, 'open');

    // The negotiated subprotocol and extensions, as the browser saw them.
    expect(await a.textContent('#protocol')).toBe('strata-demo.v1');
    expect(await a.textContent('#extensions')).toContain('permessage-deflate');
    await a.waitForFunction(() => document.getElementById('transport')?.textContent === 'http/1.1');

    await a.fill('#name', 'alice');
    await say(a, 'hello from page A');
    await waitForChat(b, 'hello from page A');
    expect(await chatLines(b)).toContain('alice:hello from page A');
    await b.fill('#name', 'bob');
    await say(b, 'hi A, this is B');
    await waitForChat(a, 'hi A, this is B');

    // The server's own counters arrive (published once a second): both pages are counted.
    await a.waitForFunction(
      () => Number(document.getElementById('c-open')?.textContent) === 3,
      null,
      {
        timeout: 10_000,
      },
    );
    // The live figures: pings answered, a round trip measured.
    await a.waitForFunction(() => document.getElementById('rtt')?.textContent !== '–', null, {
      timeout: 10_000,
    });

    // Restart the server on the same port: the pages see the 1001, reconnect with backoff.
    expect(await stopServer()).toBe(0);
    await a.waitForSelector('#status:not([data-state="open"])', { timeout: 10_000 });
    expect(await a.textContent('#log')).toContain('connection closed (1001');
    await startServer(port);
    await connected(a);
    await connected(b);
    expect(await a.textContent('#reconnects')).toBe('1');
    await say(a, 'still here after the restart');
    await waitForChat(b, 'still here after the restart');
    while (!nodeChats.includes('still here after the restart')) await once(node, 'message');
    expect(nodeChats).toEqual([
      'hello from page A',
      'hi A, this is B',
      'still here after the restart',
    ]);

    await a.waitForFunction(
      () => Number(document.getElementById('c-open')?.textContent) === 3,
      null,
      {
        timeout: 10_000,
      },
    );
    // Let the chart gather a few seconds of samples for the screenshot.
    await a.waitForTimeout(2500);
    mkdirSync(results, { recursive: true });
    await a.screenshot({ path: join(results, 'demo.png'), fullPage: true });
    expect(errors).toEqual([]);
    node.close();
    expect(await stopServer()).toBe(0);
  }, 90_000);
});
