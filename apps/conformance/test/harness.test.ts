/**
 * CI: the fuzzing server's own guarantees, with a scripted agent (a real `ws` client whose
 * agent loop misbehaves on purpose): a client that never comes back is failed by the per-case
 * watchdog (and its late report kept as evidence), a client whose process dies fails the case
 * it was in and is started again, and a handshake the client refuses without firing `close`
 * is a FAIL — so a row always completes and a stall or crash is reported, not hidden. And
 * the fuzzing client never puts a control frame inside a frame it writes in several pieces.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@strata-ws/server';
import { describe, expect, it } from 'vitest';
import { WebSocket as WsWebSocket } from 'ws';
import { runServerCase } from '../src/fuzz-client.js';
import { allCases, runClientDirection } from '../src/suite.js';

/** One connection with `ws`; resolves with the agent's event list. */
function connectOnce(url: string, fireClose = true): Promise<string[]> {
  return new Promise((resolve) => {
    const events: string[] = [];
    const ws = new WsWebSocket(url);
    ws.on('open', () => events.push('open'));
    ws.on('error', () => events.push('error'));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('close', (code) => {
      if (fireClose) events.push(`close:${code}:${code === 1006 ? 'unclean' : 'clean'}`);
      resolve(events);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fuzzing server: per-case watchdog and crash recovery', () => {
  it('a stalled case is a timeout FAIL, a crash fails its case and the agent is started again', async () => {
    let connections = 0;
    let launches = 0;
    const launch = async (base: string) => {
      launches++;
      let prev = '';
      for (;;) {
        const n = ++connections;
        const url = `${base}next?prev=${encodeURIComponent(prev)}`;
        // Connection 3 (HC.3): the agent "crashes" (its process dies) once the case ends.
        // Connection 4 (HC.4): the client swallows its close event (as Node 20's built-in
        // client does after a refused handshake).
        const events = await connectOnce(url, n !== 4);
        if (events.some((e) => e.startsWith('close:4999'))) return;
        if (n === 3) throw new Error('agent exited with 1: TypeError: boom\n    at somewhere');
        // Connection 2 (HC.2): the client stalls past the watchdog before coming back.
        if (n === 2) await sleep(1500);
        prev = events.join(',');
        if (n > 10) return;
      }
    };
    const ids = ['HC.1', 'HC.2', 'HC.3', 'HC.4', 'HC.5'];
    const outcomes = await runClientDirection(
      launch,
      { only: (c) => ids.includes(c.id) },
      { caseLimit: () => 700, budgetMs: 30_000 },
    );
    const byId = Object.fromEntries(outcomes.map((o) => [o.id, o]));
    expect(outcomes.map((o) => o.id)).toEqual(ids);
    expect(byId['HC.1']!.result).toBe('PASS');
    expect(byId['HC.2']!.result).toBe('FAIL');
    expect(byId['HC.2']!.reason).toMatch(
      /^timeout: the client neither finished this case nor came back within 0\.7 s; the client reported later: error close:1006:unclean$/,
    );
    expect(byId['HC.3']!.result).toBe('FAIL');
    expect(byId['HC.3']!.reason).toBe(
      "the client's process died in this case: agent exited with 1: TypeError: boom",
    );
    expect(byId['HC.4']!.result).toBe('FAIL');
    expect(byId['HC.4']!.reason).toBe('refused the handshake but never fired close (error)');
    expect(byId['HC.5']!.result).toBe('PASS');
    expect(launches).toBe(2);
  }, 30_000);
});

describe('fuzzing client: pongs wait for the end of a cut write', () => {
  it('pings while a 4 MiB message is written in pieces: no pong inside a frame', async () => {
    // A server heartbeat pings a connection that was silent for a sweep; it once landed while
    // the fuzzer wrote 9.3.x and its pong went into the middle of a frame (false 1007s).
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    let pongs = 0;
    wss.on('connection', (ws) => {
      // Pings every 2 ms until the message is in: some arrive while the fuzzer is mid-frame.
      const timer = setInterval(() => ws.ping(), 2);
      ws.on('pong', () => pongs++);
      ws.on('close', () => clearInterval(timer));
      ws.on('message', (data, isBinary) => {
        clearInterval(timer);
        ws.send(data, { binary: isBinary });
      });
    });
    try {
      const target = {
        name: 'strata',
        host: '127.0.0.1',
        port: (wss.address() as AddressInfo).port,
      };
      for (const id of ['9.3.1', '9.1.4']) {
        const c = allCases().find((x) => x.id === id)!;
        const outcome = await runServerCase(target, c);
        expect(outcome.result, `${id}: ${outcome.reason}`).toBe('PASS');
      }
      expect(pongs).toBeGreaterThan(0);
    } finally {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  }, 60_000);
});
