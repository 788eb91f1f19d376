// The bare-JS ceiling of the broadcast benchmark (`--also bare=<this file>`): a node:net server
// that answers the upgrade (lib/bare-upgrade.js), reads and discards, and per round writes the
// round's `burst` pre-built 128-byte frames to every socket in ONE socket.write — no topic
// registry, no per-connection state machine, no checks. What Node itself costs per delivery;
// no JavaScript WebSocket server can send a broadcast for less.
import { createServer } from 'node:net';
import { MESSAGE, runRounds, serverArgs } from './broadcast-rounds.js';
import { bareUpgrade } from './lib/bare-upgrade.js';

const { clients, burst, highWater } = serverArgs(process.argv.slice(2));
const payload = Buffer.from(MESSAGE);
const frame = Buffer.concat([Buffer.from([0x81, 126, 0, payload.length]), payload]);
const round = Buffer.concat(Array.from({ length: burst }, () => frame));
const open = [];
let started = false;
const discard = () => {};
const server = createServer((socket) => {
  socket.setNoDelay(true);
  bareUpgrade(socket, () => {
    socket.on('data', discard);
    open.push(socket);
    if (started || open.length < clients) return;
    started = true;
    runRounds({
      burst: 1,
      highWater,
      publishOne() {
        for (const s of open) s.write(round);
      },
      buffered() {
        let total = 0;
        for (const s of open) total += s.writableLength;
        return total;
      },
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
