// `npm run bench` (from the root): every benchmark scenario against Strata, `ws` (+ bufferutil)
// and Bun in one run, then apps/bench/RESULTS.md (machine, versions, the ratio table, how each
// figure was taken, every script's output) and apps/bench/results.svg (the chart the root
// README shows). Each scenario is one of this package's scripts, run as a child process with
// its own --json output; the scripts other helpers own are called the same way, never edited.
// Runs serialise on /tmp/bench.lock (flock) when flock exists, so one benchmark runs at a time.
//
// Usage: npm run bench [-- --quick] [--rounds 3] [--only server,broadcast,...] [--no-build]
//        [--out apps/bench/RESULTS.md] [--lock-once]
// Not run by CI: timings never belong in tests (the writers have a unit test on fixed input).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, medianRatio, renderRatioChart, renderResultsMarkdown } from './lib/results.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
if (argv.includes('--help')) {
  console.log(
    'npm run bench [-- --quick] [--rounds N] [--only server,broadcast,client,connections,receive,external] [--externals a.js,b.js] [--no-build] [--out FILE] [--lock-once]',
  );
  process.exit(0);
}
const quick = argv.includes('--quick');
// --quick shortens each measurement; --rounds still sets how many interleaved rounds (1 by default then).
const rounds = Number(opt('rounds', quick ? '1' : '3'));
const only = opt('only', 'server,broadcast,client,connections,receive,external').split(',');
const outFile = opt('out', join(here, '../RESULTS.md'));
const chartFile = join(dirname(outFile), 'results.svg');
const BUN = join(root, 'node_modules/.bin/bun');

