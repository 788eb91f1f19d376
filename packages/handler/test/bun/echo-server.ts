// An echo server on the Bun adapter with Strata's default limits, for the conformance suite and
// the benchmarks (apps/bench/src/handler-runtimes.js): `bun --conditions=strata-source
// test/bun/echo-server.ts <native|strata> [deflate] [port]`. Prints `LISTENING <port>`.
import { createHandler } from '@strata-ws/handler/bun';

const mode = process.argv[2] === 'native' ? 'native' : 'strata';
const deflate = process.argv[3] === 'deflate';
const handler = createHandler(
  {
    message(peer, message) {
      peer.send(message.isBinary ? message.bytes() : message.text());
    },
    open(peer) {
      peer.subscribe('broadcast');
    },
  },
  {
    mode,
    perMessageDeflate: deflate,
    port: Number(process.argv[4] ?? 0),
    host: '127.0.0.1',
    heartbeatInterval: 0,
  },
);
console.log(`LISTENING ${handler.port}`);
process.on('SIGTERM', () => process.exit(0));
