/**
 * Strata server ↔ the built-in WebSocket clients of Bun and Deno (peers/runtime-client.js
 * running peers/exchange.js, the same exchange as the Chromium page). Bun offers
 * permessage-deflate; Deno offers no extension.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import {
  type ExchangeReport,
  type ExchangeRun,
  exchangeSuite,
  GREETING,
  SERVER_PROTOCOLS,
} from './exchange-suite.js';
import {
  type EchoServer,
  npxToolAvailable,
  peerFile,
  report,
  run,
  startEchoServer,
} from './helpers.js';

const runtimes = [
  {
    name: 'Bun',
    tool: 'bun',
    args: ['bun', 'run', peerFile('runtime-client.js')],
    offersDeflate: true,
    dropsMessagesWhileClosing: true,
  },
  {
    name: 'Deno',
    tool: 'deno',
    args: ['deno', 'run', '--allow-net=127.0.0.1', peerFile('runtime-client.js')],
    offersDeflate: false,
    // Deno 2.9 still dispatches a message that arrives after close() (readyState CLOSING),
    // which the standard drops; that is Deno's, not the server's.
    dropsMessagesWhileClosing: false,
  },
];

for (const runtime of runtimes) {
  describe.skipIf(!npxToolAvailable(runtime.tool))(
    `Strata server ↔ ${runtime.name}'s WebSocket`,
    () => {
      let server: EchoServer;
      let exchange: ExchangeRun;

      beforeAll(async () => {
        server = await startEchoServer(true, { protocols: SERVER_PROTOCOLS, greeting: GREETING });
        const result = await run('npx', [...runtime.args, server.url], 45_000);
        exchange = {
          report: report<ExchangeReport & { runtime: string }>(result),
          diagnostics: `${result.stdout}\n${result.stderr}`,
          connections: server.connections,
        };
      }, 50_000);
      afterAll(() => server?.stop());

      exchangeSuite(() => exchange, runtime);
    },
  );
}
