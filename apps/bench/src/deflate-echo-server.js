// Compressing echo server for deflate-echo.js: Strata or ws, permessage-deflate with each
// library's DEFAULT options (the point of the benchmark).
// Usage: node --expose-gc deflate-echo-server.js strata|ws — prints "listening <port>".
// SIGUSR2 runs a full GC (for RSS readings).

const which = process.argv[2];
// 'plain' as the second argument: compression off (the baseline of an uncompressed connection).
const perMessageDeflate = process.argv[3] !== 'plain';
const { WebSocketServer } = await import(which === 'ws' ? 'ws' : '@strata-ws/server');

const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate }, () => {
  process.stdout.write(`listening ${wss.address().port}\n`);
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
process.on('SIGUSR2', () => globalThis.gc?.());
process.on('SIGTERM', () => process.exit(0));
