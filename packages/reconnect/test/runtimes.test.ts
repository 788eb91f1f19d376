/**
 * The portable client in Bun and Deno (their own global WebSocket, the `.` entry compiled to
 * JS): a resumable session across a TCP cut against the Strata server delivers every topic
 * message exactly once, in order.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePortable, startServer, TcpProxy, until } from './helpers.js';

const bin = (name: string) =>
  fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'strata-reconnect-runtimes-'));
for (const [file, js] of compilePortable()) writeFileSync(join(dir, file), js);
copyFileSync(new URL('./fixtures/runtime-client.mjs', import.meta.url), join(dir, 'client.mjs'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const runtimes: [string, string[]][] = [
  ['bun', ['run', join(dir, 'client.mjs')]],
  ['deno', ['run', '--allow-net', '--allow-read', join(dir, 'client.mjs')]],
];

describe.each(runtimes)('in %s', (runtime, args) => {
  it.skipIf(!existsSync(bin(runtime)))(
    'resumes across a TCP cut: 400 messages exactly once, in order',
    async () => {
      const s = await startServer({ windowMs: 10_000 }, (c) => c.subscribe('feed'));
      const proxy = await new TcpProxy(s.port).listen();
      const child = spawn(bin(runtime), [...args, proxy.url, '400'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
      });
      children.add(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d;
      });
      child.stderr!.on('data', (d: Buffer) => {
        err += d;
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      try {
        await until(() => out.includes('session'), 20_000, `session (${err})`);
        for (let i = 1; i <= 200; i++) s.wss.publish('feed', String(i));
        await new Promise((r) => setTimeout(r, 50));
        expect(proxy.cut()).toBe(1);
        for (let i = 201; i <= 400; i++) s.wss.publish('feed', String(i)); // while it is away
        await until(() => out.includes('resumed'), 10_000, `resumed (${err})`);
        expect(await exited).toBe(0); // closed by itself after the last message: nothing left running
        const lines = out.trim().split('\n');
        expect(lines.slice(0, 2)).toEqual(['session', 'resumed']);
        expect(JSON.parse(lines[2]!)).toEqual(Array.from({ length: 400 }, (_, i) => String(i + 1)));
      } finally {
        child.kill('SIGKILL');
        await proxy.close();
        await s.close();
      }
    },
    40_000,
  );
});
