// Many connections on one machine: how a server's memory and latency grow from 1,000 to as
// many idle connections as the process may hold, for Strata, `ws` (+ bufferutil) and Bun.
// Each server runs alone (fresh process, its young generation at a fixed 16 MB so the
// readings are the connections, not V8 resizing); the load side (this file with --load, in
// separate processes of at most --per-process connections each, their source addresses
// spread over 127.0.0.2, 127.0.0.3, ... so no address runs out of ephemeral ports) opens
// connections in steps. At each level: the handshake rate and p50/p99 handshake latency of
// the step (50 upgrades in flight), then a full GC in the server and its RSS and heap per
// connection (total / N), then 200 echo round trips of 16 B on the open connections (p50/p99).
//
// The file-descriptor limit bounds the levels: `ulimit -n` is raised to the hard limit for
// the children; a server needs one descriptor per connection, so a hard limit of 20,000
// (this sandbox: `ulimit -Hn`, not raisable without CAP_SYS_RESOURCE) caps one server process
// near 19,900 connections. The script prints the limit it found and skips levels above it.
//
// Usage (after `npx turbo run build`):
//   node apps/bench/src/connections.js [--levels 1000,5000,10000,19500] [--servers strata,ws,bun]
//        [--repeat 1] [--quick] [--json]
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};

// ---------------------------------------------------------------- load side (--load)

/** Opens connections as asked on stdin ("open N"), answers with one JSON line per step. */
async function loadMain() {
  const port = Number(opt('port', '0'));
  const sourceBase = Number(opt('source', '2')); // 127.0.0.<source>...
  const perAddress = 20_000;
  const sockets = [];
  const request = (key) =>
    Buffer.from(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      'latin1',
    );
  const openOne = () =>
    new Promise((resolve, reject) => {
      const index = sockets.length + pendingCount;
      const t0 = process.hrtime.bigint();
      const options = { port, host: '127.0.0.1' };
      // Source 0: the kernel's choice (127.0.0.1); else 127.0.0.<source>, the next one every 20,000.
      if (sourceBase > 0)
        options.localAddress = `127.0.0.${sourceBase + Math.floor(index / perAddress)}`;
      const socket = connect(options, () => {
        socket.write(request(randomBytes(16).toString('base64')));
      });
      socket.setNoDelay(true);
      let head = '';
      const onData = (chunk) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.split('\r\n')[0]));
        resolve({ socket, micros: Number(process.hrtime.bigint() - t0) / 1000 });
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  let pendingCount = 0;
  async function open(n) {
    const latencies = [];
    const start = process.hrtime.bigint();
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        pendingCount++;
        try {
          const { socket, micros } = await openOne();
          socket.on('error', () => {});
          sockets.push(socket);
          latencies.push(micros);
        } finally {
          pendingCount--;
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return {
      opened: n,
      open: sockets.length,
      handshakesPerSecond: n / seconds,
      ...percentiles(latencies),
    };
  }
  // Round trips of a masked 16 B binary frame on `count` connections spread over the open ones.
  async function echo(count) {
    const frame = Buffer.from([0x82, 0x90, 1, 2, 3, 4, ...Buffer.alloc(16, 7)]);
    const latencies = [];
    const step = Math.max(1, Math.floor(sockets.length / count));
    for (let i = 0; i < count && i * step < sockets.length; i++) {
      const socket = sockets[i * step];
      const t0 = process.hrtime.bigint();
      await new Promise((resolve) => {
        let got = 0;
        const onData = (chunk) => {
          got += chunk.length;
          if (got >= 18) {
            socket.off('data', onData);
            resolve();
          }
        };
        socket.on('data', onData);
        socket.write(frame);
      });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    return percentiles(latencies);
  }
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [command, n] = line.split(' ');
    try {
      const result = command === 'open' ? await open(Number(n)) : await echo(Number(n));
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
    }
  }
  for (const s of sockets) s.destroy();
  process.exit(0);
}

function percentiles(values) {
  const v = [...values].sort((a, b) => a - b);
  const at = (q) =>
    v.length ? Math.round(v[Math.min(v.length - 1, Math.floor(q * v.length))]) : null;
  return { p50Micros: at(0.5), p99Micros: at(0.99) };
}

// ---------------------------------------------------------------- driver

const BUN = join(here, '../../../node_modules/.bin/bun');
const SERVERS = {
  strata: [
    process.execPath,
    '--expose-gc',
    '--min-semi-space-size=16',
    '--max-semi-space-size=16',
    join(here, 'server-strata.js'),
    '0',
  ],
  ws: [
    process.execPath,
    '--expose-gc',
    '--min-semi-space-size=16',
    '--max-semi-space-size=16',
    join(here, 'server-ws.js'),
    '0',
  ],
  bun: [BUN, join(here, 'bun-echo.js'), '0'],
};

function hardLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
  } catch {
    return 1024;
  }
}

