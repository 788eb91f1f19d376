// An echo server on the Deno adapter with Strata's default limits, for the conformance suite
// and the benchmarks (apps/bench/src/handler-runtimes.js): `deno run -A
// --conditions=strata-source --sloppy-imports test/deno/echo-server.ts <native|strata> [deflate]
// [port]`. Prints `LISTENING <port>`.
import { createHandler } from '@strata-ws/handler/deno';

declare const Deno: {
  args: string[];
  addSignalListener(signal: string, listener: () => void): void;
  exit(code: number): never;
};

const mode = Deno.args[0] === 'native' ? 'native' : 'strata';
const deflate = Deno.args[1] === 'deflate';
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
    port: Number(Deno.args[2] ?? 0),
    host: '127.0.0.1',
    heartbeatInterval: 0,
  },
);
console.log(`LISTENING ${await handler.ready}`);
Deno.addSignalListener('SIGTERM', () => Deno.exit(0));
