// Servers of handler-runtimes.js on Deno: the `@strata-ws/handler/deno` adapter in either mode,
// or (`raw`) Deno's own `Deno.serve` + `Deno.upgradeWebSocket` doing the same job directly;
// echoing (64 B pipelined echo) or broadcasting (the broadcast benchmark's rounds: the adapter
// publishes to one topic, the raw server sends to every socket). Run with the npm package's Deno:
//   deno run -A --conditions=strata-source --sloppy-imports handler-deno-server.js
//        <echo|broadcast> <native|strata|raw> [clients burst]
// Prints one JSON line {"port": P}.
/* global Deno */
import { createHandler } from '@strata-ws/handler/deno';
import { MESSAGE, runRounds, serverArgs } from './broadcast-rounds.js';

const [job = 'echo', mode = 'strata', ...rest] = Deno.args;
const { clients, burst, highWater } = serverArgs(rest);
const limits = { maxPayload: 16 * 1024 * 1024, maxMessageSize: 16 * 1024 * 1024 };

/** Deno.serve + upgradeWebSocket, no adapter. */
function serveRaw() {
  const sockets = new Set();
  let started = false;
  let listening;
  const ready = new Promise((resolve) => (listening = resolve));
  Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => listening(port) }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
    socket.binaryType = 'arraybuffer';
    if (job === 'echo') {
      socket.onmessage = (event) => socket.send(event.data);
    } else {
      socket.onopen = () => {
        sockets.add(socket);
        if (started || sockets.size < clients) return;
        started = true;
        runRounds({
          burst,
          highWater,
          publishOne() {
            for (const s of sockets) s.send(MESSAGE);
          },
          buffered() {
            let total = 0;
            for (const s of sockets) total += s.bufferedAmount;
            return total;
          },
        });
      };
      socket.onclose = () => sockets.delete(socket);
    }
    return response;
  });
  return ready;
}

/** The adapter in `native` or `strata` mode. */
function serveAdapter() {
  let handler;
  if (job === 'echo') {
    handler = createHandler(
      {
        message(peer, message) {
          peer.send(message.isBinary ? message.bytes() : message.text());
        },
      },
      { mode, port: 0, host: '127.0.0.1', heartbeatInterval: 0, ...limits },
    );
  } else {
    let started = false;
    handler = createHandler(
      {
        open(peer) {
          peer.subscribe('broadcast');
          if (started || handler.peers.size < clients) return;
          started = true;
          runRounds({
            burst,
            highWater,
            publishOne() {
              handler.publish('broadcast', MESSAGE);
            },
            buffered() {
              let total = 0;
              for (const p of handler.peers) total += p.bufferedAmount;
              return total;
            },
          });
        },
      },
      {
        mode,
        port: 0,
        host: '127.0.0.1',
        heartbeatInterval: 0,
        highWaterMark: 1024 * 1024 * 1024,
        maxBufferedAmount: 1024 * 1024 * 1024,
        backpressurePolicy: 'drop',
        ...limits,
      },
    );
  }
  return handler.ready;
}

const port = await (mode === 'raw' ? serveRaw() : serveAdapter());
console.log(JSON.stringify({ port }));
Deno.addSignalListener('SIGTERM', () => Deno.exit(0));
