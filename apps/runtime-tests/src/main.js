// Runs every suite in the current runtime (Node, Bun or Deno) and exits non-zero on failure.
//   node src/main.js | npx bun run src/main.js | npx deno run --allow-read src/main.js
// An optional first argument runs only the tests whose name contains it.
import '../suites/index.js';
import { run } from './harness.js';

const runtime = globalThis.Deno ? 'deno' : globalThis.Bun ? 'bun' : 'node';
const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const version = globalThis.Deno
  ? globalThis.Deno.version.deno
  : globalThis.Bun
    ? globalThis.Bun.version
    : globalThis.process.version;
console.log(`runtime-tests on ${runtime} ${version}`);
const result = await run({ filter: args[0] });
if (result.failed > 0 || result.passed === 0) {
  if (globalThis.Deno) globalThis.Deno.exit(1);
  globalThis.process.exitCode = 1;
}
