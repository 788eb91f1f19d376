// Client throughput: Strata's WebSocket beside ws's client and Node's built-in WebSocket
// (undici; --experimental-websocket on Node 20), IN THE SAME RUN, against one neutral echo
// server (Bun.serve, uWebSockets). Each client runs in its own process and keeps a window of
// messages in flight; reported: echoes per second (wall) and client CPU µs per echo, and
// Strata's ratios to the faster of the two others.
//
// Usage: node src/client.js [--quick] [--rounds N] [--only 64,16k,1m] [--impls strata,ws,undici]
//   [--bare] [--also name=/path/to/client/dist/index.js,...] [--scale F] [--json]
// (build first: npx turbo run build). --bare adds client-bare.js (a node:net client doing the
// minimum for the same traffic: the floor; `bare` copies each message into an ArrayBuffer of its
// own as the standard requires, `bare-view` hands over views of the reads as ws does); --also adds other Strata client builds (a copy of
// an earlier dist: before/after in one run); --scale multiplies the message counts.
// Every round runs each client once (the order rotating by round); ratios are medians of
// per-round ratios.
import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const quick = process.argv.includes('--quick');
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : quick ? 1 : 3;
const opt = (name) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const scale = Number(opt('scale') ?? 1);

const ALL_CASES = [
  { id: '64', size: 64, kind: 'text', count: quick ? 50_000 : 200_000, window: 64 },
  { id: '16k', size: 16 * 1024, kind: 'binary', count: quick ? 10_000 : 40_000, window: 16 },
  { id: '1m', size: 1024 * 1024, kind: 'binary', count: quick ? 200 : 600, window: 4 },
];
const only = opt('only')?.split(',');
const CASES = ALL_CASES.filter((c) => !only || only.includes(c.id)).map((c) => ({
  ...c,
  count: Math.max(c.window, Math.round(c.count * scale)),
}));
// Other Strata builds: name -> module path.
const also = Object.fromEntries(
  (opt('also') ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split('=')),
);
const IMPLS = [
  ...(opt('impls')?.split(',') ?? ['strata', 'ws', 'undici']),
  ...Object.keys(also),
  ...(process.argv.includes('--bare') ? ['bare', 'bare-view'] : []),
];

function startBun() {
  const bunBin = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe');
  const child = spawn(bunBin, [join(here, 'bun-echo.js'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve({ child, port: Number(m[1]) });
      else reject(new Error(`unexpected bun output ${d}`));
    });
    child.once('exit', (code) => reject(new Error(`bun exited with ${code}`)));
  });
}

function runClient(impl, url, c) {
  const args = [join(here, 'client-run.js'), impl, url, c.size, c.kind, c.count, c.window];
  if (also[impl]) args.push(also[impl]);
  // Node 20 needs the flag; from Node 22 on the global WebSocket is there by default.
  if (impl === 'undici' && Number(process.versions.node.split('.')[0]) < 22) {
    args.unshift('--experimental-websocket', '--no-warnings');
  }
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${impl}: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

const { child, port } = await startBun();
const url = `ws://127.0.0.1:${port}/`;
const jsonCases = [];
try {
  console.log(
    `client throughput vs Bun echo server, node ${process.version}, ${ROUNDS} round(s), median`,
  );
  console.log('case                | impl   |   echoes/s | CPU µs/echo');
  for (const c of CASES) {
    const results = Object.fromEntries(IMPLS.map((i) => [i, []]));
    for (let r = 0; r < ROUNDS; r++) {
      // Interleaved, one at a time: the same machine state for every client. The order
      // rotates by round, so no client always runs first (after the previous case or round).
      for (let k = 0; k < IMPLS.length; k++) {
        const impl = IMPLS[(k + r) % IMPLS.length];
        results[impl].push(await runClient(impl, url, c));
      }
    }
    const label = `${c.kind} ${c.size >= 1024 ? `${c.size / 1024} KiB` : `${c.size} B`}`.padEnd(19);
    const summary = {};
    for (const impl of IMPLS) {
      const rate = median(results[impl].map((x) => (x.count / x.wallMs) * 1000));
      const cpu = median(results[impl].map((x) => (x.cpuMs * 1000) / x.count));
      summary[impl] = { rate, cpu };
      console.log(
        `${label} | ${impl.padEnd(6)} | ${rate.toFixed(0).padStart(10)} | ${cpu.toFixed(2).padStart(11)}`,
      );
    }
    jsonCases.push({
      size: c.size,
      kind: c.kind,
      // Echoes/s and CPU µs per echo of every round, in round order (rounds alternate clients).
      rates: Object.fromEntries(
        IMPLS.map((i) => [i, results[i].map((x) => (x.count / x.wallMs) * 1000)]),
      ),
      cpu: Object.fromEntries(
        IMPLS.map((i) => [i, results[i].map((x) => (x.cpuMs * 1000) / x.count)]),
      ),
    });
    // Medians of per-round ratios (each round runs every client once, back to back).
    const rateOf = (i) => results[i].map((x) => (x.count / x.wallMs) * 1000);
    const cpuOf = (i) => results[i].map((x) => (x.cpuMs * 1000) / x.count);
    const perRound = (a, b) => median(a.map((x, r) => x / b[r]));
    const refs = ['ws', 'undici'].filter((i) => IMPLS.includes(i));
    const fasterRate = rateOf(refs[0] ?? 'strata').map((_, r) =>
      Math.max(...refs.map((i) => rateOf(i)[r])),
    );
    const leanerCpu = cpuOf(refs[0] ?? 'strata').map((_, r) =>
      Math.min(...refs.map((i) => cpuOf(i)[r])),
    );
    const vs = IMPLS.filter((i) => i !== 'strata')
      .map(
        (i) =>
          `vs ${i} ${perRound(rateOf('strata'), rateOf(i)).toFixed(2)}x` +
          ` (CPU ${perRound(cpuOf(i), cpuOf('strata')).toFixed(2)}x)`,
      )
      .join(', ');
    console.log(
      `${label} | ratio  | strata/faster: ${perRound(rateOf('strata'), fasterRate).toFixed(2)}x echoes/s, ` +
        `${perRound(leanerCpu, cpuOf('strata')).toFixed(2)}x CPU efficiency; ${vs}` +
        ' (medians of per-round ratios)',
    );
  }
  if (process.argv.includes('--json'))
    console.log(JSON.stringify({ rounds: ROUNDS, cases: jsonCases }));
} finally {
  child.kill('SIGTERM');
}
