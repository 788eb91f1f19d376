// Scale-out benchmark: topic fan-out with 1 server process against 2 processes joined by
// @strata-ws/cluster (node:cluster workers with direct links, or through the primary's relay)
// or @strata-ws/redis (a real redis-server), with the same total clients and the same total
// message rate. Every client subscribes to one topic; the processes publish the rate between
// them (64-byte binary messages carrying their publish time), so with 2 processes half of
// each client's messages come from the other process.
//
// This machine's cores are shared with the load process (and other jobs), so the bus is
// judged by its cost: deliveries per server CPU-second (on-CPU time of every thread of every
// server process, plus the cluster primary or redis-server), 2 processes against 1.
// Interleaved: every set-up runs side by side with its clients connected all along; the
// orchestrator turns publishing on in one set-up at a time (single, X, single, Y, single...,
// the others' order rotating each round), lets it settle (--warmup ms), counts deliveries and
// CPU for --window ms, turns it off. A window's efficiency is its deliveries per CPU-second
// against the mean of the single-process windows just before and after it; median over rounds.
// Also: wall-clock deliveries/s, publish-to-delivery latency (p50/p99; `remote` = published
// by the other process), and the load process's own CPU (it must stay well under one core).
//
// Build first (`npx turbo run build --filter=@strata-ws/redis... --filter=@strata-ws/cluster...`), then:
//   flock /tmp/bench.lock node apps/bench/src/scale-bench.js [--clients 200] [--rate 500]
//        [--warmup 700] [--window 2000] [--rounds 7] [--tick ms]
//        [--setups single,pair,cluster,cluster-relay,cluster-json,redis] [--json] [--quick]
// (--tick: the publishers' timer period; default one tick per message due in each process.
// pair: two processes with no bus, each publishing the full rate to its half of the clients —
// the same serving work as a 2-process set-up without the bus: the floor of the ratio.)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
// --quick: a short run (3 rounds, 1.5 s windows) for that runner.
const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const clients = Number(option('clients', '200'));
const rate = Number(option('rate', '500'));
const warmup = Number(option('warmup', '700'));
const windowMs = Number(option('window', quick ? '1500' : '2000'));
const rounds = Number(option('rounds', option('runs', quick ? '3' : '7')));
const tick = option('tick', '');
const setups = option('setups', 'single,cluster,redis').split(',');
if (!setups.includes('single')) setups.unshift('single');

/** On-CPU seconds so far of every thread of a process (/proc/<pid>/task/<tid>/schedstat, ns). */
function cpuSeconds(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return ns / 1e9;
}

function start(command, args, env = {}) {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
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
        lines.splice(lines.indexOf(value), 1);
        w.resolve(value);
      }
    }
  });
  child.once('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${args.at(-1)} exited with ${code}`));
  });
  const next = (test) =>
    new Promise((resolve, reject) => {
      const found = lines.find(test);
      if (found) {
        lines.splice(lines.indexOf(found), 1);
        return resolve(found);
      }
      waiters.push({ test, resolve, reject });
    });
  const send = (line) => child.stdin.write(`${line}\n`);
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  return { child, next, send, stop };
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
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tickEnv = tick === '' ? {} : { TICK: tick };

/** Starts one set-up (publishing off): {name, processes, ports, pids, busPid, control, stops}. */
async function startSetup(name) {
  const stops = [];
  const pids = [];
  const controls = [];
  let ports = [];
  let busPid = null;
  let processes = 2;
  if (name === 'single') {
    processes = 1;
    const s = start(node, [...execArgv, serverScript], {
      SCALE_MODE: 'single',
      RATE: String(rate),
      ...tickEnv,
    });
    stops.push(s.stop);
    controls.push(s.send);
    const { port, pid } = await s.next((l) => 'port' in l);
    ports = [port];
    pids.push(pid);
  } else if (name === 'pair') {
    // The floor of any 2-process set-up: two independent processes with no bus, each
    // publishing the full rate to its half of the clients. Every client still gets `rate`
    // messages/s and each process prepares as many messages as with a bus (its own and the
    // other's); only the bus is missing.
    for (let index = 0; index < 2; index++) {
      const s = start(node, [...execArgv, serverScript], {
        SCALE_MODE: 'single',
        INDEX: String(index),
        RATE: String(rate),
        ...tickEnv,
      });
      stops.unshift(s.stop);
      controls.push(s.send);
      const { port, pid } = await s.next((l) => 'port' in l);
      ports.push(port);
      pids.push(pid);
    }
  } else if (name.startsWith('cluster')) {
    const s = start(node, [...execArgv, serverScript], {
      SCALE_MODE: 'cluster',
      WORKERS: '2',
      RATE: String(rate / 2),
      SERIALIZATION: name === 'cluster-json' ? 'json' : 'advanced',
      DIRECT: name === 'cluster' ? '1' : '0',
      ...tickEnv,
    });
    stops.push(s.stop);
    controls.push(s.send);
    const { port, pids: workers, primary } = await s.next((l) => 'port' in l);
    ports = [port];
    pids.push(...workers, primary);
    busPid = primary;
  } else if (name === 'redis') {
    const redis = await startRedis();
    stops.push(redis.stop);
    pids.push(redis.pid);
    busPid = redis.pid;
    for (let index = 0; index < 2; index++) {
      const s = start(node, [...execArgv, serverScript], {
        SCALE_MODE: 'redis',
        INDEX: String(index),
        RATE: String(rate / 2),
        REDIS_URL: redis.url,
        ...tickEnv,
      });
      stops.unshift(s.stop);
      controls.push(s.send);
      const { port, pid } = await s.next((l) => 'port' in l);
      ports.push(port);
      pids.push(pid);
    }
  } else {
    throw new Error(`unknown setup ${name}`);
  }
  return {
    name,
    processes,
    ports,
    pids,
    busPid,
    control: (command) => {
      for (const send of controls) send(command);
    },
    stops,
  };
}