/** Spawns with `ulimit -n` raised to the hard limit. */
function spawnLimited(cmd, args, options) {
  const quoted = [cmd, ...args].map((a) => `'${String(a).replace(/'/g, "'\\''")}'`).join(' ');
  return spawn('sh', ['-c', `ulimit -n "$(ulimit -Hn)"; exec ${quoted}`], options);
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) * 1024;
}

function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(name) {
  const [cmd, ...args] = SERVERS[name];
  const child = spawnLimited(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: here });
  const lines = createInterface({ input: child.stdout });
  const waiters = [];
  let port = 0;
  await new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      const m = /^listening (\d+)/.exec(line);
      if (m) {
        port = Number(m[1]);
        resolve();
      } else if (line.startsWith('mem ')) {
        for (const w of waiters.splice(0)) w(JSON.parse(line.slice(4)));
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return {
    child,
    port,
    pid: child.pid, // `exec` keeps the pid
    async memory() {
      const reported = new Promise((resolve) => {
        waiters.push(resolve);
        setTimeout(() => resolve(null), 5000);
      });
      process.kill(child.pid, 'SIGUSR2');
      const mem = await reported;
      await sleep(300);
      return { rss: rssOf(child.pid), heapUsed: mem?.heapUsed ?? null };
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
    },
  };
}

