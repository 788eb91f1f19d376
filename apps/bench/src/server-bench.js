// Server benchmarks: Strata's echo server against `ws` (+ bufferutil) and Bun's server
// (uWebSockets inside), in the same run, under the same raw-TCP load generator
// (loadgen.js, a separate process). Each scenario starts each server fresh, runs the load,
// reads the server's CPU time and RSS from /proc, and reports Strata's ratio to `ws`.
//
// Usage (after `npx turbo run build`):
//   node apps/bench/src/server-bench.js [--only echo64,rtt,big,handshake,flood,idle]
//        [--seconds 5] [--servers strata,ws,bun,bare,bare-http] [--idle 5000,15000] [--repeat 3]
//        [--loadgen node|bun]
// Each scenario runs --repeat times per server, interleaved (strata, ws, bun, strata, ...),
// and reports the median: the machine is shared, single runs are noisy. Alongside each
// figure, the server's CPU time per message (from /proc) is printed where it applies.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  process.stdout.write(
    'node apps/bench/src/server-bench.js [--only echo64,rtt,big,handshake,flood,idle] [--seconds 5]\n' +
      '  [--servers strata,ws,bun,bare,bare-http] [--repeat 3] [--loadgen node|bun] [--json]\n' +
      '  [--also name=server.js,...] (more Node echo servers in the same run, e.g. an earlier build)\n' +
      '  idle: [--idle LOW,HIGH (5000,15000)] [--idle-warmup 2000] [--idle-semi-space MB (16; 0 = V8 default)]\n' +
      '  (bare and bare-http run in the handshake and idle scenarios only; see apps/bench/README.md, "server")\n',
  );
  process.exit(0);
}
function opt(name, fallback) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}
const seconds = Number(opt('seconds', '5'));
const only = opt('only', 'echo64,rtt,big,handshake,flood,idle').split(',');
const allServerNames = opt('servers', 'strata,ws,bun,bare,bare-http').split(',');
// Idle memory is the slope between two connection counts, after a warm-up: see measureIdle.
const [idleLow, idleHigh] = opt('idle', '5000,15000').split(',').map(Number);
const idleWarmup = Number(opt('idle-warmup', '2000'));
// For the idle scenario the Node servers start with V8's young generation already at a fixed
// size (MB per semi-space; 0 = V8's default sizing, which grows it while connections open).
const idleSemiSpace = Number(opt('idle-semi-space', '16'));
const repeat = Number(opt('repeat', '3'));
// Handshakes: a round of 2,000 takes a fifth of a second, so one round per server start is
// mostly noise; each start runs this many rounds (the load process closes its connections
// at the end of each) and reports the median round, with the CPU of all rounds.
const handshakeRounds = Number(opt('handshake-rounds', '5'));
// The load generator's runtime: the same raw node:net script run by Node or by Bun. Bun's
// sockets cost the client about half the CPU per connection, so in the handshake scenario
// (where the client does as much work per handshake as the server) a fast server is not
// capped by its load generator; see apps/bench/README.md.
const loadgenRuntime = opt('loadgen', 'node');
const BUN = join(here, '../../../node_modules/.bin/bun');

const SERVERS = {
  strata: { cmd: process.execPath, args: ['--expose-gc', join(here, 'server-strata.js'), '0'] },
  ws: { cmd: process.execPath, args: ['--expose-gc', join(here, 'server-ws.js'), '0'] },
  bun: { cmd: 'npx', args: ['--no-install', 'bun', join(here, 'bun-echo.js'), '0'] },
  bare: { cmd: process.execPath, args: ['--expose-gc', join(here, 'server-bare.js'), '0'] },
  'bare-http': {
    cmd: process.execPath,
    args: ['--expose-gc', join(here, 'server-bare-http.js'), '0'],
  },
};
// --also name=path[,name=path]: more Node servers in the same run (e.g. the echo server of an
// earlier checkout, for before/after figures: --also base=/tmp/base/apps/bench/src/server-strata.js).
for (const entry of opt('also', '').split(',').filter(Boolean)) {
  const [name, path] = entry.split('=');
  SERVERS[name] = { cmd: process.execPath, args: ['--expose-gc', path, '0'] };
  allServerNames.push(name);
}
// The references that only answer the upgrade (no echo): the floor of a server on node:net
// and on node:http, in the scenarios that measure the upgrade and the idle socket.
const FLOORS = new Set(['bare', 'bare-http']);

