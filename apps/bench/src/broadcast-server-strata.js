// Strata in the broadcast benchmark: every client subscribes to one topic and the server
// publishes with `wss.publish` — one frame built per message, queued on every subscriber,
// and each socket's queue for the tick leaves in one write.
import { WebSocketServer } from '@strata-ws/server';
import { MESSAGE, runRounds, serverArgs } from './broadcast-rounds.js';

const { clients, burst, highWater } = serverArgs(process.argv.slice(2));
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', heartbeatInterval: 0 });
wss.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ port: wss.address().port })}\n`);
});
let started = false;
wss.on('connection', (ws) => {
  ws.subscribe('broadcast');
  if (started || wss.clients.size < clients) return;
  started = true;
  const all = [...wss.clients];
  runRounds({
    burst,
    highWater,
    publishOne() {
      wss.publish('broadcast', MESSAGE);
    },
    buffered() {
      let total = 0;
      for (const client of all) total += client.bufferedAmount;
      return total;
    },
  });
});
