// The ws-API echo server on @strata-ws/ws: the very program of server-ws.js (ws with bufferutil)
// with only the import changed, so that server-bench.js compares the two implementations of one
// API under the same load generator. Run it through server-bench.js:
//   node apps/bench/src/server-bench.js --servers ws --also ws-api=ws-api-echo-server.js
// Usage: node ws-api-echo-server.js [port] — prints "listening <port>".
// SIGUSR2 runs a full GC when started with --expose-gc and prints "mem {rss, heapUsed, ...}".
import { WebSocketServer } from '@strata-ws/ws';
import { reportMemoryOnSignal } from './lib/bench-server.js';

const wss = new WebSocketServer({ port: Number(process.argv[2] ?? 0), host: '127.0.0.1' }, () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
reportMemoryOnSignal();
