// `strata bench URL`: a load generator for an echo server, on @strata-ws/client. N
// connections keep M messages in flight each; every echo's round trip goes into a log-scale
// histogram (1% buckets, bounded memory whatever the run length). A live progress line on
// stderr; at the end throughput and p50/p90/p99/p99.9/max, or one JSON object with --json.
import { randomBytes } from 'node:crypto';
import { WebSocket } from '@strata-ws/client';
import { intOption, parseOptions, UsageError } from './args.js';
import { clientOptions, diagnoseFailure } from './connect-support.js';
import { LatencyHistogram } from './histogram.js';

export const BENCH_HELP = `Usage: strata bench URL [options]

Opens --connections WebSockets to an echo server (e.g. \`strata echo\`), keeps --in-flight
messages outstanding on each, and measures every round trip. A progress line on stderr while
it runs; at the end the throughput and the latency percentiles (p50, p90, p99, p99.9, max)
with a histogram, or one JSON object with --json.

Options:
  -c, --connections N   connections (default 10)
  -m, --in-flight N     messages in flight per connection (default 10)
      --size BYTES      message size (default 64)
  -d, --duration S      seconds to run (default 5) ...
  -n, --count N         ... or stop after N echoes in total
      --binary          binary messages (default text)
      --deflate         offer permessage-deflate
      --json            print the result as JSON on stdout
  -H, --header "N: V"   extra request header (repeatable)
  -s, --protocol P      subprotocol to offer
      --ca FILE, --insecure, --http2, --handshake-timeout MS   as for strata connect
  -h, --help            show this help

Exit codes: 0 done; 2 usage error; 3 could not connect; 4 handshake refused; 1 connections
lost or echoes that did not match what was sent.
`;

const SPEC = /** @type {const} */ ({
  connections: 'number',
  'in-flight': 'number',
  size: 'number',
  duration: 'number',
  count: 'number',
  binary: 'boolean',
  deflate: 'boolean',
  json: 'boolean',
  header: 'string[]',
  protocol: 'string[]',
  origin: 'string',
  ca: 'string',
  cert: 'string',
  key: 'string',
  insecure: 'boolean',
  http2: 'boolean',
  'handshake-timeout': 'number',
});

const fmt = (n) => Math.round(n).toLocaleString('en-US');