const SCENARIOS = {
  echo64: {
    title: '64 B echo, 50 connections x 100 in flight (msgs/s)',
    load: ['--mode', 'echo', '--connections', '50', '--inflight', '100', '--size', '64'],
    metric: (r) => r.messagesPerSecond,
  },
  rtt: {
    title: '64 B round trips, 1 connection, 1 in flight (round trips/s)',
    load: ['--mode', 'echo', '--connections', '1', '--inflight', '1', '--size', '64'],
    metric: (r) => r.messagesPerSecond,
  },
  big: {
    title: '1 MiB echo, 4 connections x 2 in flight (MB/s)',
    load: ['--mode', 'echo', '--connections', '4', '--inflight', '2', '--size', String(1 << 20)],
    metric: (r) => r.megabytesPerSecond,
  },
  handshake: {
    title: `handshakes/s, 2000 connections, 50 at a time (after 500 warm-up handshakes; median of ${handshakeRounds} rounds per server start)`,
    load: ['--mode', 'handshake', '--connections', '2000', '--concurrency', '50'],
    warmup: ['--mode', 'handshake', '--connections', '500', '--concurrency', '50'],
    rounds: handshakeRounds,
    metric: (r) => r.handshakesPerSecond,
  },
  flood: {
    title:
      'RSS growth (MB) of the echo server while one client sends 1 KiB frames for 10 s and never reads (lower is better)',
    load: ['--mode', 'flood', '--size', '1024', '--seconds', '10'],
    metric: (r) => r.rssGrowthMb,
    lowerIsBetter: true,
  },
  idle: {
    title: `RSS per idle connection, slope from ${idleLow} to ${idleHigh} open after ${idleWarmup} warm-up connections (bytes, lower is better; heap per connection after GC in the runs)`,
    metric: (r) => r.bytesPerConnection,
    lowerIsBetter: true,
  },
};

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  return { cpuSeconds: ticks / 100, rss: rssKb * 1024 };
}

/** The pid of the actual server (npx wraps bun in a shell process tree). */
function serverPid(child, port) {
  // Find the process listening on `port` among the child's descendants via /proc/net/tcp.
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '0A')
        inodes.add(cols[9]);
    }
  }
  const candidates = [child.pid];
  const seen = new Set();
  while (candidates.length > 0) {
    const pid = candidates.shift();
    if (seen.has(pid)) continue;
    seen.add(pid);
    try {
      const fds = readdirSync(`/proc/${pid}/fd`);
      for (const fd of fds) {
        let link = '';
        try {
          link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {}
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1])) return pid;
      }
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (children) for (const c of children.split(' ')) candidates.push(Number(c));
    } catch {}
  }
  return child.pid;
}

