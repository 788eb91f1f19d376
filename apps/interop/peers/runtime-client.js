// Bun's or Deno's built-in WebSocket client against a Strata echo server:
//   npx bun run runtime-client.js ws://127.0.0.1:PORT/
//   npx deno run --allow-net runtime-client.js ws://127.0.0.1:PORT/
// Prints one JSON line: the runtime, and the report of exchange.js.
import { runExchange } from './exchange.js';

const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const runtime = globalThis.Bun
  ? `bun ${globalThis.Bun.version}`
  : globalThis.Deno
    ? `deno ${globalThis.Deno.version.deno}`
    : 'unknown';
const timer = setTimeout(() => {
  console.log(JSON.stringify({ runtime, error: 'timed out after 30 s' }));
  (globalThis.Deno?.exit ?? process.exit)(1);
}, 30_000);
const report = await runExchange(args[0]);
clearTimeout(timer);
console.log(JSON.stringify({ runtime, ...report }));
