// Compressing echo server on Bun.serve (uWebSockets inside) for deflate-echo.js:
// perMessageDeflate: true (Bun's default compressor), every reply sent compressed.
// Usage: npx bun deflate-echo-server-bun.js — prints "listening <port>".
/* global Bun */
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch(req, srv) {
    if (srv.upgrade(req)) return undefined;
    return new Response('Upgrade Required', { status: 426 });
  },
  websocket: {
    perMessageDeflate: true,
    maxPayloadLength: 16 * 1024 * 1024,
    idleTimeout: 0,
    message(ws, message) {
      ws.send(message, true);
    },
  },
});
process.stdout.write(`listening ${server.port}\n`);
process.on('SIGUSR2', () => Bun.gc(true));
process.on('SIGTERM', () => process.exit(0));
