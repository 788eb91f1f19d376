// Runs the portable suites in every runtime, one after another: Node (this process's node),
// Bun and Deno (through npx), and headless Chromium. Writes one report per runtime to
// test-results/<runtime>.json ({ passed, failed, skipped }) for the CI summary, and ends
// with the total `N passed, N failed`. Exits non-zero if anything failed or did not run.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const RUNTIME_TIMEOUT_MS = 180_000;
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

const runtimes = [
  { name: 'node', command: process.execPath, args: ['src/main.js'] },
  { name: 'bun', command: npx, args: ['--no-install', 'bun', 'run', 'src/main.js'] },
  {
    name: 'deno',
    command: npx,
    args: ['--no-install', 'deno', 'run', '--allow-read', '--no-prompt', 'src/main.js'],
  },
  { name: 'chromium', command: process.execPath, args: ['src/run-chromium.js'] },
];

const only = process.argv.slice(2);
const selected = only.length ? runtimes.filter((r) => only.includes(r.name)) : runtimes;

function runOne({ command, args }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: appDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      output += `\ntimed out after ${RUNTIME_TIMEOUT_MS} ms`;
      child.kill('SIGKILL');
    }, RUNTIME_TIMEOUT_MS);
    child.on('error', (error) => {
      output += `\n${error.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const resultsDir = new URL('../test-results/', import.meta.url);
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

let passed = 0;
let failed = 0;
for (const runtime of selected) {
  const started = Date.now();
  const { code, output } = await runOne(runtime);
  const summary = [...output.matchAll(/^(\d+) passed, (\d+) failed$/gm)].at(-1);
  const p = summary ? Number(summary[1]) : 0;
  let f = summary ? Number(summary[2]) : 0;
  // A crash, a timeout or a non-zero exit without a failure count is one failure.
  if (!summary || (code !== 0 && f === 0)) f += 1;
  if (p === 0 && f === 0) f = 1;
  passed += p;
  failed += f;
  const ms = Date.now() - started;
  process.stdout.write(`── ${runtime.name} (${ms} ms, exit ${code})\n${output.trimEnd()}\n`);
  writeFileSync(
    new URL(`${runtime.name}.json`, resultsDir),
    `${JSON.stringify({ runtime: runtime.name, passed: p, failed: f, skipped: 0 })}\n`,
  );
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
