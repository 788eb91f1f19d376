// Scale-out benchmark: topic fan-out with 1 server process against 2 processes joined by
// @strata-ws/cluster (node:cluster IPC) or @strata-ws/redis (a real redis-server), with the
// same total clients and the same total message rate. Every client subscribes to one topic;
// the processes publish the rate between them (64-byte binary messages carrying their publish
// time), so with 2 processes half of each client's messages come from the other process.
//
// This machine's cores are shared with the load process, so the bus is judged by its cost:
// deliveries per server CPU-second (CPU of every server process, plus the cluster primary or
// redis-server), 2 processes against 1. Also: wall-clock deliveries/s and publish-to-delivery
// latency (p50/p99; `remote` = published by the other process).
//
// Build first (`npx turbo run build --filter=@strata-ws/redis...`), then:
//   node apps/bench/src/scale-bench.js [--clients 200] [--rate 500] [--warmup 1500]
//        [--duration 5000] [--setups single,cluster,cluster-json,redis,cluster-1,redis-1] [--runs 1]
//        [--json] [--quick]
// (cluster-1 / redis-1: one process whose publishes still go through the bus: its own cost)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
// --json: the last stdout line is {rows: [...]} for the bench runner (apps/bench/src/run.js):
// one row per 2-process set-up, ratio = deliveries per server CPU-second against 1 process.
// --quick: a short run (1 round, shorter windows) for that runner.
const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const clients = Number(option('clients', '200'));
const rate = Number(option('rate', '500'));
const warmup = Number(option('warmup', quick ? '800' : '1500'));
const duration = Number(option('duration', quick ? '2500' : '5000'));
const setups = option(
  'setups',
  json ? 'single,cluster,redis' : 'single,cluster,cluster-json,redis',
).split(',');
const runs = Number(option('runs', quick ? '1' : json ? '3' : '1'));

