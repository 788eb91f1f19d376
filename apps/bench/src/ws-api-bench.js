// The ws-API echo server on `ws` (+ bufferutil, server-ws.js) against the same program on
// @strata-ws/ws (ws-api-echo-server.js), judged interleaved: both servers run side by side for
// the whole scenario and the raw-TCP load generator (loadgen.js, a separate process) alternates
// between them round after round (order A B, B A, A B, ... so that drift in the machine's load
// cancels); each round gives one ratio, and the median of those ratios is reported, with the
// median ratio of the servers' CPU time per operation (from /proc) beside it.
//
// Usage (after `npx turbo run build`; wrap in `flock /tmp/bench.lock` on a shared machine):
//   node apps/bench/src/ws-api-bench.js [--only echo64,big,rtt,handshake] [--rounds 7]
//        [--seconds 2] [--base ws=server-ws.js] [--candidate ws-api=ws-api-echo-server.js]
//        [--json] [--quick] [--loadgen node|bun]
// (--candidate/--base take name=path, e.g. an earlier build for before/after figures.)
// --json prints one last line {"rows": [...]} for apps/bench's runner; --quick: 3 rounds of 1 s.
// --loadgen bun runs the same loadgen.js with Bun, whose sockets cost the client about half
// the CPU (handshakes: with a Node generator on the same 2 cores the generator is the bound).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
function opt(name, fallback) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}
const only = opt('only', 'echo64,big,rtt,handshake').split(',');
const quick = argv.includes('--quick');
const json = argv.includes('--json');
const rounds = Number(opt('rounds', quick ? '3' : '7'));
const seconds = opt('seconds', quick ? '1' : '2');
const parseServer = (spec) => {
  const [name, path] = spec.split('=');
  return { name, path: isAbsolute(path) ? path : join(here, path) };
};
const loadgenRuntime = opt('loadgen', 'node');
const BUN = join(here, '../../../node_modules/.bin/bun');
const base = parseServer(opt('base', 'ws=server-ws.js'));
const candidate = parseServer(opt('candidate', 'ws-api=ws-api-echo-server.js'));

const SCENARIOS = {
  echo64: {
    title: '64 B echo, 50 connections x 100 in flight (msgs/s)',
    unit: 'msgs/s',
    goal: 5,
    load: ['--mode', 'echo', '--connections', '50', '--inflight', '100', '--size', '64'],
    metric: (r) => r.messagesPerSecond,
    ops: (r) => r.totalMessages,
  },
  big: {
    title: '1 MiB echo, 4 connections x 2 in flight (MB/s)',
    unit: 'MB/s',
    goal: 1,
    load: ['--mode', 'echo', '--connections', '4', '--inflight', '2', '--size', String(1 << 20)],
    metric: (r) => r.megabytesPerSecond,
    ops: (r) => r.totalMessages,
  },
  rtt: {
    title: '64 B round trips, 1 connection, 1 in flight (round trips/s)',
    unit: 'round trips/s',
    goal: 1,
    load: ['--mode', 'echo', '--connections', '1', '--inflight', '1', '--size', '64'],
    metric: (r) => r.messagesPerSecond,
    ops: (r) => r.totalMessages,
  },
  handshake: {
    title: 'handshakes/s, 2000 connections, 50 at a time',
    unit: 'handshakes/s',
    goal: 1,
    load: ['--mode', 'handshake', '--connections', '2000', '--concurrency', '50'],
    metric: (r) => r.handshakesPerSecond,
    ops: (r) => r.connections,
  },
};

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime
}

function startServer({ path }) {
  const child = spawn(process.execPath, [path, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${path} exited with ${code}`)));
  });
}

function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.on('exit', resolve);
    server.child.kill('SIGTERM');
  });
}

function runLoad(port, loadArgs) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      loadgenRuntime === 'bun' ? BUN : process.execPath,
      [join(here, 'loadgen.js'), '--port', String(port), '--seconds', seconds, ...loadArgs],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`loadgen exited with ${code}`));
      const lines = out.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

/** One round on one server: the metric and the server's CPU microseconds per operation. */
async function round(server, scenario) {
  const before = cpuSeconds(server.child.pid);
  const result = await runLoad(server.port, scenario.load);
  await sleep(150); // the closes of the round, counted in its CPU
  const cpu = cpuSeconds(server.child.pid) - before;
  return { value: scenario.metric(result), cpuUs: (cpu * 1e6) / Math.max(1, scenario.ops(result)) };
}

process.stdout.write(
  `node ${process.version}; ${candidate.name} vs ${base.name}; ${rounds} interleaved rounds of ${seconds} s\n`,
);
const rows = [];
for (const key of only) {
  const scenario = SCENARIOS[key];
  if (!scenario) throw new Error(`unknown scenario ${key}`);
  const a = await startServer(base);
  const b = await startServer(candidate);
  try {
    await sleep(300);
    await round(a, scenario); // warm-up (JIT), not counted
    await round(b, scenario);
    const ratios = [];
    const cpuRatios = [];
    const values = { a: [], b: [] };
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 === 0 ? [a, b] : [b, a];
      const got = new Map();
      for (const server of order) got.set(server, await round(server, scenario));
      const ra = got.get(a);
      const rb = got.get(b);
      values.a.push(ra.value);
      values.b.push(rb.value);
      ratios.push(rb.value / ra.value);
      cpuRatios.push(ra.cpuUs / rb.cpuUs);
      values.cpuA = [...(values.cpuA ?? []), ra.cpuUs];
      values.cpuB = [...(values.cpuB ?? []), rb.cpuUs];
    }
    const f = (x) => x.toFixed(2);
    const ratio = median(ratios);
    rows.push({
      id: `ws-api-${key}`,
      title: `ws API (@strata-ws/ws vs ws): ${scenario.title}`,
      unit: scenario.unit,
      higherIsBetter: true,
      values: { strata: median(values.b), ws: median(values.a) },
      ratio: Math.round(ratio * 100) / 100,
      cpuRatio: Math.round(median(cpuRatios) * 100) / 100,
      goal: `>= ${scenario.goal}x ws`,
      goalMet: ratio >= scenario.goal,
      how: `${rounds} rounds of ${seconds} s, both servers side by side, load alternating; median of per-round ratios`,
    });
    process.stdout.write(
      `${scenario.title}\n` +
        `  ${base.name} ${median(values.a)} (${f(median(values.cpuA))} us CPU/op) | ` +
        `${candidate.name} ${median(values.b)} (${f(median(values.cpuB))} us CPU/op)\n` +
        `  ${candidate.name}/${base.name} median of per-round ratios ${f(median(ratios))}x ` +
        `[${ratios.map(f).join(' ')}]; CPU/op ratio ${f(median(cpuRatios))}x\n`,
    );
  } finally {
    await stopServer(a);
    await stopServer(b);
  }
}
if (json) process.stdout.write(`${JSON.stringify({ rows })}\n`);
