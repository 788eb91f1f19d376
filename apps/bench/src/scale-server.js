// Server process of the scale-out benchmark (scale-bench.js). SCALE_MODE:
//   single  — one process, topics in-process;
//   redis   — one of several processes joined by a RedisAdapter (REDIS_URL);
//   cluster — runCluster: the primary forks WORKERS workers sharing one port (ClusterAdapter).
// Every client subscribes to one topic. Each process publishes RATE messages/s on it (the
// orchestrator divides the total rate between processes), 64-byte binary payloads that carry
// the publish time (float64, ms since the epoch) and the publishing process's index, so the
// load process measures publish-to-delivery latency and tells local from cross-process ones.
// Prints {port, pid} (cluster: {port, pids, primary}) when listening; SIGTERM exits.
import cluster from 'node:cluster';
import { ClusterAdapter, runCluster } from '@strata-ws/cluster';
import { RedisAdapter } from '@strata-ws/redis';
import { WebSocketServer } from '@strata-ws/server';

const mode = process.env.SCALE_MODE ?? 'single';
const rate = Number(process.env.RATE ?? 500);
const index = Number(process.env.INDEX ?? 0);
const PAYLOAD = 64;

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
  const started = performance.now();
  let sent = 0;
  const payload = Buffer.alloc(PAYLOAD);
  payload.writeUInt32LE(processIndex, 8);
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      payload.writeDoubleLE(performance.timeOrigin + performance.now(), 0);
      payload.writeUInt32LE(sent, 12);
      wss.publish('bench', payload);
    }
  }, 2);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    Promise.resolve(adapter?.close()).finally(() => process.exit(0));
  });
  return wss;
}

if (mode === 'cluster') {
  const workers = Number(process.env.WORKERS ?? 2);
  const handle = await runCluster({
    workers,
    respawn: false,
    serialization: process.env.SERIALIZATION ?? 'advanced',
    worker() {
      const wss = serve(new ClusterAdapter(), cluster.worker.id - 1);
      wss.on('listening', () => process.send({ listening: wss.address().port, pid: process.pid }));
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
    process.on('SIGTERM', async () => {
      await handle.stop(2000);
      process.exit(0);
    });
  }
} else {
  const adapter = mode === 'redis' ? new RedisAdapter({ url: process.env.REDIS_URL }) : undefined;
  const wss = serve(adapter, index);
  wss.on('listening', () => {
    process.stdout.write(`${JSON.stringify({ port: wss.address().port, pid: process.pid })}\n`);
  });
}
