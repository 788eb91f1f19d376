// `ws` (with bufferutil) in the broadcast benchmark: the usual broadcast loop, one
// `send` (one frame, one socket write) per message per client.
import { WebSocketServer } from 'ws';
import { MESSAGE, runRounds, serverArgs } from './broadcast-rounds.js';

const { clients, burst, highWater } = serverArgs(process.argv.slice(2));
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
wss.on('listening', () => {
  process.stdout.write(`${JSON.stringify({ port: wss.address().port })}\n`);
});
let started = false;
wss.on('connection', () => {
  if (started || wss.clients.size < clients) return;
  started = true;
  const all = [...wss.clients];
  runRounds({
    burst,
    highWater,
    publishOne() {
      for (const ws of all) ws.send(MESSAGE);
    },
    buffered() {
      let total = 0;
      for (const ws of all) total += ws.bufferedAmount;
      return total;
    },
  });
});
