// Echo server on Bun.serve (uWebSockets inside): the second reference of the server
// benchmarks. Usage: npx bun bun-echo.js [port] — prints "listening <port>".
// SIGUSR2 runs a full GC and prints "mem {rss, heapUsed, ...}" (for memory readings).
/* global Bun */
const server = Bun.serve({
  port: Number(process.argv[2] ?? 0),
  hostname: '127.0.0.1',
  fetch(req, srv) {
    if (srv.upgrade(req)) return undefined;
    return new Response('Upgrade Required', { status: 426 });
  },
  websocket: {
    maxPayloadLength: 16 * 1024 * 1024,
    idleTimeout: 0,
    message(ws, message) {
      ws.send(message);
    },
  },
});
process.stdout.write(`listening ${server.port}\n`);
process.on('SIGUSR2', () => {
  Bun.gc(true);
  process.stdout.write(`mem ${JSON.stringify(process.memoryUsage())}\n`);
});
process.on('SIGTERM', () => process.exit(0));
