// Bun's built-in WebSocket server (Bun.serve) as an echo server for the fuzzing client:
//   bun bun-server.js deflate|none
// Prints {"port": N, "bun": version}; echoes each message with its type (compressed when
// negotiated); stops when stdin ends or after 20 minutes.
const compress = process.argv[2] === 'deflate';
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request, srv) {
    return srv.upgrade(request) ? undefined : new Response('WebSocket only', { status: 426 });
  },
  websocket: {
    perMessageDeflate: compress,
    maxPayloadLength: 16 * 1024 * 1024,
    message(ws, message) {
      ws.send(message, compress);
    },
  },
});
console.log(JSON.stringify({ port: server.port, bun: Bun.version }));
const stop = () => {
  server.stop(true);
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
setTimeout(stop, 1200000).unref?.();