const hasFlock = (() => {
  try {
    execFileSync('flock', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// With --lock-once the whole run holds /tmp/bench.lock (one wait for it instead of one per
// script on a machine where many benchmarks queue); the scripts then run unwrapped.
const lockedOnce = process.env.STRATA_BENCH_LOCKED === '1';

// --replay LOG: take each script's output from the log of an earlier run.js (its stderr,
// where every script's output is echoed after a "$ node <script> ..." line) instead of running
// it: to rewrite RESULTS.md from measurements already taken.
const replay = new Map();
if (opt('replay', '')) {
  let current = null;
  for (const line of readFileSync(opt('replay', ''), 'utf8').split('\n')) {
    const m = /^\$ node (?:\S*\/)?([\w.-]+\.js)\b/.exec(line);
    if (m) {
      current = m[1];
      replay.set(current, '');
    } else if (current !== null) {
      replay.set(current, `${replay.get(current)}${line}\n`);
    }
  }
}

/** Runs a script (under the bench lock); resolves with its stdout, stderr and exit code. */
function runScript(args, timeoutSeconds) {
  if (replay.size > 0) {
    const saved = replay.get(basename(args[0]));
    return Promise.resolve(
      saved === undefined
        ? { stdout: '', stderr: '', code: 1, timedOut: false }
        : { stdout: saved, stderr: '', code: 0, timedOut: false },
    );
  }
  const wrap = hasFlock && !lockedOnce;
  const command = wrap ? 'flock' : process.execPath;
  const full = wrap ? ['/tmp/bench.lock', process.execPath, ...args] : args;
  process.stderr.write(`\n$ node ${args.map((a) => relative(process.cwd(), a) || a).join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(command, full, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      process.stderr.write(d);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutSeconds * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? (signal ? 128 : 1), timedOut: signal === 'SIGTERM' });
    });
  });
}

/** The last stdout line that parses as JSON, or null. */
function lastJson(stdout) {
  const lines = stdout.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line.startsWith('{') && !line.startsWith('[')) continue;
    try {
      return JSON.parse(line);
    } catch {}
  }
  return null;
}

/** The script's text output without its JSON line (for the report's raw output). */
function textOf(result) {
  const lines = result.stdout.trimEnd().split('\n');
  return lines.filter((l) => !/^(\{"|\[\{)/.test(l.trim())).join('\n');
}

const goalCheck = (value, min) => (typeof value === 'number' ? value >= min : null);

// ---------------------------------------------------------------- sections

async function serverSection() {
  const seconds = quick ? 2 : 3;
  const args = [
    join(here, 'server-bench.js'),
    '--only',
    'echo64,rtt,big,handshake,idle',
    '--servers',
    'strata,ws,bun,bare',
    '--repeat',
    // 5 outside --quick: the 1 MiB echo swings 0.5-3x from one run to the next on this VM (fresh
    // large buffers cost page faults whose price varies); a median of 3 is not enough.
    String(Math.max(rounds, quick ? 1 : 5)),
    '--seconds',
    String(seconds),
    '--handshake-rounds',
    quick ? '2' : '5',
    '--json',
  ];
  args.push('--idle', quick ? '2000,5000' : '2000,8000', '--idle-warmup', '1000');
  const result = await runScript(args, quick ? 900 : 3600);
  const json = lastJson(result.stdout);
  const section = {
    name: 'Server: echo, round trips, 1 MiB, handshakes, idle memory',
    command: `node apps/bench/src/server-bench.js ${args.slice(1).join(' ')}`,
    how: `Each server (Strata, \`ws\` + bufferutil, Bun's \`Bun.serve\`, and \`bare\`: a \`node:net\` server that only answers the upgrade with a 101) runs as its own process, started fresh for each run; one raw-TCP load generator (loadgen.js, a separate Node process) drives them in turn, runs alternating (strata, ws, bun, bare, strata, ...). Ratios: median of per-run ratios. 64 B echo: 50 connections x 100 in flight; round trips: 1 connection, 1 in flight; 1 MiB: 4 connections x 2 in flight; handshakes: 2,000 upgrades 50 at a time after 500 warm-up, median of the rounds of each start; idle: RSS slope per connection between two connection counts after a full GC (young generation fixed at 16 MB).`,
    raw: textOf(result),
    rows: [],
  };
  if (!json) {
    section.error = `no JSON output (exit ${result.code}${result.timedOut ? ', timed out' : ''})`;
    return section;
  }
  const byKey = Object.fromEntries(json.map((s) => [s.key, s.values]));
  const row = (key, title, unit, goal, goalMin, extra = {}) => {
    const v = byKey[key];
    if (!v) return;
    const perRun = (name) => v[name]?.perRun ?? [];
    const ratio = medianRatio(perRun('strata'), perRun('ws'));
    const r = {
      id: `server-${key}`,
      title,
      unit,
      higherIsBetter: key !== 'idle',
      values: { strata: v.strata?.value, ws: v.ws?.value, bun: v.bun?.value },
      ratio,
      bunRatio: medianRatio(perRun('bun'), perRun('ws')),
      goal,
      goalMet: goalMin === undefined ? null : goalCheck(ratio, goalMin),
      ...extra,
    };
    const cpu = ['strata', 'ws', 'bun']
      .map((n) => (v[n]?.cpuMicrosPerMessage != null ? `${n} ${v[n].cpuMicrosPerMessage} µs` : ''))
      .filter(Boolean)
      .join(', ');
    if (cpu && key !== 'idle') r.extra = `server CPU/op: ${cpu}`;
    if (key === 'handshake' && v.bare) {
      const vsBare = medianRatio(perRun('strata'), perRun('bare'));
      r.extra = `Strata / bare node:net 101 server: ${vsBare?.toFixed(2)}x (goal ≥ 0.95x)${r.extra ? `; ${r.extra}` : ''}`;
      r.goal = '≥ 0.95x the bare node:net server';
      r.goalMet = goalCheck(vsBare, 0.95);
    }
    if (key === 'idle' && v.bare) {
      r.extra = `bare node:net: ${v.bare.value} B`;
    }
    section.rows.push(r);
  };
  row('echo64', '64 B echo, 50 connections x 100 in flight', 'msgs/s', '≥ 10x ws', 10);
  row('rtt', '64 B round trips, 1 connection', 'round trips/s', '≥ 1.0x ws', 1.0);
  row('big', '1 MiB echo, 4 connections x 2 in flight', 'MB/s', '≥ 1.1x ws', 1.1);
  row('handshake', 'handshakes/s, 2,000 connections', 'handshakes/s');
  row('idle', 'idle memory per connection (RSS slope)', 'bytes');
  return section;
}

async function broadcastSection() {
  const args = [
    join(here, 'broadcast.js'),
    '--servers',
    'ws,strata,bun,bare',
    '--runs',
    String(rounds),
    '--json',
  ];
  if (quick) args.push('--duration', '2000');
  const result = await runScript(args, quick ? 600 : 1800);
  const json = lastJson(result.stdout);
  const section = {
    name: 'Broadcast: 128 B to 1,000 clients',
    command: `node apps/bench/src/broadcast.js ${args.slice(1).join(' ')}`,
    how: 'One server process broadcasts 128 B text messages in bursts to 1,000 raw-TCP clients (one load process that walks every frame header); ws loops over its clients, Strata and Bun publish to a topic; a bare node:net server writing the pre-built frames of each burst in one write per socket is the JavaScript ceiling. Runs alternate the servers; the ratio is the median of per-run ratios of deliveries per CPU-second of the server process (less sensitive to the load of other processes than deliveries/s).',
    raw: textOf(result),
    rows: [],
  };
  if (!json) {
    section.error = `no JSON output (exit ${result.code})`;
    return section;
  }
  const s = Object.fromEntries(json.servers.map((x) => [x.name, x]));
  const eff = (n) => s[n]?.perServerCpuSecond ?? [];
  const rate = (n) => s[n]?.deliveriesPerSecond ?? [];
  const vsBun = medianRatio(eff('strata'), eff('bun'));
  section.rows.push({
    id: 'broadcast-cpu',
    title: 'broadcast 128 B to 1,000 clients, per server CPU-second',
    unit: 'deliveries / CPU-s',
    values: { strata: median(eff('strata')), ws: median(eff('ws')), bun: median(eff('bun')) },
    ratio: medianRatio(eff('strata'), eff('ws')),
    bunRatio: medianRatio(eff('bun'), eff('ws')),
    extra: `Strata / Bun: ${vsBun?.toFixed(2)}x; bare node:net ceiling (one write per socket per burst) / Bun: ${medianRatio(eff('bare'), eff('bun'))?.toFixed(2)}x, Strata / ceiling: ${medianRatio(eff('strata'), eff('bare'))?.toFixed(2)}x`,
    goal: '≥ 0.8x Bun',
    goalMet: goalCheck(vsBun, 0.8),
  });
  section.rows.push({
    id: 'broadcast-rate',
    title: 'broadcast 128 B to 1,000 clients, deliveries/s',
    unit: 'deliveries/s',
    values: { strata: median(rate('strata')), ws: median(rate('ws')), bun: median(rate('bun')) },
    ratio: medianRatio(rate('strata'), rate('ws')),
    bunRatio: medianRatio(rate('bun'), rate('ws')),
    goal: '≥ 2x ws',
    goalMet: goalCheck(medianRatio(rate('strata'), rate('ws')), 2),
  });
  return section;
}

async function clientSection() {
  // Quick message counts (enough for a steady rate), `rounds` interleaved rounds.
  // At least 5 rounds outside --quick: one client process per round and client, and single
  // runs of a client swing by ±20% on a 2-core machine.
  const clientRounds = quick ? rounds : Math.max(rounds, 5);
  const args = [
    join(here, 'client.js'),
    '--json',
    '--quick',
    '--rounds',
    String(clientRounds),
    '--bare',
  ];
  const result = await runScript(args, quick ? 600 : 1800);
  const json = lastJson(result.stdout);
  const section = {
    name: 'Client: Strata against ws and Node’s built-in WebSocket',
    command: `node apps/bench/src/client.js ${args.slice(1).join(' ')}`,
    how: "Each client runs in its own process against one neutral echo server (Bun.serve) and keeps a window of messages in flight; rounds alternate the clients. Strata is compared with the faster of `ws` and Node's built-in WebSocket (undici) in each round; the ratio is the median of those per-round ratios of echoes/s. Two floors run in the same rounds (client-bare.js, node:net, no checks or events, replies of one read in one writev, frame buffers reused): `bare` gives each message an ArrayBuffer of its own as the standard requires; `bare-view` hands out views of the reads, as `ws` does.",
    raw: textOf(result),
    rows: [],
  };
  if (!json) {
    section.error = `no JSON output (exit ${result.code})`;
    return section;
  }
  for (const c of json.cases) {
    const { strata, ws, undici, bare, 'bare-view': bareView } = c.rates;
    const faster = ws.map((w, i) => Math.max(w, undici[i] ?? 0));
    const label =
      c.size >= 1024
        ? `${c.size / 1024 >= 1024 ? `${c.size / 1048576} MiB` : `${c.size / 1024} KiB`}`
        : `${c.size} B`;
    const ratio = medianRatio(strata, faster);
    const goal = c.size >= 16384 ? '≥ 1.1x the faster' : undefined;
    section.rows.push({
      id: `client-${c.size}`,
      title: `client ${label} ${c.kind} echo`,
      unit: 'echoes/s',
      values: { strata: median(strata), ws: median(ws), undici: median(undici) },
      ratio: medianRatio(strata, ws),
      extra:
        `vs undici ${medianRatio(strata, undici)?.toFixed(2)}x; vs the faster ${ratio?.toFixed(2)}x` +
        (bare
          ? `; floor with an ArrayBuffer per message (bare) / the faster ${medianRatio(bare, faster)?.toFixed(2)}x, ` +
            `Strata / that floor ${medianRatio(strata, bare)?.toFixed(2)}x; ` +
            `floor handing out views as ws does (bare-view) / the faster ${medianRatio(bareView, faster)?.toFixed(2)}x`
          : ''),
      goal,
      goalMet: goal ? goalCheck(ratio, 1.1) : null,
    });
  }
  return section;
}

async function connectionsSection() {
  // Up to the descriptor limit even in --quick (the level the row is about); fewer steps.
  const args = [
    join(here, 'connections.js'),
    '--json',
    '--levels',
    quick ? '1000,5000,19500' : '1000,5000,10000,19500',
  ];
  const result = await runScript(args, quick ? 900 : 3600);
  const json = lastJson(result.stdout);
  const section = {
    name: 'Many connections: memory and latency from 1k up',
    command: `node apps/bench/src/connections.js ${args.slice(1).join(' ')}`,
    how: 'Each server alone, fresh; load processes open idle connections in steps (50 upgrades in flight). At each level: handshake rate and latency of the step, RSS and heap after a full GC, 200 echo round trips on open connections. One server process holds at most the file-descriptor hard limit (`ulimit -Hn`) of connections; levels above it are skipped (see the output).',
    raw: textOf(result),
    rows: [],
  };
  if (!json) {
    section.error = `no JSON output (exit ${result.code})`;
    return section;
  }
  const by = Object.fromEntries(json.results.filter((r) => !r.error).map((r) => [r.name, r]));
  const top = json.levels.at(-1);
  const at = (name, key) => by[name]?.levels.find((l) => l.connections === top)?.[key];
  const rssRow = (name) => at(name, 'rssAboveEmptyPerConnection');
  const ratio = (key, name) =>
    at('strata', key) && at(name, key) ? at('strata', key) / at(name, key) : null;
  section.rows.push({
    id: 'connections-rss',
    title: `RSS per connection at ${top} idle connections`,
    unit: 'bytes (above the empty server)',
    higherIsBetter: false,
    values: { strata: rssRow('strata'), ws: rssRow('ws'), bun: rssRow('bun') },
    ratio: ratio('rssAboveEmptyPerConnection', 'ws'),
    bunRatio: rssRow('bun') && rssRow('ws') ? rssRow('bun') / rssRow('ws') : null,
    extra: `fd hard limit ${json.fileDescriptorHardLimit}${json.skipped.length ? `; skipped ${json.skipped.join(', ')}` : ''}`,
  });
  section.rows.push({
    id: 'connections-handshake',
    title: `handshakes/s opening up to ${top} connections`,
    unit: 'handshakes/s',
    values: {
      strata: at('strata', 'handshakesPerSecond'),
      ws: at('ws', 'handshakesPerSecond'),
      bun: at('bun', 'handshakesPerSecond'),
    },
    ratio: ratio('handshakesPerSecond', 'ws'),
    bunRatio:
      at('bun', 'handshakesPerSecond') && at('ws', 'handshakesPerSecond')
        ? at('bun', 'handshakesPerSecond') / at('ws', 'handshakesPerSecond')
        : null,
    chart: false,
  });
  return section;
}

async function receiveSection() {
  const args = [join(here, 'server-receive.js'), '1048576', '65536', quick ? '5' : '15', '--json'];
  const result = await runScript(args, 600);
  const json = lastJson(result.stdout);
  const section = {
    name: 'Server receive path, 1 MiB (no network)',
    command: `node apps/bench/src/server-receive.js ${args.slice(1).join(' ')}`,
    how: "The protocol engine as the server configures it, fed 1 MiB masked frames in 64 KiB reads, in one process, alternating rounds; CPU µs per message with the codec's JavaScript/WebAssembly unmasking and with bufferutil (what the server uses when installed). Not a ws comparison: shown for where the 1 MiB echo's server CPU goes.",
    raw: textOf(result),
    rows: [],
  };
  if (!json) section.error = `no JSON output (exit ${result.code})`;
  return section;
}

/** Scripts other helpers own: called with --json (and --quick); their rows when they give some. */
// `quick: true`: always run with --quick (their full runs are long, and a short run of them
// is still interleaved); the deflate rows run in full outside --quick (they include Bun then).
const EXTERNAL = [
  { file: 'deflate-echo.js', args: [], owner: 'permessage-deflate' },
  { file: 'codec-parse-before-after.js', args: [], owner: 'codec', quick: true },
  { file: 'engine.js', args: [], owner: 'protocol engine', quick: true },
  {
    file: 'ws-api-bench.js',
    args: quick ? [] : ['--rounds', '7'],
    owner: '@strata-ws/ws',
    quick: true,
  },
  { file: 'handler-node.js', args: quick ? [] : ['--rounds', '7'], owner: 'handler', quick: true },
  { file: 'scale-bench.js', args: [], owner: 'scale-out', quick: true },
];

async function externalSections() {
  const sections = [];
  const chosen = opt('externals', '').split(',').filter(Boolean);
  for (const { file, args: extra, owner, quick: alwaysQuick } of EXTERNAL) {
    const path = join(here, file);
    if (!existsSync(path)) continue;
    if (chosen.length > 0 && !chosen.includes(file)) continue;
    const args = [path, ...extra, '--json'];
    if (quick || alwaysQuick) args.push('--quick');
    const result = await runScript(args, quick ? 300 : 2400);
    const json = lastJson(result.stdout);
    const section = {
      name: `${owner}: ${basename(file)}`,
      command: `node apps/bench/src/${file} ${args.slice(1).join(' ')}`,
      how: json?.how ?? 'See apps/bench/README.md for how this script measures.',
      raw: textOf(result),
      rows: [],
    };
    if (Array.isArray(json?.rows)) {
      for (const r of json.rows) {
        if (typeof r?.title !== 'string') continue;
        section.rows.push({
          id: r.id ?? r.title,
          title: r.title,
          unit: r.unit,
          higherIsBetter: r.higherIsBetter !== false,
          values: r.values ?? {},
          ratio: typeof r.ratio === 'number' ? r.ratio : null,
          bunRatio: typeof r.bunRatio === 'number' ? r.bunRatio : null,
          extra: r.how ? undefined : r.extra,
          goal: r.goal,
          goalMet: typeof r.goalMet === 'boolean' ? r.goalMet : null,
        });
      }
    } else if (result.code !== 0) {
      section.error = `exit ${result.code}${result.timedOut ? ' (timed out)' : ''}`;
    }
    sections.push(section);
  }
  return sections;
}

// ---------------------------------------------------------------- main

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8'))
      .version;
  } catch {
    return 'not installed';
  }
}

function bunVersion() {
  try {
    return execFileSync(BUN, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not available';
  }
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  if (!argv.includes('--no-build')) {
    process.stderr.write('building the packages the benchmarks import (turbo, cached)\n');
    execFileSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@strata-ws/bench^...', '--output-logs=errors-only'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
  }
  const loadBefore = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const started = new Date();
  const sections = [];
  if (only.includes('server')) sections.push(await serverSection());
  if (only.includes('broadcast')) sections.push(await broadcastSection());
  if (only.includes('client')) sections.push(await clientSection());
  if (only.includes('connections')) sections.push(await connectionsSection());
  if (only.includes('receive')) sections.push(await receiveSection());
  if (only.includes('external')) sections.push(...(await externalSections()));
  const minutes = ((Date.now() - started.getTime()) / 60000).toFixed(1);
  const cpu = cpus();
  const report = {
    title: 'Strata benchmark results',
    date: `${started.toISOString().replace('T', ' ').slice(0, 16)} UTC`,
    machine: [
      ['CPU', `${cpu[0]?.model ?? 'unknown'} (${cpu.length} logical cores)`],
      ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
      ['OS', `Linux ${release()}`],
      ['Node', process.version],
      ['Bun', bunVersion()],
      ['ws / bufferutil', `${versionOf('ws')} / ${versionOf('bufferutil')}`],
      ['commit', git(['rev-parse', '--short', 'HEAD'])],
      [
        'load average (1/5/15 min) before / after',
        `${loadBefore} / ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      ],
      ['mode', `${quick ? '--quick' : 'full'}, ${rounds} round(s) per scenario, ${minutes} min`],
    ],
    notes: [
      'Ratios are judged interleaved: the servers (or clients) of a scenario run one after the other in alternating rounds under the same load generator, and the ratio is the median of the per-round ratios. Absolute rates depend on the machine and on whatever else runs on it; ratios much less.',
      'A machine shared with other work (see the load average) blurs every figure; small differences (±10%) are noise there.',
      ...(replay.size > 0
        ? [
            `These figures were replayed from the log of an earlier run (\`--replay ${basename(opt('replay', ''))}\`): the date, commit and load average above are those of the rewrite, not of the measurements.`,
          ]
        : []),
    ],
    sections,
  };
  writeFileSync(outFile, renderResultsMarkdown(report, { chartFile: basename(chartFile) }));
  writeFileSync(chartFile, renderRatioChart(sections));
  process.stderr.write(
    `\nwrote ${relative(process.cwd(), outFile)} and ${relative(process.cwd(), chartFile)}\n`,
  );
}

if (argv.includes('--lock-once') && hasFlock && !lockedOnce) {
  process.stderr.write('waiting for /tmp/bench.lock (held for the whole run)\n');
  const child = spawn(
    'flock',
    ['/tmp/bench.lock', process.execPath, fileURLToPath(import.meta.url), ...argv],
    {
      stdio: 'inherit',
      env: { ...process.env, STRATA_BENCH_LOCKED: '1' },
    },
  );
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  await main();
}
