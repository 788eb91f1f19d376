// The shared suite's hooks served on Bun by `@strata-ws/handler/bun` (run with
// `bun --conditions=strata-source test/bun/fixture.ts <native|strata> [options JSON]`).
// Prints `LISTENING <port>`; runs until killed.
import { createHandler } from '@strata-ws/handler/bun';
import { behaviourHooks, SUITE_OPTIONS } from '../suite/hooks.js';

const mode = process.argv[2] === 'native' ? 'native' : 'strata';
const extra = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;
const handler = createHandler(behaviourHooks, {
  ...SUITE_OPTIONS,
  ...extra,
  mode,
  port: 0,
  host: '127.0.0.1',
});
console.log(`LISTENING ${handler.port}`);
process.on('SIGTERM', () => process.exit(0));
// For the adapter's own cases (bun.test.ts): a server-wide publish, and a graceful close.
process.on('SIGUSR2', () => handler.publish('news', `server news to ${handler.peers.size} peers`));
process.on('SIGINT', async () => {
  await handler.close();
  console.log('CLOSED');
  process.exit(0);
});
