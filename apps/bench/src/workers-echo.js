// @strata-ws/handler's Workers adapter (a Durable Object on the hibernation API,
// `defineDurableObject`) against a Durable Object written directly on the runtime's API doing
// the same 64 B echo, both in ONE workerd process (miniflare 4 from npm), interleaved: every
// round measures each object once (order alternating), the figure is the median of the
// per-round ratios to the raw object. CPU per message is workerd's own (from /proc), so the
// ratio is the adapter's cost per message.
//
//   flock /tmp/bench.lock node apps/bench/src/workers-echo.js [--rounds 7] [--seconds 3]
//     [--connections 50] [--inflight 100] [--size 64] [--text] [--together] [--json]
//
// --together loads both objects at the same time in each round (one load generator each): they
// share workerd's one isolate thread, so the throughput ratio is the ratio of their costs per
// message under identical conditions (the CPU column is then the process's, the same for both).
//
// The worker (workers-echo-worker.js) is bundled from the TypeScript sources
// (`strata-source` condition); no build needed.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

const here = dirname(fileURLToPath(import.meta.url));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const rounds = Number(option('rounds', '7'));
const seconds = Number(option('seconds', '3'));
const connections = option('connections', '50');
const inflight = option('inflight', '100');
const size = option('size', '64');
const text = process.argv.includes('--text');
const together = process.argv.includes('--together');

/** workerd's processes under this one (miniflare spawns it), for their CPU time. */
function workerdPids() {
  const pids = [];
  const walk = (parent) => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[1]) !== parent) continue;
        if (stat.includes('(workerd)')) pids.push(Number(entry));
        walk(Number(entry));
      } catch {
        // gone
      }
    }
  };
  walk(process.pid);
  return pids;
}

function cpuSeconds(pids) {
  let total = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return total;
}

async function loadgen(port, path) {
  const child = spawn(
    process.execPath,
    [
      join(here, 'loadgen.js'),
      ...['--port', String(port), '--path', path, '--mode', 'echo', '--size', size],
      ...['--connections', connections, '--inflight', inflight],
      ...['--seconds', String(seconds), '--warmup', '0.5'],
      ...(text ? ['--text'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  let result;
  lines.on('line', (line) => {
    if (line.startsWith('{')) result = JSON.parse(line);
  });
  await new Promise((resolve) => child.once('exit', resolve));
  if (result === undefined) throw new Error(`loadgen on ${path} printed no result`);
  return result;
}

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const bundle = await build({
  entryPoints: [join(here, 'workers-echo-worker.js')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['strata-source', 'workerd', 'worker', 'browser'],
  mainFields: ['module', 'main'],
  write: false,
  logLevel: 'silent',
});
const mf = new Miniflare({
  modules: true,
  script: bundle.outputFiles[0].text,
  compatibilityDate: '2026-07-01',
  durableObjects: { HANDLER: 'HandlerRoom', RAW: 'RawRoom', RAWVIEW: 'RawViewRoom' },
  host: '127.0.0.1',
  port: 0,
});
try {
  const port = Number((await mf.ready).port);
  const pids = workerdPids();
  // --objects raw,rawview,handler adds the raw object that sends a Uint8Array view.
  const names = option('objects', 'raw,handler').split(',');
  const measure = async (name) => {
    const cpu0 = cpuSeconds(pids);
    const result = await loadgen(port, `/${name}`);
    const cpu = cpuSeconds(pids) - cpu0;
    if (result.errors) throw new Error(`${name}: ${result.errors} errors`);
    return { rate: result.messagesPerSecond, perCpu: result.totalMessages / cpu };
  };
  for (const name of names) await measure(name); // warm-up
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length]);
    const got = {};
    if (together) {
      const cpu0 = cpuSeconds(pids);
      const results = await Promise.all(order.map((name) => loadgen(port, `/${name}`)));
      const cpu = cpuSeconds(pids) - cpu0;
      order.forEach((name, i) => {
        got[name] = { rate: results[i].messagesPerSecond, perCpu: results[i].totalMessages / cpu };
      });
    } else for (const name of order) got[name] = await measure(name);
    for (const name of names) {
      samples[name].push({
        ...got[name],
        ratio: got[name].rate / got.raw.rate,
        cpuRatio: got[name].perCpu / got.raw.perCpu,
      });
    }
    process.stderr.write(
      `  round ${round + 1}/${rounds}: ${names.map((n) => `${n} ${Math.round(got[n].rate)}`).join(', ')} msgs/s\n`,
    );
  }
  const rows = names.map((name) => ({
    name,
    rate: median(samples[name].map((s) => s.rate)),
    ratio: median(samples[name].map((s) => s.ratio)),
    cpuRatio: median(samples[name].map((s) => s.cpuRatio)),
    ratios: samples[name].map((s) => Number(s.ratio.toFixed(3))),
  }));
  console.log(
    `\nworkerd echo (${size} B ${text ? 'text' : 'binary'}, ${connections} conns x ${inflight} in flight, one Durable Object each; ${rounds} ${together ? 'rounds loading both at once' : 'interleaved rounds'} of ${seconds} s; median of per-round ratios)`,
  );
  console.log('object            msgs/s   vs raw   per workerd CPU-s vs raw   per-round ratios');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(10)} ${String(Math.round(r.rate)).padStart(12)}   ${r.ratio.toFixed(2).padStart(5)}x   ${r.cpuRatio.toFixed(2).padStart(22)}x   ${r.ratios.join(' ')}`,
    );
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
} finally {
  await mf.dispose();
}
