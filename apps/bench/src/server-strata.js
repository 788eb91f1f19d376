// Echo server on @strata-ws/server (the built package: run `npx turbo run build` first).
// Usage: node server-strata.js [port] — prints "listening <port>".
// SIGUSR2 runs a full GC when started with --expose-gc and prints "mem {rss, heapUsed, ...}".
import { WebSocketServer } from '@strata-ws/server';
import { reportMemoryOnSignal } from './lib/bench-server.js';

const wss = new WebSocketServer({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' }, () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
reportMemoryOnSignal();
