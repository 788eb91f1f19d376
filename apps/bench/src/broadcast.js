// Broadcast benchmark: Strata's topics (`server.publish`) against `ws` (a send per client,
// bufferutil installed) and Bun's `server.publish` (uWebSockets), in the same run.
//
// Each server runs in its own process; a separate load process opens N raw node:net clients
// and counts the 128-byte frames they receive (deliveries). Every server broadcasts in
// rounds of `burst` messages, pausing while its clients' queues hold more than 16 KiB each
// on average (broadcast-rounds.js). Reported: deliveries/s, the ratio to `ws`, and the
// server process's CPU use during the measurement.
//
// Build first (`npx turbo run build`), then:
//   node apps/bench/src/broadcast.js [--clients 1000] [--burst 10] [--warmup 1000]
//        [--duration 5000] [--servers ws,strata,bun] [--runs 1] [--also name=path,...]
// With --runs N the servers are measured in turn N times and each row is that server's
// median run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const clients = Number(option('clients', '1000'));
const burst = Number(option('burst', '10'));
const warmup = Number(option('warmup', '1000'));
const duration = Number(option('duration', '5000'));
const servers = option('servers', 'ws,strata,bun').split(',');
// --also name=path,...: more Node broadcast servers in the same run (e.g. the Strata server of
// an earlier build: --also base=/tmp/base/apps/bench/src/broadcast-server-strata.js).
const also = new Map(
  (option('also', '') || '')
    .split(',')
    .filter(Boolean)
    .map((entry) => entry.split('=')),
);
for (const name of also.keys()) servers.push(name);

/** The bun binary npx would run (spawned directly so its CPU time can be read). */
function bunBinary() {
  const pkg = dirname(require.resolve('bun/package.json'));
  return join(pkg, 'bin', 'bun.exe');
}

const commands = {
  ws: () => [process.execPath, [join(here, 'broadcast-server-ws.js')]],
  strata: () => [process.execPath, [join(here, 'broadcast-server-strata.js')]],
  bun: () => [bunBinary(), [join(here, 'broadcast-server-bun.js')]],
};
for (const [name, path] of also) commands[name] = () => [process.execPath, [path]];

/** CPU seconds (user + system) used so far by a process, from /proc. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return Number.NaN;
  }
}

/** Lines of JSON from a child's stdout, one promise at a time. */
function jsonLines(child) {
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  const waiters = [];
  lines.on('line', (line) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter(value);
    else queue.push(value);
  });
  return () =>
    new Promise((resolve, reject) => {
      if (queue.length > 0) resolve(queue.shift());
      else {
        waiters.push(resolve);
        child.once('exit', (code) => reject(new Error(`process exited (${code}) early`)));
      }
    });
}

async function measure(name) {
  const [command, args] = (
    commands[name] ?? (() => [process.execPath, [join(here, `broadcast-server-${name}.js`)]])
  )();
  const server = spawn(command, [...args, String(clients), String(burst)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const { port } = await jsonLines(server)();
    const load = spawn(
      process.execPath,
      [
        join(here, 'broadcast-load.js'),
        String(port),
        String(clients),
        String(warmup),
        String(duration),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const next = jsonLines(load);
    await next(); // { connected }
    await new Promise((resolve) => setTimeout(resolve, warmup));
    const cpuStart = cpuSeconds(server.pid);
    const loadCpuStart = cpuSeconds(load.pid);
    const result = await next();
    const cpu = (cpuSeconds(server.pid) - cpuStart) / result.seconds;
    const loadCpu = (cpuSeconds(load.pid) - loadCpuStart) / result.seconds;
    return { name, ...result, serverCpu: cpu, loadCpu };
  } finally {
    server.kill('SIGKILL');
  }
}

const runs = Number(option('runs', '1'));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
/** Per server, the run with the median deliveries/s (runs alternate the servers). */
const samples = new Map(servers.map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  for (const name of servers) {
    const result = await measure(name);
    samples.get(name).push(result);
    process.stderr.write(
      `run ${run + 1}/${runs} ${name}: ${Math.round(result.deliveriesPerSecond)} deliveries/s, server CPU ${Math.round(result.serverCpu * 100)}%\n`,
    );
  }
}
const results = servers.map((name) => {
  const list = samples.get(name);
  const m = median(list.map((r) => r.deliveriesPerSecond));
  return list.reduce((best, r) =>
    Math.abs(r.deliveriesPerSecond - m) < Math.abs(best.deliveriesPerSecond - m) ? r : best,
  );
});
const base = results.find((r) => r.name === 'ws');
console.log(
  `broadcast: ${clients} clients, rounds of ${burst} x 128 B text messages, ${duration} ms after ${warmup} ms warm-up, median of ${runs} run(s) (node ${process.version})`,
);
console.log(
  'server   deliveries/s   vs ws   server CPU   load CPU   per server CPU-s   vs ws   frame errors',
);
for (const r of results) {
  const ratio = base ? (r.deliveriesPerSecond / base.deliveriesPerSecond).toFixed(2) : '-';
  // Deliveries per CPU-second of the server process: less sensitive than deliveries/s to
  // other processes competing for the cores.
  const efficiency = r.deliveriesPerSecond / r.serverCpu;
  const baseEfficiency = base ? base.deliveriesPerSecond / base.serverCpu : Number.NaN;
  console.log(
    `${r.name.padEnd(8)} ${String(Math.round(r.deliveriesPerSecond)).padStart(12)}   ${ratio.padStart(5)}x   ${`${Math.round(r.serverCpu * 100)}%`.padStart(10)}   ${`${Math.round(r.loadCpu * 100)}%`.padStart(8)}   ${String(Math.round(efficiency)).padStart(16)}   ${(efficiency / baseEfficiency).toFixed(2).padStart(5)}x   ${r.errors}`,
  );
}
if (process.argv.includes('--json')) {
  // Every run of every server, in run order (runs alternate the servers): for run.js.
  const json = servers.map((name) => ({
    name,
    deliveriesPerSecond: samples.get(name).map((r) => r.deliveriesPerSecond),
    perServerCpuSecond: samples.get(name).map((r) => r.deliveriesPerSecond / r.serverCpu),
    errors: samples.get(name).reduce((n, r) => n + r.errors, 0),
  }));
  console.log(JSON.stringify({ clients, burst, servers: json }));
}
