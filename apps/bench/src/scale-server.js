// Server process of the scale-out benchmark (scale-bench.js). SCALE_MODE:
//   single  — one process, topics in-process;
//   redis   — one of several processes joined by a RedisAdapter (REDIS_URL);
//   cluster — runCluster: the primary forks WORKERS workers sharing one port (ClusterAdapter).
// Every client subscribes to one topic. While publishing is on, each process publishes RATE
// messages/s on it (the orchestrator divides the total rate between processes), 64-byte
// binary payloads that carry the publish time (float64, ms since the epoch) and the publishing
// process's index, so the load process measures publish-to-delivery latency and tells local
// from cross-process ones. Its timer fires once per message due (every 1000/RATE ms, or TICK
// ms when given), so every set-up wakes up as often per published message.
// Publishing starts with a line `on` on stdin and stops with `off` (the cluster primary
// passes them to its workers), so the orchestrator can run the set-ups side by side and turn
// the load on in one at a time. Prints {port, pid} (cluster: {port, pids, primary}) when
// listening; SIGTERM exits.
import cluster from 'node:cluster';
import { createInterface } from 'node:readline';
import { ClusterAdapter, runCluster } from '@strata-ws/cluster';
import { RedisAdapter } from '@strata-ws/redis';
import { WebSocketServer } from '@strata-ws/server';

const mode = process.env.SCALE_MODE ?? 'single';
const rate = Number(process.env.RATE ?? 500);
const index = Number(process.env.INDEX ?? 0);
const PAYLOAD = 64;
const tick = Number(process.env.TICK ?? 0) || Math.max(1, 1000 / rate);

function serve(adapter, processIndex) {
  const wss = new WebSocketServer({
    port: Number(process.env.PORT ?? 0),
    host: '127.0.0.1',
    heartbeatInterval: 0,
    // A saturated run must not turn into closed connections: a client whose queue is over
    // maxBufferedAmount misses messages instead (they are simply not counted as deliveries).
    backpressurePolicy: 'drop',
    topics: adapter ? { adapter } : undefined,
  });
  // First frame to each client: publish time 0 and this process's index (its "home").
  const hello = Buffer.alloc(PAYLOAD);
  hello.writeUInt32LE(processIndex, 8);
  wss.on('connection', (ws) => {
    ws.send(hello);
    ws.subscribe('bench');
  });
  const payload = Buffer.alloc(PAYLOAD);
  payload.writeUInt32LE(processIndex, 8);
  let timer;
  const control = (command) => {
    clearInterval(timer);
    timer = undefined;
    if (command !== 'on') return;
    const started = performance.now();
    let sent = 0;
    timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      for (; sent < due; sent++) {
        payload.writeDoubleLE(performance.timeOrigin + performance.now(), 0);
        payload.writeUInt32LE(sent, 12);
        wss.publish('bench', payload);
      }
    }, tick);
  };
  process.on('SIGTERM', () => {
    clearInterval(timer);
    Promise.resolve(adapter?.close()).finally(() => process.exit(0));
  });
  return { wss, control };
}

/** Lines `on` / `off` on stdin. */
function onCommands(handler) {
  createInterface({ input: process.stdin }).on('line', (line) => handler(line.trim()));
}

if (mode === 'cluster') {
  const workers = Number(process.env.WORKERS ?? 2);
  const handle = await runCluster({
    workers,
    respawn: false,
    serialization: process.env.SERIALIZATION ?? 'advanced',
    worker() {
      const adapter = new ClusterAdapter({ direct: process.env.DIRECT !== '0' });
      const { wss, control } = serve(adapter, cluster.worker.id - 1);
      process.on('message', (message) => {
        if (typeof message?.bench === 'string') control(message.bench);
      });
      wss.on('listening', async () => {
        await adapter.ready;
        process.send({ listening: wss.address().port, pid: process.pid });
      });
    },
  });
  if (handle.isPrimary) {
    const pids = [];
    cluster.on('message', (_worker, message) => {
      if (message?.listening === undefined) return;
      pids.push(message.pid);
      if (pids.length === workers) {
        process.stdout.write(
          `${JSON.stringify({ port: message.listening, pids, primary: process.pid })}\n`,
        );
      }
    });
    onCommands((bench) => {
      for (const worker of handle.workers()) worker.send({ bench });
    });
    process.on('SIGTERM', async () => {
      await handle.stop(2000);
      process.exit(0);
    });
  }
} else {
  const adapter = mode === 'redis' ? new RedisAdapter({ url: process.env.REDIS_URL }) : undefined;
  const { wss, control } = serve(adapter, index);
  onCommands(control);
  wss.on('listening', () => {
    process.stdout.write(`${JSON.stringify({ port: wss.address().port, pid: process.pid })}\n`);
  });
}
