// Compressing echo server for deflate-echo.js: Strata or ws, permessage-deflate with each
// library's DEFAULT options except `threshold` (given, the same for both).
// Usage: node --expose-gc deflate-echo-server.js strata|ws deflate|plain [threshold] [json options]
// — prints "listening <port>". SIGUSR2 runs a full GC (for RSS readings).

const which = process.argv[2];
// 'plain' as the second argument: compression off (the baseline of an uncompressed connection).
const compress = process.argv[3] !== 'plain';
const threshold = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const extra = process.argv[5] === undefined ? {} : JSON.parse(process.argv[5]);
const perMessageDeflate = compress
  ? { ...(threshold === undefined ? {} : { threshold }), ...extra }
  : false;
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