const running = [];
let load;
const results = [];
try {
  for (const name of setups) running.push(await startSetup(name));
  load = start(node, [
    join(here, 'scale-load.js'),
    JSON.stringify(running.map((s) => ({ name: s.name, ports: s.ports }))),
    String(clients),
  ]);
  await load.next((l) => l.phase === 'ready');
  await sleep(500);
  const single = running.find((s) => s.name === 'single');
  const others = running.filter((s) => s !== single);
  let seq = 0;
  for (let round = 0; round < rounds; round++) {
    // single, X, single, Y, single...: each set-up sits between two single windows (its
    // ratio is against their mean), and the order of the others rotates every round.
    const order = [single];
    for (let i = 0; i < others.length; i++) {
      order.push(others[(i + round) % others.length], single);
    }
    for (const setup of order) {
      setup.control('on');
      await sleep(warmup);
      const before = setup.pids.map(cpuSeconds);
      load.send(`count ${setup.name}`);
      await sleep(windowMs);
      load.send('report');
      const after = setup.pids.map(cpuSeconds);
      const report = await load.next((l) => l.report === setup.name);
      setup.control('off');
      const used = after.map((v, i) => v - before[i]);
      const cpu = used.reduce((sum, v) => sum + v, 0);
      const bus = setup.busPid === null ? 0 : used[setup.pids.indexOf(setup.busPid)];
      results.push({
        setup: setup.name,
        round,
        seq: seq++,
        processes: setup.processes,
        deliveries: report.deliveries,
        deliveriesPerSecond: Math.round(report.deliveries / report.seconds),
        serverCpuSeconds: cpu,
        busCpuSeconds: bus,
        deliveriesPerCpuSecond: report.deliveries / Math.max(cpu, 0.001),
        loadCpuShare: report.loadCpuSeconds / report.seconds,
        p50: report.p50,
        p99: report.p99,
        remoteP50: report.remoteP50,
        remoteP99: report.remoteP99,
        errors: report.errors + report.resets,
      });
      await sleep(300); // let what is in flight arrive before the next set-up counts
    }
  }
} finally {
  if (load !== undefined) await load.stop();
  for (const setup of running) for (const stop of setup.stops) await stop();
}

// Efficiency: each window against the mean of the single-process windows just before and
// just after it (seconds apart), then the median over rounds: other jobs on the machine move
// both.
for (const result of results) {
  if (result.setup === 'single') {
    result.efficiency = 1;
    continue;
  }
  const before = results.find((x) => x.seq === result.seq - 1 && x.setup === 'single');
  const after = results.find((x) => x.seq === result.seq + 1 && x.setup === 'single');
  const near = [before, after].filter((x) => x !== undefined);
  const base = near.reduce((sum, x) => sum + x.deliveriesPerCpuSecond, 0) / near.length;
  result.efficiency = near.length === 0 ? null : result.deliveriesPerCpuSecond / base;
}
const median = (values) => {
  const known = values.filter((v) => typeof v === 'number' && !Number.isNaN(v));
  if (known.length === 0) return null;
  known.sort((a, b) => a - b);
  const mid = known.length >> 1;
  return known.length % 2 === 1 ? known[mid] : (known[mid - 1] + known[mid]) / 2;
};
const round2 = (v) => (v === null ? null : Number(v.toFixed(2)));
const rows = setups.map((setup) => {
  const mine = results.filter((r) => r.setup === setup);
  const pick = (key) => median(mine.map((r) => r[key]));
  const efficiencies = mine.map((r) => r.efficiency).filter((v) => v !== null);
  return {
    setup,
    processes: mine[0].processes,
    'deliveries/window': Math.round(pick('deliveries')),
    'deliveries/s': Math.round(pick('deliveriesPerSecond')),
    'expected/s': clients * rate,
    'server CPU s/s': round2(pick('serverCpuSeconds') / (windowMs / 1000)),
    'of which bus': round2(pick('busCpuSeconds') / (windowMs / 1000)),
    'deliveries/CPU-s': Math.round(pick('deliveriesPerCpuSecond')),
    'CPU efficiency vs 1 process': round2(median(efficiencies)),
    range:
      efficiencies.length === 0
        ? '-'
        : `${Math.min(...efficiencies).toFixed(2)}-${Math.max(...efficiencies).toFixed(2)}`,
    'load CPU share': round2(pick('loadCpuShare')),
    'p50 ms': pick('p50'),
    'p99 ms': pick('p99'),
    'remote p50 ms': pick('remoteP50'),
    'remote p99 ms': pick('remoteP99'),
    errors: pick('errors'),
  };
});
console.table(rows);
for (const setup of setups) {
  if (setup === 'single') continue;
  const per = results.filter((r) => r.setup === setup).map((r) => r.efficiency?.toFixed(2));
  console.log(`${setup} per round: ${per.join(' ')}`);
}
console.log(
  JSON.stringify({
    clients,
    rate,
    warmup,
    windowMs,
    rounds,
    tick: tick || 'per message',
    node: process.version,
    rows,
  }),
);
if (json) {
  const goals = { cluster: 0.8, 'cluster-relay': 0.8, 'cluster-json': 0.8, redis: 0.7 };
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
      how: `${clients} clients, ${rate} msg/s total, ${rounds} interleaved round(s), median of per-round ratios (range ${row.range}); remote p50/p99 ${row['remote p50 ms']}/${row['remote p99 ms']} ms`,
    });
  }
  console.log(JSON.stringify({ rows: out }));
}
