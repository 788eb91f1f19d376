// The JavaScript the `native` adapters run per echoed message, without the network: Bun's
// `websocket.message` handler (bunWebSocket) over a stand-in ServerWebSocket whose send() counts,
// and the WHATWG-socket peer Deno's native mode uses (engine/web-peer.ts) over a stand-in
// WebSocket. Two checkouts are loaded side by side (this one and --before DIR, a git worktree of
// an earlier commit) and timed in alternating rounds in one process; the figure is ns per
// message (min and median of the rounds). CPU-bound and allocation-bound only: what a change to
// the per-message path saves, without the I/O noise of a shared machine.
//
//   bun --conditions=strata-source apps/bench/src/handler-native-path.js [--before DIR]
//   deno run -A --conditions=strata-source --sloppy-imports apps/bench/src/handler-native-path.js [--before DIR]
const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const here = new URL('../../../', import.meta.url).pathname;
const trees = { after: here };
const before = option('before', '');
if (before !== '') trees.before = `${before.replace(/\/$/, '')}/`;
const N = Number(option('messages', '1000000'));
const ROUNDS = Number(option('rounds', '21'));
const isBun = globalThis.Bun !== undefined;
const payload = new Uint8Array(64);
const echo = {
  message(peer, message) {
    peer.send(message.isBinary ? message.bytes() : message.text());
  },
};

/** Bun: bunWebSocket's message handler over a stand-in ServerWebSocket. */
async function bunPath(root) {
  const { bunWebSocket } = await import(`${root}packages/handler/src/bun/native.ts`);
  const handler = bunWebSocket(echo, { heartbeatInterval: 0 });
  let data;
  const server = {
    port: 1,
    hostname: '127.0.0.1',
    upgrade(_request, options) {
      data = options.data;
      return true;
    },
    publish: () => 0,
    requestIP: () => null,
    stop() {},
  };
  await handler.upgrade(new Request('http://127.0.0.1/'), server);
  let bytes = 0;
  const ws = {
    data,
    readyState: 1,
    remoteAddress: '127.0.0.1',
    send(d) {
      bytes += d.length;
      return d.length;
    },
    getBufferedAmount: () => 0,
    subscribe() {},
    unsubscribe() {},
    publish: () => 0,
    close() {},
    terminate() {},
  };
  handler.websocket.open(ws);
  const message = handler.websocket.message;
  return () => {
    for (let i = 0; i < N; i++) message(ws, payload);
    return bytes;
  };
}

/** Deno: the WebSocketPeer of the native mode over a stand-in WebSocket (bufferedAmount a getter). */
async function webPeerPath(root) {
  const { WebSocketPeer } = await import(`${root}packages/handler/src/engine/web-peer.ts`);
  const { HookRunner } = await import(`${root}packages/handler/src/core/hooks.ts`);
  const { LocalTopics } = await import(`${root}packages/handler/src/core/topics.ts`);
  const { resolveEngineProfile } = await import(`${root}packages/handler/src/engine/options.ts`);
  let bytes = 0;
  const socket = {
    get readyState() {
      return 1;
    },
    get bufferedAmount() {
      return 0;
    },
    send(d) {
      bytes += d.length;
    },
    close() {},
  };
  const host = {
    runner: new HookRunner(echo),
    profile: resolveEngineProfile({ heartbeatInterval: 0 }),
    topics: new LocalTopics(),
    release() {},
  };
  const peer = new WebSocketPeer(socket, host, {
    id: '1',
    request: new Request('http://127.0.0.1/'),
    remoteAddress: '127.0.0.1',
    context: {},
    protocol: '',
    extensions: '',
  });
  peer.opened();
  const buffer = payload.buffer;
  return () => {
    // As the adapter's onmessage does: a Uint8Array over the event's ArrayBuffer.
    for (let i = 0; i < N; i++) peer.received(new Uint8Array(buffer), true);
    return bytes;
  };
}

const runs = {};
for (const [name, root] of Object.entries(trees)) {
  runs[name] = isBun ? await bunPath(root) : await webPeerPath(root);
}
const samples = Object.fromEntries(Object.keys(runs).map((n) => [n, []]));
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(runs);
  const order = round % 2 ? names.reverse() : names;
  for (const name of order) {
    const start = performance.now();
    runs[name]();
    samples[name].push(((performance.now() - start) * 1e6) / N);
  }
}
const runtime = isBun ? `Bun ${globalThis.Bun.version}` : `Deno ${globalThis.Deno.version.deno}`;
console.log(
  `${runtime}, ${isBun ? 'bunWebSocket message handler' : 'WebSocketPeer (Deno native)'}, ${ROUNDS} alternating rounds of ${N} messages`,
);
for (const [name, values] of Object.entries(samples)) {
  values.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(7)} ns/message: min ${values[0].toFixed(1)}, median ${values[values.length >> 1].toFixed(1)}`,
  );
}
