// `strata bench` against `strata echo`, both real processes: JSON results add up, the text
// report has the percentiles and a histogram, the progress line appears while it runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../src/histogram.js';
import { killAll, run, startEcho } from './helpers.ts';

let url = '';
beforeAll(async () => {
  url = (await startEcho(['--deflate'])).url;
});
afterAll(() => killAll());

describe('strata bench', () => {
  it('--count with --json: exactly that many echoes, none lost, percentiles in order', async () => {
    const r = await run([
      'bench',
      url,
      '-c',
      '3',
      '-m',
      '4',
      '-n',
      '600',
      '--size',
      '100',
      '--binary',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      connections: 3,
      inFlight: 4,
      size: 100,
      type: 'binary',
      echoes: 600,
      lost: 0,
      mismatched: 0,
    });
    const l = result.latencyMs;
    expect(l.min).toBeGreaterThan(0);
    for (const [a, b] of [
      [l.min, l.p50],
      [l.p50, l.p90],
      [l.p90, l.p99],
      [l.p99, l.p999],
      [l.p999, l.max],
    ]) {
      expect(a).toBeLessThanOrEqual(b);
    }
    expect(result.messagesPerSecond).toBeGreaterThan(0);
  });

  it('--duration: a progress line on stderr while it runs, then throughput, percentiles and a histogram', async () => {
    const r = await run(['bench', url, '-c', '2', '-m', '2', '-d', '1.5', '--deflate']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[\s+1\.\d s\] [\d,]+ msg\/s, [\d,]+ echoed, p50 [\d.]+ ms/);
    expect(r.stdout).toMatch(/2 connection\(s\) x 2 in flight, 64 B text, deflate/);
    expect(r.stdout).toMatch(/[\d,]+ echoes in 1\.\d\d s: [\d,]+ msg\/s/);
    expect(r.stdout).toMatch(
      /latency \(ms\): min [\d.]+ p50 [\d.]+ p90 [\d.]+ p99 [\d.]+ p99\.9 [\d.]+ max [\d.]+/,
    );
    expect(r.stdout).toMatch(/ms \| #+ +\d+/);
  });

  it('one clear line and exit 3 when nothing listens; exit 2 for conflicting options', async () => {
    const refused = await run(['bench', 'ws://127.0.0.1:1/', '-d', '1']);
    expect(refused.code).toBe(3);
    expect(refused.stderr.trim()).toBe(
      'strata bench: cannot connect to ws://127.0.0.1:1/: connection refused (ECONNREFUSED)',
    );
    const both = await run(['bench', url, '-d', '1', '-n', '10']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('strata bench: give --duration or --count, not both');
  });
});

describe('strata bench against a server that drops connections', () => {
  it('reports the lost messages and exits 1', async () => {
    const { WebSocketServer } = await import('@strata-ws/server');
    const { once } = await import('node:events');
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    let seen = 0;
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => {
        if (++seen === 50) ws.terminate();
        else ws.send(data, { binary: isBinary });
      });
    });
    const { port } = wss.address() as { port: number };
    const r = await run([
      'bench',
      `ws://127.0.0.1:${port}/`,
      '-c',
      '1',
      '-m',
      '4',
      '-d',
      '3',
      '--json',
    ]);
    await wss.shutdown({ timeout: 200 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('a connection closed during the run');
    const result = JSON.parse(r.stdout);
    // Echoes queued by the server in the same tick as the terminate may never leave.
    expect(result.echoes).toBeGreaterThanOrEqual(45);
    expect(result.echoes).toBeLessThan(50);
    expect(result.lost).toBe(4);
    expect(r.stderr).toContain('4 message(s) lost, 0 echo(es) did not match');
  });
});

describe('LatencyHistogram', () => {
  it('percentiles within 1% of the exact ones, bounded memory', () => {
    const h = new LatencyHistogram();
    const values = Array.from(
      { length: 10_000 },
      (_, i) => 0.05 + (i % 1000) * 0.013 + Math.floor(i / 1000),
    );
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [50, 90, 99, 99.9]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThanOrEqual(0.0101);
    }
    expect(h.summary().max).toBe(Number(sorted.at(-1)!.toFixed(3)));
    expect(h.counts.length).toBeLessThan(2500);
  });
});
