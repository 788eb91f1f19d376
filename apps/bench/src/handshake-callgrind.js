// Handshake cost in instructions, repeatable on a loaded machine: each server script runs in
// a child under `valgrind --tool=callgrind` with instrumentation off; this process (not
// measured) performs --warmup handshakes with a raw node:net client, switches the counting
// on (`callgrind_control -i on`), performs --n handshakes (upgrade request, read the 101,
// half-close, wait for the server to close its side), switches it off and stops the server.
// The server's counted instructions divided by --n is the cost of one handshake, request to
// closed connection: "main" counts the main thread (JavaScript, ICs, the GC's main-thread
// part), "all" adds V8's and libuv's helper threads (concurrent compilation, which varies
// from run to run, parallel GC). Servers are run interleaved, --runs times each.
//
// Usage (after `npx turbo run build` in each tree):
//   node apps/bench/src/handshake-callgrind.js \
//     --servers after=apps/bench/src/server-strata.js,before=/tmp/server-before/apps/bench/src/server-strata.js \
//     [--n 1000] [--warmup 500] [--concurrency 10] [--runs 3] [--out /tmp/handshake-cg] [--node-flags "..."] [--gc]
// --gc first has the server run a full GC (SIGUSR2, which every server of server-bench.js
// answers): not the default, as V8 then recompiles much of the hot code inside the window
// (measured: 312K instead of 225K main-thread instructions per handshake).
// Prints one JSON line per run and a summary (median instructions per handshake, ratios to
// the first server). Keep the output files to annotate: callgrind_annotate FILE.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';

const argv = process.argv.slice(2);
function opt(name, fallback) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
}
if (argv.includes('--help') || opt('servers') === undefined) {
  process.stdout.write(
    'node apps/bench/src/handshake-callgrind.js --servers name=server.js[,name=server.js...]\n' +
      '  [--n 1000] [--warmup 500] [--concurrency 10] [--runs 3] [--out DIR] [--node-flags "..."] [--gc]\n',
  );
  process.exit(argv.includes('--help') ? 0 : 2);
}
const servers = opt('servers')
  .split(',')
  .map((entry) => {
    const [name, path] = entry.split('=');
    return { name, path: resolve(path) };
  });
const n = Number(opt('n', '1000'));
const warmup = Number(opt('warmup', '500'));
const concurrency = Number(opt('concurrency', '10'));
const runs = Number(opt('runs', '3'));
const out = resolve(opt('out', '/tmp/handshake-cg'));
const nodeFlags = opt('node-flags', '').split(' ').filter(Boolean);
const fullGc = argv.includes('--gc');
mkdirSync(out, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One handshake: request, 101, half-close, resolve once the server closed its side. */
function handshake(port) {
  return new Promise((resolveOne, reject) => {
    const socket = connect(port, '127.0.0.1');
    let head = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk) => {
      if (upgraded) return;
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      if (head.toString('latin1', 0, 12) !== 'HTTP/1.1 101') {
        reject(new Error(`refused: ${head.toString('latin1', 0, end).split('\r\n')[0]}`));
        socket.destroy();
        return;
      }
      socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => (upgraded ? resolveOne() : reject(new Error('closed before 101'))));
    socket.write(
      'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

async function handshakes(port, count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await handshake(port);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function control(pid, ...args) {
  const r = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`callgrind_control ${args.join(' ')}: ${r.stderr}`);
}

async function measure(server, run) {
  const file = join(out, `${server.name}-${run}.out`);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${file}`,
      process.execPath,
      ...(fullGc ? ['--expose-gc'] : []),
      ...nodeFlags,
      server.path,
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((r) => child.on('exit', r));
  let stdout = '';
  const waitFor = (re) =>
    new Promise((resolveLine, reject) => {
      const check = () => {
        const m = re.exec(stdout);
        if (m === null) return false;
        child.stdout.off('data', onData);
        resolveLine(m);
        return true;
      };
      const onData = (d) => {
        stdout += d;
        check();
      };
      if (!check()) child.stdout.on('data', onData);
      child.on('exit', () => reject(new Error(`server exited: ${stderr.slice(-2000)}`)));
    });
  const port = Number((await waitFor(/listening (\d+)/))[1]);
  await handshakes(port, warmup);
  await sleep(500);
  if (fullGc) {
    child.kill('SIGUSR2');
    await waitFor(/mem \{/);
    await sleep(200);
  }
  control(child.pid, '-i', 'on');
  const start = process.hrtime.bigint();
  await handshakes(port, n);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // The server's 'close' handling runs after the client saw its FIN: let it finish.
  await sleep(1000);
  control(child.pid, '-i', 'off');
  child.kill('SIGTERM');
  await exited;
  // One file per thread: FILE-01 is the main thread.
  const base = file.slice(out.length + 1);
  let all = 0;
  let main = 0;
  for (const name of readdirSync(out).filter((f) => f.startsWith(`${base}-`))) {
    const text = readFileSync(join(out, name), 'utf8');
    const m = /^totals: (\d+)/m.exec(text) ?? /^summary: (\d+)/m.exec(text);
    if (!m) throw new Error(`no totals in ${name}`);
    all += Number(m[1]);
    if (name === `${base}-01`) main = Number(m[1]);
  }
  return { server: server.name, run, main: main / n, all: all / n, seconds, file: `${file}-01` };
}

const results = Object.fromEntries(servers.map((s) => [s.name, { main: [], all: [] }]));
for (let run = 0; run < runs; run++) {
  for (const server of servers) {
    const r = await measure(server, run);
    results[server.name].main.push(r.main);
    results[server.name].all.push(r.all);
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
process.stdout.write(
  `instructions per handshake (median of ${runs}; n=${n}, warmup=${warmup}, concurrency=${concurrency})\n`,
);
for (const kind of ['main', 'all']) {
  const first = median(results[servers[0].name][kind]);
  for (const s of servers) {
    const xs = results[s.name][kind];
    const m = median(xs);
    process.stdout.write(
      `  ${kind.padEnd(5)} ${s.name.padEnd(12)} ${Math.round(m).toLocaleString('en').padStart(10)}  ` +
        `${(m / first).toFixed(3)}x ${servers[0].name}  runs: ${xs.map((x) => Math.round(x)).join(' ')}\n`,
    );
  }
}
