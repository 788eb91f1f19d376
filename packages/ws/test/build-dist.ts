/**
 * vitest global setup: builds this package's dist (tsc) once per run, because the tests that
 * run real dependents load it the way npm users do, through `require('ws')` → `cjs/index.cjs`
 * → `dist/index.js`, in child processes.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = fileURLToPath(new URL('../tsconfig.build.json', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
