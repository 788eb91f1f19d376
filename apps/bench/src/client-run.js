// One client of the client benchmark, in a process of its own: connects to the echo server,
// keeps `window` messages in flight until `count` echoes came back, prints one JSON line with
// wall time and this process's CPU time. Usage (run by client.js):
//   node [--experimental-websocket] client-run.js <impl> <url> <size> <kind> <count> <window> [module]
// impl: strata | ws | undici | bare (client-bare.js, the floor) | bare-view (the floor without
// the copy into an ArrayBuffer of its own) | any other name: a Strata
// client build imported from <module> (e.g. a copy of an earlier dist, for before/after);
// kind: text | binary.
const [impl, url, sizeArg, kind, countArg, windowArg, modulePath] = process.argv.slice(2);
const size = Number(sizeArg);
const count = Number(countArg);
const windowSize = Number(windowArg);
const payload = kind === 'text' ? 'x'.repeat(size) : new Uint8Array(size).fill(7);

let sent = 0;
let received = 0;
let t0 = 0;
let cpu0 = null;

function done(close) {
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      impl,
      size,
      kind,
      count,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      userMs: cpu.user / 1000,
      systemMs: cpu.system / 1000,
    }),
  );
  close();
}

async function main() {
  if (impl === 'ws') {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('open', () => {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
      for (; sent < windowSize && sent < count; sent++) ws.send(payload);
    });
    ws.on('message', () => {
      received++;
      if (sent < count) {
        ws.send(payload);
        sent++;
      }
      if (received === count) done(() => ws.close());
    });
    ws.on('close', () => process.exit(0));
    return;
  }
  if (impl === 'bare' || impl === 'bare-view') {
    const { bareClient } = await import('./client-bare.js');
    const binary = kind !== 'text';
    const bytes = binary ? payload : Buffer.from(payload);
    let send;
    const destroy = bareClient(
      url,
      (sendFrame) => {
        send = sendFrame;
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        for (; sent < windowSize && sent < count; sent++) send(bytes, binary);
      },
      () => {
        received++;
        if (sent < count) {
          send(bytes, binary);
          sent++;
        }
        if (received === count) {
          done(destroy);
          process.exit(0);
        }
      },
      { view: impl === 'bare-view' },
    );
    return;
  }
  let WebSocketClass;
  let options;
  if (impl !== 'undici') {
    ({ WebSocket: WebSocketClass } = modulePath
      ? await import(modulePath)
      : await import('@strata-ws/client'));
    options = [[], { perMessageDeflate: false }];
  } else {
    WebSocketClass = globalThis.WebSocket; // undici, the built-in
    options = [];
  }
  const ws = new WebSocketClass(url, ...options);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    for (; sent < windowSize && sent < count; sent++) ws.send(payload);
  };
  ws.onmessage = () => {
    received++;
    if (sent < count) {
      ws.send(payload);
      sent++;
    }
    if (received === count) done(() => ws.close());
  };
  ws.onclose = () => process.exit(0);
  ws.onerror = () => {
    console.error(`${impl}: connection failed`);
    process.exit(1);
  };
}

main();
