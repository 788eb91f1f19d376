// Servers of handler-node.js: the `@strata-ws/handler/node` adapter (the built package: run
// `npx turbo run build --filter=@strata-ws/handler` first), echoing (64 B pipelined echo) or
// broadcasting (the broadcast benchmark's rounds, every client subscribed to one topic,
// `handler.publish`). The same jobs on @strata-ws/server directly are server-strata.js and
// broadcast-server-strata.js.
//   node handler-node-server.js <echo|broadcast> [clients burst]
// Prints one JSON line {"port": P}.
import { createHandler } from '@strata-ws/handler/node';
import { MESSAGE, runRounds, serverArgs } from './broadcast-rounds.js';

const [job = 'echo', ...rest] = process.argv.slice(2);
let handler;
if (job === 'echo') {
  handler = createHandler(
    {
      message(peer, message) {
        peer.send(message.isBinary ? message.bytes() : message.text());
      },
    },
    { port: 0, host: '127.0.0.1' },
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
        const all = [...handler.peers];
        runRounds({
          burst,
          highWater,
          publishOne() {
            handler.publish('broadcast', MESSAGE);
          },
          buffered() {
            let total = 0;
            for (const peer of all) total += peer.bufferedAmount;
            return total;
          },
        });
      },
    },
    { port: 0, host: '127.0.0.1', heartbeatInterval: 0 },
  );
}
const port = await handler.ready;
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => process.exit(0));
