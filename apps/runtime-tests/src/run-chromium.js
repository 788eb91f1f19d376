// Runs the suites in headless Chromium (/usr/bin/chromium via playwright-core): serves the
// suites and the built packages' dist/ from a 127.0.0.1 HTTP server with an import map that
// maps each @strata-ws/* name to its dist/index.js, then prints the page's result lines.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '@strata-ws/test-vectors';

const CHROMIUM = process.env.CHROMIUM_PATH ?? CHROMIUM_EXECUTABLE;
const TIMEOUT_MS = 90_000;
const root = fileURLToPath(new URL('../../..', import.meta.url));
const appDir = 'apps/runtime-tests/';

/** `{ '@strata-ws/codec': '/packages/codec/dist/index.js', ... }` for every built package. */
function importMap() {
  const imports = {};
  for (const name of readdirSync(join(root, 'packages'))) {
    const manifest = join(root, 'packages', name, 'package.json');
    if (!existsSync(manifest) || !existsSync(join(root, 'packages', name, 'dist', 'index.js')))
      continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    imports[pkg.name] = `/packages/${name}/dist/index.js`;
  }
  return { imports };
}

const page = `<!doctype html>
<meta charset="utf-8">
<title>Strata runtime tests</title>
<script type="importmap">${JSON.stringify(importMap())}</script>
<script type="module">
  // A module that fails to load (404, unmapped name) fails the run at once instead of timing out.
  import('/${appDir}src/browser.js').catch((error) => {
    globalThis.__strataRuntimeTests = {
      passed: 0, failed: 1, skipped: 0, failures: [],
      lines: ['FAIL loading the suites: ' + error, '0 passed, 1 failed'],
    };
  });
</script>
`;

const types = { '.js': 'text/javascript', '.map': 'application/json', '.json': 'application/json' };

/** Only the app's own files and the packages' dist/ are served. */
function allowed(path) {
  return path.startsWith(appDir) || /^packages\/[^/]+\/dist\//.test(path);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
    return;
  }
  const path = normalize(decodeURIComponent(url.pathname).slice(1)).split(sep).join('/');
  const file = join(root, path);
  if (path.includes('..') || !allowed(path) || !existsSync(file)) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.log(`FAIL chromium: ${CHROMIUM} not found`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  const { chromium } = await import('playwright-core');
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const profile = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: [...CHROMIUM_ARGS],
    });
    const tab = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    tab.on('pageerror', (error) => errors.push(String(error)));
    await tab.goto(`http://127.0.0.1:${port}/`, { timeout: 30_000 });
    const version = context.browser()?.version() ?? '';
    console.log(`runtime-tests on chromium ${version}`.trimEnd());
    const handle = await tab.waitForFunction(() => globalThis.__strataRuntimeTests, null, {
      timeout: TIMEOUT_MS,
    });
    await handle.dispose();
    const result = await tab.evaluate(() => globalThis.__strataRuntimeTests);
    for (const error of errors) console.log(`page error: ${error}`);
    // The lines end with the harness's own `N passed, N failed`.
    for (const line of result.lines) console.log(line);
    return result.failed > 0 || result.passed === 0 ? 1 : 0;
  } catch (error) {
    console.log(`FAIL chromium: ${error instanceof Error ? error.message : String(error)}`);
    console.log('0 passed, 1 failed');
    return 1;
  } finally {
    await context?.close().catch(() => {});
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

process.exitCode = await main();
