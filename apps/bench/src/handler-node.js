// @strata-ws/handler on Node against @strata-ws/server doing the same job directly: what the
// hooks layer costs. Interleaved: every round measures each server once, in a rotating order,
// and the figure is the median of the per-round ratios (handler / server).
//
//   echo       64 B binary messages, 50 connections x 100 in flight (loadgen.js); both servers
//              started once and measured in turn each round
//   broadcast  every client subscribed to one topic, 128 B text messages in rounds
//              (broadcast-rounds.js, broadcast-load.js); each server started fresh each round
//
// Build first (`npx turbo run build --filter=@strata-ws/handler`), then, under the machine-wide
// benchmark lock:
//   flock /tmp/bench.lock node apps/bench/src/handler-node.js [--jobs echo,broadcast]
//     [--rounds 5] [--seconds 3] [--clients 200] [--burst 10] [--quick] [--json]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const quick = process.argv.includes('--quick');
const jobs = option('jobs', 'echo,broadcast').split(',');
const rounds = Number(option('rounds', quick ? '3' : '5'));
const seconds = Number(option('seconds', quick ? '2' : '3'));
const clients = Number(option('clients', '200'));
const burst = Number(option('burst', '10'));

/** Per job: server name -> script and arguments; the first one is the reference. */
const SERVERS = {
  echo: { server: ['server-strata.js'], handler: ['handler-node-server.js', 'echo'] },
  broadcast: {
    server: ['broadcast-server-strata.js'],
    handler: ['handler-node-server.js', 'broadcast'],
  },
};

/** CPU seconds (user + system) a process used so far, from /proc. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function start(args) {
  const child = spawn(
    process.execPath,
    args.map((a, i) => (i === 0 ? join(here, a) : a)),
    {
      cwd: here,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** The port a server prints (`listening <port>` or `{"port": P}`). */
function portOf(child) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const listening = /^listening (\d+)/i.exec(line);
      if (listening) resolve(Number(listening[1]));
      else if (line.startsWith('{')) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Runs a Node load process to its exit; returns its JSON lines. */
async function load(args) {
  const child = start(args);
  const out = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{')) out.push(JSON.parse(line));
  });
  await new Promise((resolve) => child.once('exit', resolve));
  return out;
}

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function echo() {
  const running = {};
  for (const [name, args] of Object.entries(SERVERS.echo)) {
    const child = start(args);
    running[name] = { child, port: await portOf(child) };
  }
  const measure = async (name) => {
    const { child, port } = running[name];
    const cpu0 = cpuSeconds(child.pid);
    const [result] = await load([
      'loadgen.js',
      '--port',
      String(port),
      '--mode',
      'echo',
      '--size',
      '64',
      '--seconds',
      String(seconds),
      '--warmup',
      '0.5',
    ]);
    const cpu = cpuSeconds(child.pid) - cpu0;
    return { rate: result.messagesPerSecond, perCpu: result.totalMessages / cpu };
  };
  try {
    for (const name of Object.keys(running)) await measure(name); // warm-up (JIT, pools)
    return await interleave(Object.keys(running), measure);
  } finally {
    for (const { child } of Object.values(running)) await stop(child);
  }
}

async function broadcast() {
  const measure = async (name) => {
    const child = start([...SERVERS.broadcast[name], String(clients), String(burst)]);
    try {
      const port = await portOf(child);
      const cpu0 = cpuSeconds(child.pid);
      const [, result] = await load([
        'broadcast-load.js',
        String(port),
        String(clients),
        '1000',
        String(seconds * 1000),
      ]);
      const cpu = cpuSeconds(child.pid) - cpu0;
      return {
        rate: result.deliveriesPerSecond,
        perCpu: (result.deliveriesPerSecond * result.seconds) / cpu,
      };
    } finally {
      await stop(child);
    }
  };
  return interleave(Object.keys(SERVERS.broadcast), measure);
}

/** Rounds of one measurement per server, order rotating; ratios to the first server per round. */
async function interleave(names, measure) {
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    const got = {};
    for (const name of order) got[name] = await measure(name);
    for (const name of names) {
      samples[name].push({
        ...got[name],
        ratio: got[name].rate / got[names[0]].rate,
        cpuRatio: got[name].perCpu / got[names[0]].perCpu,
      });
    }
    process.stderr.write(
      `  round ${round + 1}/${rounds}: ${names.map((n) => `${n} ${Math.round(got[n].rate)}`).join(', ')}\n`,
    );
  }
  return names.map((name) => ({
    name,
    rate: median(samples[name].map((s) => s.rate)),
    ratio: median(samples[name].map((s) => s.ratio)),
    cpuRatio: median(samples[name].map((s) => s.cpuRatio)),
    ratios: samples[name].map((s) => Number(s.ratio.toFixed(3))),
  }));
}

const rows = [];
for (const job of jobs) {
  process.stderr.write(`node ${job}:\n`);
  const result = job === 'echo' ? await echo() : await broadcast();
  const unit = job === 'echo' ? 'msgs/s' : 'deliveries/s';
  console.log(
    `\nnode ${job} (${job === 'echo' ? '64 B, 50 conns x 100 in flight' : `${clients} clients, rounds of ${burst} x 128 B`}; ${rounds} interleaved rounds of ${seconds} s; median of per-round ratios)`,
  );
  console.log(
    `server     ${unit.padStart(14)}   vs server   per server CPU-s vs server   per-round ratios`,
  );
  for (const r of result) {
    console.log(
      `${r.name.padEnd(9)} ${String(Math.round(r.rate)).padStart(14)}   ${r.ratio.toFixed(3).padStart(7)}x   ${r.cpuRatio.toFixed(3).padStart(24)}x   ${r.ratios.join(' ')}`,
    );
  }
  const handler = result.find((r) => r.name === 'handler');
  const server = result.find((r) => r.name === 'server');
  rows.push({
    id: `handler-node-${job}`,
    title:
      job === 'echo'
        ? '@strata-ws/handler/node vs @strata-ws/server, 64 B pipelined echo'
        : `@strata-ws/handler/node vs @strata-ws/server, broadcast to ${clients} clients`,
    unit,
    higherIsBetter: true,
    values: { handler: Math.round(handler.rate), server: Math.round(server.rate) },
    ratio: Number(handler.ratio.toFixed(3)),
    goal: '>= 0.90x the server directly',
    goalMet: handler.ratio >= 0.9,
    how: `${rounds} interleaved rounds of ${seconds} s, median of per-round ratios`,
  });
}
if (process.argv.includes('--json')) console.log(JSON.stringify({ rows }));
