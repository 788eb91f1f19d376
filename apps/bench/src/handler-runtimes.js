// @strata-ws/handler on Bun and Deno against the runtime's own server doing the same job
// directly (Bun.serve: bun-echo.js / broadcast-server-bun.js; Deno.serve +
// upgradeWebSocket: handler-deno-server.js raw), interleaved: every round measures each
// server once, in a rotating order, and the figure is the median of the per-round ratios to
// the runtime's own server (the issue's goal: native adapters within 10% of it).
//
//   echo       64 B binary messages, 50 connections x 100 in flight (loadgen.js), all servers
//              of a runtime started once and measured in turn each round
//   broadcast  every client subscribed to one topic, 128 B text messages in rounds
//              (broadcast-rounds.js, broadcast-load.js); each server started fresh each round
//
// Run under the machine-wide benchmark lock:
//   flock /tmp/bench.lock node apps/bench/src/handler-runtimes.js [--runtimes bun,deno]
//     [--jobs echo,broadcast] [--rounds 5] [--seconds 3] [--clients 200] [--burst 10] [--json]
//     [--modes native,strata] [--before DIR] [--together]
// --together (echo) loads every server at the same time in each round, one load generator
// each, so a round's ratios compare the servers under the same machine load.
// --modes keeps only these adapter modes (the runtime's own server is always measured);
// --before DIR adds the adapters of another checkout (a `git worktree` of an earlier commit
// whose node_modules/@strata-ws/* point into it) as `<mode>@before`, in the same rounds.

// Servers run the TypeScript sources (`--conditions=strata-source`); no build needed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const runtimes = option('runtimes', 'bun,deno').split(',');
const jobs = option('jobs', 'echo,broadcast').split(',');
const rounds = Number(option('rounds', '5'));
const seconds = Number(option('seconds', '3'));
const clients = Number(option('clients', '200'));
const burst = Number(option('burst', '10'));
const modes = option('modes', 'native,strata').split(',');
const before = option('before', '');
const together = process.argv.includes('--together');

const BUN = join(root, 'node_modules/.bin/bun');
// The binary itself (the npm launcher script would hide the server's CPU time and signals).
const DENO =
  [
    join(root, 'node_modules/deno/deno'),
    join(root, 'node_modules/@deno/linux-x64-glibc/deno'),
    join(root, 'node_modules/@deno/linux-aarch64-glibc/deno'),
  ].find((file) => existsSync(file)) ?? join(root, 'node_modules/.bin/deno');
const DENO_RUN = ['run', '-A', '--conditions=strata-source', '--sloppy-imports'];

/** Per runtime and job: server name -> [command, args]; the first one is the reference. */
function servers(runtime, job) {
  const trees =
    before === ''
      ? [['', here]]
      : [
          ['', here],
          ['@before', join(before, 'apps/bench/src')],
        ];
  const table = {};
  if (runtime === 'bun') {
    table['Bun.serve'] = [
      BUN,
      [join(here, job === 'echo' ? 'bun-echo.js' : 'broadcast-server-bun.js')],
    ];
    for (const mode of modes) {
      for (const [suffix, dir] of trees) {
        table[mode + suffix] = [
          BUN,
          ['--conditions=strata-source', join(dir, 'handler-bun-server.js'), job, mode],
        ];
      }
    }
    return table;
  }
  const deno = (dir, mode) => [DENO, [...DENO_RUN, join(dir, 'handler-deno-server.js'), job, mode]];
  table['Deno.serve'] = deno(here, 'raw');
  for (const mode of modes) {
    for (const [suffix, dir] of trees) table[mode + suffix] = deno(dir, mode);
  }
  return table;
}

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

/** Resolves with the first JSON object (or `listening <port>`) a child prints. */
function firstLine(child) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const listening = /^listening (\d+)/i.exec(line);
      if (listening) resolve({ port: Number(listening[1]) });
      else if (line.startsWith('{')) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before it was ready`)));
  });
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function start(command, args, extra = []) {
  const child = spawn(command, [...args, ...extra], {
    cwd: here,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Runs a Node load process to its JSON result line. */
async function load(script, args) {
  const child = start(process.execPath, [join(here, script), ...args]);
  const lines = createInterface({ input: child.stdout });
  const out = [];
  lines.on('line', (line) => {
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

/** Echo: servers started once; each round measures each (rotating order). */
async function echo(runtime) {
  const table = servers(runtime, 'echo');
  const names = Object.keys(table);
  const running = {};
  for (const name of names) {
    const child = start(...table[name]);
    running[name] = { child, port: (await firstLine(child)).port };
  }
  const measure = async (name) => {
    const { child, port } = running[name];
    const cpu0 = cpuSeconds(child.pid);
    const [result] = await load('loadgen.js', [
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
    for (const name of names) await measure(name); // warm-up (JIT, pools)
    if (together) return await interleave(names, measure, true);
    return await interleave(names, measure);
  } finally {
    for (const { child } of Object.values(running)) await stop(child);
  }
}

/** Broadcast: each server started fresh for each of its measurements. */
async function broadcast(runtime) {
  const table = servers(runtime, 'broadcast');
  const measure = async (name) => {
    const child = start(...table[name], [String(clients), String(burst)]);
    try {
      const { port } = await firstLine(child);
      const cpu0 = cpuSeconds(child.pid);
      const [, result] = await load('broadcast-load.js', [
        String(port),
        String(clients),
        '1000',
        String(seconds * 1000),
      ]);
      const cpu = cpuSeconds(child.pid) - cpu0;
      return {
        rate: result.deliveriesPerSecond,
        perCpu: (result.deliveriesPerSecond * result.seconds) / cpu,
        errors: result.errors,
      };
    } finally {
      await stop(child);
    }
  };
  return interleave(Object.keys(table), measure);
}

/**
 * Rounds of one measurement per server, order rotating; ratios to the first server per round.
 * `together`: every server measured at the same time (one load generator each), so each round's
 * ratio compares servers under the same machine load (for a shared, loaded machine).
 */
async function interleave(names, measure, together = false) {
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    const got = {};
    if (together) {
      const results = await Promise.all(order.map((name) => measure(name)));
      order.forEach((name, i) => {
        got[name] = results[i];
      });
    } else for (const name of order) got[name] = await measure(name);
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

const report = [];
for (const runtime of runtimes) {
  for (const job of jobs) {
    process.stderr.write(`${runtime} ${job}:\n`);
    const rows = job === 'echo' ? await echo(runtime) : await broadcast(runtime);
    report.push({ runtime, job, rows });
    const unit = job === 'echo' ? 'msgs/s' : 'deliveries/s';
    console.log(
      `\n${runtime} ${job} (${job === 'echo' ? '64 B, 50 conns x 100 in flight' : `${clients} clients, rounds of ${burst} x 128 B`}; ${rounds} interleaved rounds of ${seconds} s; median of per-round ratios)`,
    );
    console.log(
      `server        ${unit.padStart(14)}   vs own   per server CPU-s vs own   per-round ratios`,
    );
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(15)} ${String(Math.round(r.rate)).padStart(14)}   ${r.ratio.toFixed(2).padStart(5)}x   ${r.cpuRatio.toFixed(2).padStart(22)}x   ${r.ratios.join(' ')}`,
      );
    }
  }
}
if (process.argv.includes('--json')) console.log(JSON.stringify(report));