/** CPU seconds (user + system) used so far by a process, from /proc. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks (100/s)
}

function start(command, args, env = {}) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    lines.push(value);
    for (const w of [...waiters]) {
      if (w.test(value)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(value);
      }
    }
  });
  const next = (test) =>
    new Promise((resolve, reject) => {
      const found = lines.find(test);
      if (found) return resolve(found);
      waiters.push({ test, resolve });
      child.once('exit', (code) => reject(new Error(`${args.at(-1)} exited with ${code}`)));
    });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  return { child, next, stop };
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-redis-'));
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { cwd: dir, stdio: 'ignore' },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  return {
    pid: redis.pid,
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      redis.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const serverScript = join(here, 'scale-server.js');
const node = process.execPath;
const execArgv = process.execArgv; // e.g. a source loader

async function runSetup(setup) {
  const stoppers = [];
  const cpuPids = [];
  let ports = [];
  try {
    if (setup === 'single') {
      const s = start(node, [...execArgv, serverScript], {
        SCALE_MODE: 'single',
        RATE: String(rate),
      });
      stoppers.push(s.stop);
      const { port, pid } = await s.next((l) => 'port' in l);
      ports = [port];
      cpuPids.push(pid);
    } else if (setup.startsWith('cluster')) {
      const workers = setup === 'cluster-1' ? 1 : 2;
      const s = start(node, [...execArgv, serverScript], {
        SCALE_MODE: 'cluster',
        WORKERS: String(workers),
        RATE: String(rate / workers),
        SERIALIZATION: setup === 'cluster-json' ? 'json' : 'advanced',
      });
      stoppers.push(s.stop);
      const { port, pids, primary } = await s.next((l) => 'port' in l);
      ports = [port];
      cpuPids.push(...pids, primary);
    } else if (setup === 'redis' || setup === 'redis-1') {
      const redis = await startRedis();
      stoppers.push(redis.stop);
      cpuPids.push(redis.pid);
      const count = setup === 'redis-1' ? 1 : 2;
      for (let index = 0; index < count; index++) {
        const s = start(node, [...execArgv, serverScript], {
          SCALE_MODE: 'redis',
          INDEX: String(index),
          RATE: String(rate / count),
          REDIS_URL: redis.url,
        });
        stoppers.unshift(s.stop);
        const { port, pid } = await s.next((l) => 'port' in l);
        ports.push(port);
        cpuPids.push(pid);
      }
    } else {
      throw new Error(`unknown setup ${setup}`);
    }
    const load = start(node, [
      join(here, 'scale-load.js'),
      ports.join(','),
      String(clients),
      String(warmup),
      String(duration),
    ]);
    stoppers.unshift(load.stop);
    await load.next((l) => l.phase === 'start');
    const before = cpuPids.map(cpuSeconds);
    const end = await load.next((l) => l.phase === 'end');
    const used = cpuPids.map((pid, i) => cpuSeconds(pid) - before[i]);
    const cpu = used.reduce((sum, v) => sum + v, 0);
    // The relay's share: the cluster primary (last pid) or redis-server (first pid).
    const bus = setup.startsWith('redis') ? used[0] : setup.startsWith('cluster') ? used.at(-1) : 0;
    return {
      setup,
      processes: setup === 'single' || setup.endsWith('-1') ? 1 : 2,
      deliveriesPerSecond: Math.round(end.deliveries / end.seconds),
      expectedPerSecond: clients * rate,
      serverCpuSeconds: Number(cpu.toFixed(2)),
      busCpuSeconds: Number(bus.toFixed(2)),
      deliveriesPerCpuSecond: Math.round(end.deliveries / Math.max(cpu, 0.01)),
      p50: end.p50,
      p99: end.p99,
      remoteP50: end.remoteP50,
      remoteP99: end.remoteP99,
      errors: end.errors + end.resets,
    };
  } finally {
    for (const stop of stoppers) await stop();
  }
}

const results = [];
for (let r = 0; r < runs; r++) {
  for (const setup of setups) results.push({ ...(await runSetup(setup)), run: r });
}
// Efficiency is computed within each run (against that run's single process, measured
// minutes apart at most), then the median over runs: other jobs on the machine move both.
for (const result of results) {
  const single = results.find((x) => x.run === result.run && x.setup === 'single');
  result.efficiency = single ? result.deliveriesPerCpuSecond / single.deliveriesPerCpuSecond : null;
}
const median = (values) => {
  const known = values.filter((v) => typeof v === 'number' && !Number.isNaN(v));
  return known.length === 0 ? null : known.sort((a, b) => a - b)[Math.floor(known.length / 2)];
};
const rows = setups.map((setup) => {
  const mine = results.filter((r) => r.setup === setup);
  const pick = (key) => median(mine.map((r) => r[key]));
  const efficiency = pick('efficiency');
  return {
    setup,
    processes: mine[0].processes,
    'deliveries/s': pick('deliveriesPerSecond'),
    'expected/s': mine[0].expectedPerSecond,
    'server CPU s': pick('serverCpuSeconds'),
    'of which bus': pick('busCpuSeconds'),
    'deliveries/CPU-s': pick('deliveriesPerCpuSecond'),
    'CPU efficiency vs 1 process': efficiency === null ? null : Number(efficiency.toFixed(2)),
    'per run': mine.map((r) => (r.efficiency === null ? '-' : r.efficiency.toFixed(2))).join(' '),
    'p50 ms': pick('p50'),
    'p99 ms': pick('p99'),
    'remote p50 ms': pick('remoteP50'),
    'remote p99 ms': pick('remoteP99'),
    errors: pick('errors'),
  };
});
console.table(rows);
console.log(JSON.stringify({ clients, rate, warmup, duration, runs, node: process.version, rows }));
if (json) {
  const goals = { cluster: 0.8, 'cluster-json': 0.8, redis: 0.7 };
  const out = [];
  for (const row of rows) {
    const goal = goals[row.setup];
    if (goal === undefined) continue;
    const ratio = row['CPU efficiency vs 1 process'];
    out.push({
      id: `scale-${row.setup}`,
      title: `topic fan-out, 2 processes via ${row.setup.startsWith('cluster') ? '@strata-ws/cluster' : '@strata-ws/redis'} vs 1 process`,
      unit: 'deliveries per server CPU-s (ratio to 1 process)',
      higherIsBetter: true,
      values: {
        single: rows.find((r) => r.setup === 'single')?.['deliveries/CPU-s'] ?? null,
        [row.setup]: row['deliveries/CPU-s'],
      },
      ratio,
      goal: `>= ${goal}x of 1 process`,
      goalMet: ratio !== null && ratio >= goal,
      how: `${clients} clients, ${rate} msg/s total, ${runs} round(s) of single/cluster/redis in turn, median of per-round ratios; remote p50/p99 ${row['remote p50 ms']}/${row['remote p99 ms']} ms`,
    });
  }
  console.log(JSON.stringify({ rows: out }));
}
