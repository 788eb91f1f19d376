// Bun's server (uWebSockets) in the broadcast benchmark: every client subscribes to one
// topic and the server publishes with `server.publish`. Run with `npx bun`.
import { MESSAGE, runRounds, serverArgs } from './broadcast-rounds.js';

const { clients, burst, highWater } = serverArgs(process.argv.slice(2));
const all = new Set();
let started = false;
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(request, srv) {
    if (srv.upgrade(request)) return undefined;
    return new Response('websocket only', { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    // Never drop or close a slow client: the benchmark's own flow control bounds the queues.
    maxPayloadLength: 1024,
    backpressureLimit: 1024 * 1024 * 1024,
    closeOnBackpressureLimit: false,
    open(ws) {
      ws.subscribe('broadcast');
      all.add(ws);
      if (started || all.size < clients) return;
      started = true;
      runRounds({
        burst,
        highWater,
        publishOne() {
          server.publish('broadcast', MESSAGE);
        },
        buffered() {
          let total = 0;
          for (const client of all) total += client.getBufferedAmount();
          return total;
        },
      });
    },
    close(ws) {
      all.delete(ws);
    },
    message() {},
  },
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
