// Bun's built-in WebSocket server (Bun.serve) as an echo peer for the Strata client:
//   npx bun run bun-server.js deflate|none
// On 127.0.0.1, a free port. Greets every connection with "welcome ✓", echoes each message
// with its type, and closes with <code>/<reason> when it receives the text
// "close:<code>:<reason>". Picks the first offered subprotocol. Prints JSON lines on stdout:
// {"port"} once listening, then {"event": "open" | "message" | "close", ...} per event.
// Exits when stdin ends (the test closes it) or after 60 s.

const compress = process.argv[2] === 'deflate';
const print = (value) => console.log(JSON.stringify(value));
let nextId = 0;

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(request, srv) {
    const offered = request.headers.get('sec-websocket-protocol');
    const protocol = offered ? offered.split(',')[0].trim() : undefined;
    const ok = srv.upgrade(request, {
      data: {
        id: nextId++,
        offeredExtensions: request.headers.get('sec-websocket-extensions'),
        protocol: protocol ?? '',
      },
      headers: protocol ? { 'Sec-WebSocket-Protocol': protocol } : undefined,
    });
    return ok ? undefined : new Response('WebSocket only', { status: 426 });
  },
  websocket: {
    perMessageDeflate: compress,
    maxPayloadLength: 16 * 1024 * 1024,
    open(ws) {
      print({
        event: 'open',
        id: ws.data.id,
        offeredExtensions: ws.data.offeredExtensions ?? '',
        protocol: ws.data.protocol,
      });
      // The second argument asks Bun to compress (when negotiated), whatever the size.
      ws.send('welcome ✓', compress);
    },
    message(ws, message) {
      const isBinary = typeof message !== 'string';
      const length = isBinary ? message.byteLength : Buffer.byteLength(message);
      print({ event: 'message', id: ws.data.id, isBinary, length });
      if (!isBinary && message.startsWith('close:')) {
        const [, code, ...reason] = message.split(':');
        ws.close(Number(code), reason.join(':'));
        return;
      }
      ws.send(message, compress);
    },
    close(ws, code, reason) {
      print({ event: 'close', id: ws.data.id, code, reason });
    },
  },
});

print({ port: server.port, bun: Bun.version });

const stop = () => {
  server.stop(true);
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
setTimeout(stop, 60_000).unref?.();
