// `strata connect` on a terminal: run under a real pseudo-terminal (util-linux `script`), typed
// keys go in, the screen comes out. Line editing, history (up arrow), a message pushed by
// the server while a line is half typed (printed above the prompt, the typed text kept), /close.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from '@strata-ws/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin } from './helpers.ts';

let wss: WebSocketServer;
let url = '';
const closes: Array<[number, string]> = [];
let child: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'strata-cli-history-'));
const historyFile = join(dir, 'history');

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (String(data) === 'push later') {
        setTimeout(() => ws.send('pushed by the server'), 300);
      }
      ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => closes.push([code, reason]));
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await wss.shutdown({ timeout: 500 });
  rmSync(dir, { recursive: true, force: true });
});

const plain = (screen: string) => screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

describe('strata connect on a terminal (script -qfc, a real pty)', () => {
  it('sends typed lines, recalls history, prints pushed messages above the prompt, /close ends cleanly', async () => {
    // script -e: exit with the child's code; -q: no banner; -f: flush at once.
    const command = `${process.execPath} ${bin} connect ${url} --history ${historyFile}`;
    child = spawn('script', ['-qefc', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'xterm', COLUMNS: '120', LINES: '40' },
    });
    let screen = '';
    child.stdout!.on('data', (c) => (screen += c));
    const waitFor = async (text: string) => {
      const deadline = Date.now() + 10_000;
      while (!plain(screen).includes(text)) {
        if (Date.now() > deadline) throw new Error(`no "${text}" on screen:\n${plain(screen)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    /** Types keys one write at a time, with a pause (a person typing; escape sequences whole). */
    // (Enter goes in a write of its own: Node 20's readline mishandles "x\r" in one chunk
    // after the cursor moved left.)
    const type = async (keys: string) => {
      for (const part of keys.endsWith('\r') ? [keys.slice(0, -1), '\r'] : [keys]) {
        child!.stdin!.write(part);
        await new Promise((r) => setTimeout(r, 60));
      }
    };

    await waitFor('connected to');
    await waitFor('> ');
    // Line editing: type, move left, insert, then Enter.
    await type('helo');
    await type('\x1b[D'); // left arrow
    await type('l\r');
    await waitFor('< hello');
    // History: up arrow recalls "hello"; Enter sends it again.
    await type('\x1b[A\r');
    await new Promise((r) => setTimeout(r, 200));
    await waitFor('< hello');
    expect(plain(screen).match(/< hello/g)?.length).toBe(2);
    // A message arrives while a line is half typed: it goes above the prompt, the typed text stays.
    await type('push later\r');
    await waitFor('< push later');
    await type('half typ');
    await waitFor('< pushed by the server');
    const after = plain(screen).slice(plain(screen).lastIndexOf('< pushed by the server'));
    expect(after).toContain('> half typ');
    await type('\x15'); // Ctrl-U clears the half-typed line
    // /ping: a real WebSocket ping; the server's pong is shown with its round trip.
    await type('/ping are you there\r');
    await waitFor('pong "are you there" after');
    await type('/close 4001 bye now\r');
    await waitFor('closed: 4001');
    const [code] = child.exitCode !== null ? [child.exitCode] : await once(child, 'exit');
    expect(code).toBe(0);
    expect(closes.at(-1)).toEqual([4001, 'bye now']);
    // --history: the lines typed, oldest first, duplicates once (kept for the next session).
    expect(readFileSync(historyFile, 'utf8').split('\n')).toEqual([
      'hello',
      'push later',
      '/ping are you there',
      '/close 4001 bye now',
      '',
    ]);
  });
});
