// The codec recipe (docs/recipes/codec-anywhere.js) run as it is in Node, Deno and Bun (their
// npm packages, `npx deno` / `npx bun`) and in headless Chromium, on a page (an import map
// pointing @strata-ws/codec at its built dist/) and in a module Worker: the same bytes and
// frames everywhere.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '@strata-ws/test-vectors';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript recipe without types
import { roundTrip } from '../../../docs/recipes/codec-anywhere.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const recipe = join(root, 'docs/recipes/codec-anywhere.js');
const text = 'héllo from every runtime';
const expected = {
  bytes: 6 + new TextEncoder().encode(text).length,
  frames: [{ opcode: 1, fin: true, masked: true, text }],
};

describe('the codec recipe in every runtime', () => {
  it('Node (imported)', () => {
    expect(roundTrip(text)).toEqual(expected);
  });

  it('Deno (npx deno run)', async () => {
    const { stdout } = await run('npx', ['deno', 'run', '--allow-read', '--allow-env', recipe], {
      cwd: root,
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual(expected);
  }, 70_000);

  it('Bun (npx bun run)', async () => {
    const { stdout } = await run('npx', ['bun', 'run', recipe], { cwd: root, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual(expected);
  }, 70_000);

  it('Chromium: a module page (import map) and a module Worker', async () => {
    const dist = join(root, 'packages/codec/dist');
    expect(existsSync(join(dist, 'index.js'))).toBe(true);
    const page = `<!doctype html><meta charset="utf-8">
<script type="importmap">{"imports":{"@strata-ws/codec":"/codec/index.js"}}</script>
<script type="module">
import { roundTrip } from '/recipe.js';
globalThis.result = roundTrip(${JSON.stringify(text)});
// The same recipe in a module Worker. Import maps do not reach workers, so the worker gets the
// recipe with its bare specifier resolved to a URL (what a bundler does).
const worker = new Worker('/worker.js', { type: 'module' });
worker.onmessage = (event) => { globalThis.workerResult = event.data; };
worker.onerror = (event) => { globalThis.workerResult = { error: String(event.message) }; };
worker.postMessage(${JSON.stringify(text)});
</script>`;
    const worker = `import { roundTrip } from '/recipe-resolved.js';
self.onmessage = (event) => self.postMessage(roundTrip(event.data));`;
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      let body: string | Buffer | undefined;
      if (path === '/') body = page;
      else if (path === '/recipe.js') body = readFileSync(recipe);
      else if (path === '/worker.js') body = worker;
      else if (path === '/recipe-resolved.js') {
        body = readFileSync(recipe, 'utf8').replace(
          "from '@strata-ws/codec'",
          "from '/codec/index.js'",
        );
      } else if (/^\/codec\/[\w.-]+\.js$/.test(path)) {
        const file = join(dist, path.slice('/codec/'.length));
        if (existsSync(file)) body = readFileSync(file);
      }
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': path === '/' ? 'text/html' : 'text/javascript' })
        .end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const profile = mkdtempSync(join(tmpdir(), 'strata-recipes-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_EXECUTABLE,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    try {
      const tab = await context.newPage();
      await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await tab.waitForFunction(() => (globalThis as { result?: unknown }).result !== undefined);
      expect(await tab.evaluate(() => (globalThis as { result?: unknown }).result)).toEqual(
        expected,
      );
    } finally {
      await context.close();
      server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 60_000);
});