function startServer(name, extraNodeFlags = []) {
  const { cmd, args: serverArgs } = SERVERS[name];
  const args = cmd === process.execPath ? [...extraNodeFlags, ...serverArgs] : serverArgs;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: here });
  return new Promise((resolve, reject) => {
    let out = '';
    let resolved = false;
    const server = { child, port: 0, pid: 0, memWaiters: [] };
    child.stdout.on('data', (chunk) => {
      out += chunk;
      // "mem {...}" lines answer SIGUSR2 (after a full GC): process.memoryUsage() of the server.
      let nl = out.indexOf('\n');
      while (nl >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        nl = out.indexOf('\n');
        const m = /^listening (\d+)/.exec(line);
        if (m && !resolved) {
          resolved = true;
          server.port = Number(m[1]);
          server.pid = serverPid(child, server.port);
          resolve(server);
        } else if (line.startsWith('mem ')) {
          const mem = JSON.parse(line.slice(4));
          for (const w of server.memWaiters.splice(0)) w(mem);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

function stopServer(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    server.child.on('exit', resolve);
    if (server.pid !== server.child.pid) {
      try {
        process.kill(server.pid, 'SIGTERM');
      } catch {}
    }
    server.child.kill('SIGTERM');
  });
}

function runLoad(port, loadArgs, onReady) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      loadgenRuntime === 'bun' ? BUN : process.execPath,
      [join(here, 'loadgen.js'), '--port', String(port), '--seconds', String(seconds), ...loadArgs],
      // (a scenario's own --seconds, given later, wins)
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', async (chunk) => {
      out += chunk;
      if (onReady && out.includes('"ready"')) {
        const ready = onReady;
        onReady = null;
        await ready();
        child.stdin.end();
      }
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`loadgen exited with ${code}`));
      const lines = out.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Full GC in the server (SIGUSR2), then its RSS from /proc and heapUsed from its report. */
async function settledMemory(server) {
  await sleep(1000);
  const reported = new Promise((resolve) => {
    server.memWaiters.push(resolve);
    setTimeout(() => resolve(null), 3000);
  });
  process.kill(server.pid, 'SIGUSR2');
  const mem = await reported;
  await sleep(500);
  return { rss: procStat(server.pid).rss, heapUsed: mem?.heapUsed ?? null };
}

const idleLoad = (n) => ['--mode', 'idle', '--connections', String(n), '--concurrency', '200'];

// Idle memory per connection, as a slope. Opening the first ~10,000 connections also grows
// V8's young generation (semi-space) to its cap, malloc arenas and the like: a one-time cost
// of several MB (~3 KB "per connection" at 10,000) that a plain (after - before) / N charges
// to every connection and that hides the per-connection difference. So: open and close
// --idle-warmup connections, open `idleLow` connections and read the memory (after a full GC),
// open `idleHigh - idleLow` more in a second load process and read it again; report
// (high - low) / (number opened in between), for RSS and for heapUsed.
async function measureIdle(server) {
  await runLoad(server.port, idleLoad(idleWarmup), () => sleep(500));
  let low;
  let high;
  let added = 0;
  const first = await runLoad(server.port, idleLoad(idleLow), async () => {
    low = await settledMemory(server);
    const second = await runLoad(server.port, idleLoad(idleHigh - idleLow), async () => {
      high = await settledMemory(server);
    });
    added = second.connections;
  });
  const perConnection = (a, b) => (a === null || b === null ? null : Math.round((b - a) / added));
  return {
    mode: 'idle',
    connections: first.connections + added,
    rssLow: low.rss,
    rssHigh: high.rss,
    bytesPerConnection: perConnection(low.rss, high.rss),
    heapPerConnection: perConnection(low.heapUsed, high.heapUsed),
  };
}

async function measure(name, scenario) {
  const server = await startServer(
    name,
    scenario === SCENARIOS.idle && idleSemiSpace > 0
      ? [`--min-semi-space-size=${idleSemiSpace}`, `--max-semi-space-size=${idleSemiSpace}`]
      : [],
  );
  try {
    await sleep(300);
    if (scenario === SCENARIOS.idle) return await measureIdle(server);
    if (scenario === SCENARIOS.flood) {
      const before = procStat(server.pid);
      let peak = before.rss;
      const sampler = setInterval(() => {
        try {
          peak = Math.max(peak, procStat(server.pid).rss);
        } catch {}
      }, 100);
      const result = await runLoad(server.port, scenario.load);
      clearInterval(sampler);
      result.rssGrowthMb = Math.round((peak - before.rss) / 1e5) / 10;
      return result;
    }
    if (scenario.warmup) await runLoad(server.port, scenario.warmup); // steady state, not JIT
    const before = procStat(server.pid);
    const rounds = [];
    for (let i = 0; i < (scenario.rounds ?? 1); i++) {
      rounds.push(await runLoad(server.port, scenario.load));
      if (scenario.rounds) await sleep(200); // the closes of the round, before the next
    }
    const after = procStat(server.pid);
    rounds.sort((a, b) => scenario.metric(a) - scenario.metric(b));
    const result = { ...rounds[Math.floor((rounds.length - 1) / 2)] };
    if (rounds.length > 1) result.rounds = rounds.map(scenario.metric);
    // CPU per operation over every round (closes included, between rounds).
    result.totalMessages = rounds.reduce((n, r) => n + (r.totalMessages || r.connections || 0), 0);
    result.serverCpuSeconds = Math.round((after.cpuSeconds - before.cpuSeconds) * 100) / 100;
    result.serverRssMb = Math.round(after.rss / 1e5) / 10;
    return result;
  } finally {
    await stopServer(server);
  }
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length === 0 ? null : v[Math.floor((v.length - 1) / 2)];
};

const report = [];
for (const key of only) {
  const scenario = SCENARIOS[key];
  if (!scenario) throw new Error(`unknown scenario ${key}`);
  const serverNames = allServerNames.filter(
    (n) => !FLOORS.has(n) || key === 'idle' || key === 'handshake',
  );
  const runs = Object.fromEntries(serverNames.map((n) => [n, []]));
  const errors = {};
  const runsFor = key === 'flood' ? 1 : repeat;
  for (let i = 0; i < runsFor; i++) {
    for (const name of serverNames) {
      try {
        runs[name].push(await measure(name, scenario));
      } catch (error) {
        errors[name] = String(error);
      }
    }
  }
  const values = {};
  for (const name of serverNames) {
    const results = runs[name];
    const value = median(results.map(scenario.metric));
    const cpuPerMessage = median(
      results.map((r) =>
        r.serverCpuSeconds !== undefined && (r.totalMessages || r.connections)
          ? Math.round((r.serverCpuSeconds / (r.totalMessages || r.connections)) * 1e8) / 100
          : null,
      ),
    );
    values[name] = {
      value,
      // The metric of each run, in run order: runs of every server alternate, so run i of
      // two servers were taken side by side (per-round ratios for run.js).
      perRun: results.map(scenario.metric),
      cpuMicrosPerMessage: cpuPerMessage,
      runs: results,
      error: errors[name],
    };
  }
  report.push({
    key,
    title: scenario.title,
    lowerIsBetter: scenario.lowerIsBetter === true,
    values,
  });
  const line = serverNames
    .map((n) => {
      const v = values[n];
      if (v.value === null) return `${n} failed (${v.error})`;
      const all = v.runs.map(scenario.metric).join('/');
      const heap =
        key === 'idle' ? ` heap [${v.runs.map((r) => r.heapPerConnection).join('/')}]` : '';
      return `${n} ${v.value} [${all}]${heap}${v.cpuMicrosPerMessage !== null ? ` (${v.cpuMicrosPerMessage} us CPU/op)` : ''}`;
    })
    .join(' | ');
  const ratio = (a, b) =>
    values[a]?.value && values[b]?.value ? (values[a].value / values[b].value).toFixed(2) : 'n/a';
  process.stdout.write(
    `${scenario.title}\n  ${line}\n  strata/ws = ${ratio('strata', 'ws')}  bun/ws = ${ratio('bun', 'ws')}  bare/ws = ${ratio('bare', 'ws')}  bare-http/ws = ${ratio('bare-http', 'ws')}\n`,
  );
}
if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(report)}\n`);
