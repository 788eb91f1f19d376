/**
 * Memory-bounded abuse cases for Strata's server (in-process, so its heap can be measured):
 * 9.10.1 300,000 one-byte fragments of a message that never finishes must cost under 10 MB;
 * 9.10.2 10,000 connections mid-frame, then reset, must grow the server by 30 MB or less
 * with all of them open, and leave no growth after a GC (issue #13). The flood runs in a child process
 * (peers/reset-flood.js) so that only the server's memory is in the figures.
 */
import net from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Outcome } from './cases/types.js';
import { encodeFrame, Op } from './frames.js';
import type { ServerTarget } from './fuzz-client.js';
import { acceptOf, header, newKey, readHead } from './http.js';
import { peerFile, startChild } from './targets/process.js';

const MB = 1024 * 1024;
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

/** Opens `count` connections mid-frame in a child; resolves with a function that resets them all. */
async function flood(
  target: ServerTarget,
  count: number,
): Promise<{ ready: number; reset(): Promise<void> }> {
  const child = startChild(
    process.execPath,
    [peerFile('reset-flood.js'), String(target.port), String(count), '200'],
    240_000,
  );
  const report = await child.firstJson.catch(() => ({ ready: 0 }));
  return {
    ready: Number(report.ready ?? 0),
    reset: async () => {
      child.process.stdin?.write('reset\n');
      await child.exited;
      await sleep(500);
    },
  };
}

/** 9.10.2: 10,000 connections mid-frame at once, then all reset (as apps/bench/src/reset-memory.js). */
async function resetFlood(target: ServerTarget, gc: () => void, count: number): Promise<Outcome> {
  const base = {
    id: '9.10.2',
    group: '9 limits and large messages',
    title: `${count} connections reset mid-frame: at most 30 MB of RSS growth and no heap growth left after GC`,
  };
  // Warm-up round (JIT, pools, allocator arenas), then the measured round.
  await (await flood(target, Math.min(1000, count))).reset();
  const before = await settled(gc);
  const rssBefore = process.memoryUsage().rss;
  const round = await flood(target, count);
  const peak = used() - before;
  await round.reset();
  const kept = (await settled(gc)) - before;
  // V8 gives pages back to the OS lazily (when idle): measure RSS after 8 s, as the bench does.
  await sleep(8000);
  const rss = process.memoryUsage().rss - rssBefore;
  const ok = rss <= 30 * MB && kept < 5 * MB && round.ready === count;
  return {
    ...base,
    result: ok ? 'PASS' : 'FAIL',
    reason: `after the resets and a GC: heap+external +${(kept / MB).toFixed(1)} MB, RSS +${(rss / MB).toFixed(1)} MB 8 s later (all ${round.ready} open: +${(peak / MB).toFixed(0)} MB)`,
  };
}

/** The abuse cases against an in-process server (9.10.2, the slow one, only with `resets`). */
export async function runAbuseCases(
  target: ServerTarget,
  options: { resets?: boolean; connections?: number } = {},
): Promise<Outcome[]> {
  const gc = collect();
  const out = [await fragmentFlood(target, gc)];
  if (options.resets !== false)
    out.push(await resetFlood(target, gc, options.connections ?? 10_000));
  return out;
}
