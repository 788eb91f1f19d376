// The shared suite's hooks served on Deno by `@strata-ws/handler/deno` (run with
// `deno run -A --conditions=strata-source --sloppy-imports test/deno/fixture.ts <native|strata>
// [options JSON]`). Prints `LISTENING <port>`; runs until killed.
import { createHandler } from '@strata-ws/handler/deno';
import { behaviourHooks, SUITE_OPTIONS } from '../suite/hooks.js';

declare const Deno: {
  args: string[];
  addSignalListener(s: string, f: () => void): void;
  exit(c: number): never;
};

const mode = Deno.args[0] === 'native' ? 'native' : 'strata';
const extra = JSON.parse(Deno.args[1] ?? '{}') as Record<string, unknown>;
const handler = createHandler(behaviourHooks, {
  ...SUITE_OPTIONS,
  ...extra,
  mode,
  port: 0,
  host: '127.0.0.1',
});
console.log(`LISTENING ${await handler.ready}`);
Deno.addSignalListener('SIGTERM', () => Deno.exit(0));
// For the adapter's own cases (deno.test.ts): a server-wide publish, and a graceful close.
Deno.addSignalListener('SIGUSR2', () =>
  handler.publish('news', `server news to ${handler.peers.size} peers`),
);
Deno.addSignalListener('SIGINT', async () => {
  await handler.close();
  console.log('CLOSED');
  Deno.exit(0);
});