/**
 * Runs the benchmark; resolves with the exit code.
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
export async function bench(argv) {
  const options = parseOptions(argv, SPEC, {
    aliases: {
      c: 'connections',
      m: 'in-flight',
      d: 'duration',
      n: 'count',
      H: 'header',
      s: 'protocol',
    },
    positionals: 1,
  });
  const url = options._[0];
  if (url === undefined) throw new UsageError('which URL? e.g. strata bench ws://127.0.0.1:8080/');
  const connections = intOption(options, 'connections', 10, 1, 10_000);
  const inFlight = intOption(options, 'in-flight', 10, 1, 100_000);
  const size = intOption(options, 'size', 64, 0, 64 * 1024 * 1024);
  if (options.duration !== undefined && options.count !== undefined) {
    throw new UsageError('give --duration or --count, not both');
  }
  const count = options.count === undefined ? Infinity : intOption(options, 'count', 0, 1, 1e12);
  const duration = options.duration ?? (options.count === undefined ? 5 : Infinity);
  if (!(duration > 0)) throw new UsageError('--duration must be a positive number of seconds');
  const binary = options.binary === true;
  const json = options.json === true;
  const { protocols, wsOptions } = clientOptions(options);

  const payload = binary ? randomBytes(size) : 'x'.repeat(size);
  const histogram = new LatencyHistogram();
  const stats = { sent: 0, received: 0, mismatched: 0, lost: 0 };
  let running = true;
  const started = Date.now();

  // Open every connection first; the clock starts when all are open.
  const sockets = [];
  for (let i = 0; i < connections; i++) {
    let ws;
    try {
      ws = new WebSocket(url, protocols, wsOptions);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    ws.binaryType = 'arraybuffer';
    sockets.push(ws);
  }
  let errorEvent = null;
  const opened = await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          ws.addEventListener('error', (event) => {
            errorEvent ??= event;
          });
          ws.addEventListener('open', () => resolve(true), { once: true });
          ws.addEventListener('close', () => resolve(false), { once: true });
        }),
    ),
  );
  if (opened.includes(false)) {
    for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    const { code, message } = await diagnoseFailure(url, protocols, wsOptions, started, errorEvent);
    process.stderr.write(`strata bench: ${message}\n`);
    return code;
  }

  const t0 = performance.now();
  const deadline = t0 + duration * 1000;
  let finish = () => {};
  const finished = new Promise((resolve) => {
    finish = resolve;
  });
  const checkDone = () => {
    if (!running && stats.received + stats.lost >= stats.sent) finish();
  };
  const stop = () => {
    running = false;
    checkDone();
  };

  for (const ws of sockets) {
    /** Send times of the messages in flight on this connection (echoes come back in order). */
    const times = [];
    const sendOne = () => {
      times.push(performance.now());
      ws.send(payload);
      stats.sent++;
    };
    ws.addEventListener('message', (event) => {
      const now = performance.now();
      const at = times.shift();
      if (at === undefined) return;
      histogram.record(now - at);
      stats.received++;
      const data = event.data;
      const length = typeof data === 'string' ? data.length : data.byteLength;
      if (length !== size || (typeof data === 'string') === binary) stats.mismatched++;
      if (stats.received >= count || now >= deadline) running = false;
      if (running && stats.sent < count) sendOne();
      checkDone();
    });
    ws.addEventListener('close', () => {
      stats.lost += times.length;
      times.length = 0;
      if (running) {
        process.stderr.write(`\nstrata bench: a connection closed during the run\n`);
        stop();
      }
      checkDone();
    });
    for (let i = 0; i < inFlight && stats.sent < count; i++) sendOne();
  }

  // Progress: one line on stderr, rewritten in place on a terminal, once a second otherwise.
  const tty = process.stderr.isTTY === true;
  let lastReceived = 0;
  let lastAt = t0;
  const progress = setInterval(() => {
    const now = performance.now();
    const rate = ((stats.received - lastReceived) * 1000) / (now - lastAt);
    lastReceived = stats.received;
    lastAt = now;
    const line = `[${((now - t0) / 1000).toFixed(1).padStart(5)} s] ${fmt(rate)} msg/s, ${fmt(stats.received)} echoed, p50 ${histogram.percentile(50).toFixed(3)} ms, p99 ${histogram.percentile(99).toFixed(3)} ms`;
    if (!json || tty) process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  }, 1000);
  const timer = Number.isFinite(deadline) ? setTimeout(stop, deadline - t0) : undefined;
  // Messages in flight when the time is up get 5 s to come back.
  await Promise.race([
    finished,
    new Promise((resolve) => {
      const guard = setInterval(() => {
        if (!running) {
          clearInterval(guard);
          setTimeout(resolve, 5000).unref();
        }
      }, 50);
      guard.unref();
    }),
  ]);
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(progress);
  clearTimeout(timer);
  if (tty) process.stderr.write('\r\x1b[K');
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) resolve(undefined);
          else {
            ws.addEventListener('close', resolve, { once: true });
            if (ws.readyState === WebSocket.OPEN) ws.close(1000);
          }
        }),
    ),
  );

  const result = {
    url,
    connections,
    inFlight,
    size,
    type: binary ? 'binary' : 'text',
    deflate: options.deflate === true,
    seconds: Number(elapsed.toFixed(3)),
    echoes: stats.received,
    lost: stats.lost,
    mismatched: stats.mismatched,
    messagesPerSecond: Math.round(stats.received / elapsed),
    bytesPerSecond: Math.round((stats.received * size) / elapsed),
    latencyMs: histogram.summary(),
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const l = result.latencyMs;
    process.stdout.write(
      [
        `${url}: ${connections} connection(s) x ${inFlight} in flight, ${size} B ${result.type}${result.deflate ? ', deflate' : ''}`,
        `${fmt(result.echoes)} echoes in ${elapsed.toFixed(2)} s: ${fmt(result.messagesPerSecond)} msg/s, ${(result.bytesPerSecond / 1e6).toFixed(2)} MB/s each way`,
        `latency (ms): min ${l.min} p50 ${l.p50} p90 ${l.p90} p99 ${l.p99} p99.9 ${l.p999} max ${l.max}`,
        ...histogram.render(),
        '',
      ].join('\n'),
    );
  }
  if (stats.lost > 0 || stats.mismatched > 0) {
    process.stderr.write(
      `strata bench: ${stats.lost} message(s) lost, ${stats.mismatched} echo(es) did not match\n`,
    );
    return 1;
  }
  return 0;
}
