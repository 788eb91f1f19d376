// Servers of handler-runtimes.js on Bun: the `@strata-ws/handler/bun` adapter in either mode,
// echoing (64 B pipelined echo) or broadcasting (the broadcast benchmark's rounds, every client
// subscribed to one topic, `handler.publish`). Bun's own server doing the same job directly is
// bun-echo.js / broadcast-server-bun.js. Run with the npm package's Bun and the sources:
//   bun --conditions=strata-source handler-bun-server.js <echo|broadcast> <native|strata> [clients burst]
// Prints one JSON line {"port": P}.
import { createHandler } from '@strata-ws/handler/bun';
import { MESSAGE, runRounds, serverArgs } from './broadcast-rounds.js';

const [job = 'echo', mode = 'strata', ...rest] = process.argv.slice(2);
const limits = { maxPayload: 16 * 1024 * 1024, maxMessageSize: 16 * 1024 * 1024 };
let handler;
if (job === 'echo') {
  handler = createHandler(
    {
      message(peer, message) {
        peer.send(message.isBinary ? message.bytes() : message.text());
      },
    },
    { mode, port: 0, host: '127.0.0.1', heartbeatInterval: 0, ...limits },
  );
} else {
  const { clients, burst, highWater } = serverArgs(rest);
  let started = false;
  handler = createHandler(
    {
      open(peer) {
        peer.subscribe('broadcast');
        if (started || handler.peers.size < clients) return;
        started = true;
        runRounds({
          burst,
          highWater,
          publishOne() {
            handler.publish('broadcast', MESSAGE);
          },
          buffered() {
            let total = 0;
            for (const p of handler.peers) total += p.bufferedAmount;
            return total;
          },
        });
      },
    },
    {
      mode,
      port: 0,
      host: '127.0.0.1',
      heartbeatInterval: 0,
      // Never drop or close a slow client: the rounds' own flow control bounds the queues.
      highWaterMark: 1024 * 1024 * 1024,
      maxBufferedAmount: 1024 * 1024 * 1024,
      backpressurePolicy: 'drop',
      ...limits,
    },
  );
}
await handler.ready;
process.stdout.write(`${JSON.stringify({ port: handler.port })}\n`);
process.on('SIGTERM', () => process.exit(0));
