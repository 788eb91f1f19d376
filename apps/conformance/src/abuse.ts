/**
 * Memory-bounded abuse cases for Strata's server (issue #13): 9.10.1 300,000 one-byte
 * fragments of a message that never finishes must cost under 10 MB (server in this process, its
 * heap and buffers measured after a GC); 9.10.2 10,000 connections mid-frame, then reset, must
 * grow the server by 30 MB or less with all of them open and leave no growth after a GC (server
 * alone in a child process, measured by apps/bench/src/reset-memory.js, next to a bare node:net
 * server's floor measured in the same run).
 */
import net from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { measureResetMemory } from '@strata-ws/bench/src/reset-memory.js';
import type { Outcome } from './cases/types.js';
import { encodeFrame, Op } from './frames.js';
import type { ServerTarget } from './fuzz-client.js';
import { acceptOf, header, newKey, readHead } from './http.js';

const MB = 1024 * 1024;
/** Makes a plain `node` child run the workspace's TypeScript sources (as vitest does here). */
const TS_LOADER = import.meta.resolve('@strata-ws/test-support/ts-loader');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A full GC (the flag is set at run time, so no `--expose-gc` is needed). */
function collect(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap plus off-heap memory (buffers included): what a connection's state costs. */
function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function settled(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  return used();
}

/** 9.10.1: 300k one-byte fragments, never finished. */
async function fragmentFlood(target: ServerTarget, gc: () => void): Promise<Outcome> {
  const base = {
    id: '9.10.1',
    group: '9 limits and large messages',
    title: '300,000 one-byte fragments of an unfinished message cost under 10 MB',
  };
  const frames = [encodeFrame({ op: Op.binary, payload: 'x', fin: false }, true)];
  for (let i = 1; i < 300_000; i++)
    frames.push(encodeFrame({ op: Op.cont, payload: 'x', fin: false }, true));
  const bytes = Buffer.concat(frames);
  frames.length = 0;
  const before = await settled(gc);
  const socket = net.connect(target.port, target.host);
  socket.on('error', () => {});
  const key = newKey();
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const head = await readHead(socket);
  if (head?.status !== 101 || header(head, 'sec-websocket-accept') !== acceptOf(key)) {
    socket.destroy();
    return { ...base, result: 'FAIL', reason: 'handshake failed' };
  }
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  for (let i = 0; i < bytes.length && !closed; i += 64 * 1024) {
    if (!socket.write(bytes.subarray(i, i + 64 * 1024)))
      await new Promise((resolve) => socket.once('drain', resolve));
  }
  await sleep(300);
  const growth = (await settled(gc)) - before;
  socket.destroy();
  const ok = growth < 10 * MB;
  return {
    ...base,
    result: ok ? 'PASS' : 'FAIL',
    reason: `${(growth / MB).toFixed(1)} MB of server growth${closed ? ' (the server closed the connection)' : ' with the message still open'}`,
  };
}

/** A measurement of one server kind by apps/bench/src/reset-memory.js (growth in bytes). */
type ResetMemory = Awaited<ReturnType<typeof measureResetMemory>>;

const mb = (bytes: number) => `${bytes < 0 ? '' : '+'}${(bytes / MB).toFixed(1)} MB`;

/**
 * 9.10.2: `count` connections mid-frame at once (a frame of 1024 bytes announced, 100 sent),
 * then all reset. Measured by apps/bench/src/reset-memory.js with the server alone in a child
 * process (`--expose-gc`, Strata on its TypeScript sources), and in the same run the floor: a
 * bare node:net server that answers 101 and then reads and discards, with the same traffic.
 * The verdict is the criterion as written (peak RSS growth at most 30 MB, and no heap
 * or buffer growth left after the resets and a GC: under 250 B per connection); the floor is
 * shown next to it, with Strata minus the floor.
 */
async function resetFlood(count: number): Promise<Outcome> {
  const base = {
    id: '9.10.2',
    group: '9 limits and large messages',
    title: `${count.toLocaleString('en-US')} connections reset mid-frame: at most 30 MB of RSS growth and no heap growth left after GC`,
  };
  const options = { n: count, frame: 1024, sent: 100, execArgv: ['--import', TS_LOADER] };
  let bare: ResetMemory;
  let strata: ResetMemory;
  try {
    // The floor first, then Strata: the same traffic, one server at a time.
    bare = await measureResetMemory({ ...options, server: 'bare' });
    strata = await measureResetMemory({ ...options, server: 'strata' });
  } catch (error) {
    return { ...base, result: 'FAIL', reason: `not measured: ${(error as Error).message}` };
  }
  const kept = strata.after.heapUsed + strata.after.external;
  const ok =
    strata.peak.rss <= 30 * MB && kept < count * 250 && strata.open === count && strata.left === 0;
  const figures =
    `Strata peak RSS ${mb(strata.peak.rss)} (heapUsed ${mb(strata.peak.heapUsed)}, external ${mb(strata.peak.external)}) ` +
    `with ${strata.open} of ${count} connections mid-frame; node:net floor in the same run (101, then read and discard) ` +
    `${mb(bare.peak.rss)} (heapUsed ${mb(bare.peak.heapUsed)}); Strata minus the floor ${mb(strata.peak.rss - bare.peak.rss)}. ` +
    `After the resets + GC: heapUsed ${mb(strata.after.heapUsed)}, external ${mb(strata.after.external)}, ` +
    `RSS ${mb(strata.after.rss)} (${mb(strata.later.rss)} 8 s later; floor ${mb(bare.after.rss)} / ${mb(bare.later.rss)}), ${strata.left} connections left`;
  const belowFloor = bare.peak.rss > 30 * MB;
  return {
    ...base,
    result: ok ? 'PASS' : 'FAIL',
    reason: figures,
    note:
      `**9.10.2** (${count.toLocaleString('en-US')} connections reset mid-frame, 1024-byte frame announced, 100 bytes sent; servers alone in a child process with \`--expose-gc\`, measured by \`apps/bench/src/reset-memory.js\`): ` +
      `Strata's peak RSS growth ${mb(strata.peak.rss)}, a bare node:net server with the same traffic ${mb(bare.peak.rss)} in the same run, Strata minus that floor ${mb(strata.peak.rss - bare.peak.rss)}; ` +
      `after the resets and a GC Strata keeps heapUsed ${mb(strata.after.heapUsed)}, external ${mb(strata.after.external)}. ` +
      (belowFloor
        ? `The issue's 30 MB goal is below what ${count.toLocaleString('en-US')} bare Node sockets cost on this platform, so the case shows FAIL against the criterion as written; it is report-only (not in CI).`
        : 'The floor was under 30 MB in this run.'),
  };
}

/**
 * The abuse cases: 9.10.1 against `target` (an in-process Strata server), and unless `resets` is
 * false 9.10.2 (about a minute), which starts its own servers in child processes.
 */
export async function runAbuseCases(
  target: ServerTarget,
  options: { resets?: boolean; connections?: number } = {},
): Promise<Outcome[]> {
  const out = [await fragmentFlood(target, collect())];
  if (options.resets !== false) out.push(await resetFlood(options.connections ?? 10_000));
  return out;
}
