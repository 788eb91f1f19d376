/**
 * The server is a separate process, killed (SIGKILL: no close frame, no goodbye) in the middle
 * of a stream of ticks and restarted on the same port: the client notices, queues what the
 * application sends meanwhile, reconnects, delivers the queue once and in order, and is told to
 * resynchronise (the new process has no record of its session) instead of silently missing ticks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type ReconnectCloseEvent, ReconnectingWebSocket, type SessionEvent } from '../src/node.js';
import { nextEvent, until } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function startChild(port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', fixture('register-ts.mjs'), fixture('server-child.mjs'), String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`child did not start: ${err}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const match = /port (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]) });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

describe('a server process killed and restarted mid-stream', () => {
  it('reconnects, flushes the queue once and in order, and signals resync', async () => {
    const first = await startChild(0);
    const ws = new ReconnectingWebSocket(`ws://127.0.0.1:${first.port}/`, undefined, {
      resume: true,
      minReconnectionDelay: 50,
      maxReconnectionDelay: 200,
    });
    const echoes: number[] = [];
    const ticks: string[] = [];
    ws.onmessage = (e) => {
      const data = String((e as MessageEvent).data);
      if (data.startsWith('tick ')) ticks.push(data);
      else echoes.push(Number(data));
    };
    const resyncs: SessionEvent[] = [];
    ws.addEventListener('resync', (e) => resyncs.push(e as SessionEvent));
    const closes: number[] = [];
    ws.addEventListener('close', (e) => closes.push((e as ReconnectCloseEvent).code));
    try {
      await nextEvent(ws, 'open', 10_000);
      for (let i = 1; i <= 100; i++) ws.send(String(i));
      await until(() => echoes.length === 100 && ticks.length > 10, 5000, 'first echoes');
      const ticksBefore = ticks.length;
      first.child.kill('SIGKILL'); // mid-stream: ticks are flowing
      await nextEvent(ws, 'reconnecting', 5000);
      expect(closes[0]).toBe(1006);
      for (let i = 101; i <= 200; i++) ws.send(String(i)); // queued while down
      expect(ws.queuedMessages).toBe(100);
      await startChild(first.port);
      await nextEvent(ws, 'open', 15_000);
      await until(() => echoes.length === 200 && resyncs.length === 1, 5000, 'all echoes');
      expect(echoes).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      expect(resyncs[0]!.reason).toBe('expired');
      await until(() => ticks.length > ticksBefore + 5, 5000, 'ticks from the new process');
      expect(ticks[ticksBefore]).toMatch(/^tick \d+$/);
    } finally {
      ws.close();
    }
  }, 40_000);
});