function startLoad(port, source) {
  const child = spawnLimited(
    process.execPath,
    [fileURLToPath(import.meta.url), '--load', '--port', String(port), '--source', String(source)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  lines.on('line', (line) => queue.shift()?.(JSON.parse(line)));
  return {
    ask(command) {
      return new Promise((resolve) => {
        queue.push(resolve);
        child.stdin.write(`${command}\n`);
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.stdin.end();
      });
    },
  };
}

async function measureServer(name, levels, perProcess) {
  // Binding a source address costs the client a port search per connect (measured: 4x fewer
  // handshakes/s); needed only past one address's ~28,000 ephemeral ports.
  const spreadSources = levels.at(-1) > 25_000;
  const server = await startServer(name);
  const loads = [];
  const out = [];
  try {
    await sleep(300);
    const base = await server.memory();
    let open = 0;
    for (const level of levels) {
      const cpu0 = cpuOf(server.pid);
      let step = { handshakesPerSecond: 0, p50Micros: null, p99Micros: null };
      const steps = [];
      const t0 = Date.now();
      while (open < level) {
        let load = loads[loads.length - 1];
        if (!load || load.count >= perProcess) {
          // Each load process gets its own block of source addresses (when spread).
          load = {
            client: startLoad(server.port, spreadSources ? 2 + loads.length * 3 : 0),
            count: 0,
          };
          loads.push(load);
        }
        const n = Math.min(level - open, perProcess - load.count);
        const result = await load.client.ask(`open ${n}`);
        if (result.error) throw new Error(result.error);
        load.count += n;
        open += n;
        steps.push(result);
      }
      const seconds = (Date.now() - t0) / 1000;
      const opened = steps.reduce((n, s) => n + s.opened, 0);
      step = {
        handshakesPerSecond: opened / seconds,
        p50Micros: steps.at(-1)?.p50Micros ?? null,
        p99Micros: Math.max(...steps.map((s) => s.p99Micros ?? 0)),
      };
      const serverCpu = cpuOf(server.pid) - cpu0;
      await sleep(500);
      const mem = await server.memory();
      const rtt = await loads[0].client.ask('echo 200');
      out.push({
        connections: open,
        handshakesPerSecond: Math.round(step.handshakesPerSecond),
        serverCpuMicrosPerHandshake: opened ? Math.round((serverCpu / opened) * 1e6) : null,
        handshakeP50Micros: step.p50Micros,
        handshakeP99Micros: step.p99Micros,
        rss: mem.rss,
        rssPerConnection: Math.round(mem.rss / open),
        rssAboveEmptyPerConnection: Math.round((mem.rss - base.rss) / open),
        heapPerConnection:
          mem.heapUsed === null || base.heapUsed === null
            ? null
            : Math.round((mem.heapUsed - base.heapUsed) / open),
        echoP50Micros: rtt.p50Micros,
        echoP99Micros: rtt.p99Micros,
      });
      process.stderr.write(`${name} ${open}: ${JSON.stringify(out.at(-1))}\n`);
    }
    return { name, baseRss: base.rss, levels: out };
  } finally {
    for (const load of loads) await load.client.stop();
    await server.stop();
  }
}

async function main() {
  const limit = hardLimit();
  const quick = argv.includes('--quick');
  const wanted = opt('levels', quick ? '1000,5000' : '1000,5000,10000,19500')
    .split(',')
    .map(Number);
  // The server holds one descriptor per connection plus ~100 of its own.
  const levels = wanted.filter((n) => n <= limit - 200);
  const skipped = wanted.filter((n) => n > limit - 200);
  const perProcess = Math.min(Number(opt('per-process', '15000')), limit - 200);
  const servers = opt('servers', 'strata,ws,bun').split(',');
  const repeat = Number(opt('repeat', '1'));
  const results = [];
  for (let r = 0; r < repeat; r++) {
    for (const name of servers) {
      try {
        results.push({ round: r, ...(await measureServer(name, levels, perProcess)) });
      } catch (error) {
        results.push({ round: r, name, error: String(error) });
      }
    }
  }
  const report = { fileDescriptorHardLimit: limit, levels, skipped, results };
  console.log(
    `connections: descriptor hard limit ${limit}; levels ${levels.join(', ')}${skipped.length ? `; skipped (over the limit) ${skipped.join(', ')}` : ''}`,
  );
  console.log(
    'server  round  connections  hs/s   CPU µs/hs  hs p50/p99 µs   RSS MB  RSS/conn  heap/conn  echo p50/p99 µs',
  );
  for (const r of results) {
    if (r.error) {
      console.log(`${r.name} failed: ${r.error}`);
      continue;
    }
    for (const l of r.levels) {
      console.log(
        `${r.name.padEnd(7)} ${String(r.round).padStart(5)}  ${String(l.connections).padStart(11)}  ${String(l.handshakesPerSecond).padStart(5)}  ${String(l.serverCpuMicrosPerHandshake).padStart(9)}  ${`${l.handshakeP50Micros}/${l.handshakeP99Micros}`.padStart(13)}  ${(l.rss / 1e6).toFixed(1).padStart(7)}  ${String(l.rssPerConnection).padStart(8)}  ${String(l.heapPerConnection).padStart(9)}  ${`${l.echoP50Micros}/${l.echoP99Micros}`.padStart(15)}`,
      );
    }
  }
  if (argv.includes('--json')) console.log(JSON.stringify(report));
}

if (argv.includes('--load')) loadMain();
else main();
