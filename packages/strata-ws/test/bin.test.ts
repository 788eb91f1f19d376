// The `strata` command that this package installs (its `bin`): the umbrella's entry runs
// @strata-ws/cli, so `npm install strata-ws && npx strata ...` works.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from '@strata-ws/server';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/strata.js', import.meta.url));

function runStrata(args: string[], input?: string) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    return { code: code as number | null, stdout, stderr };
  });
}

describe('the strata command', () => {
  it('is the package bin, named strata', () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { bin: Record<string, string>; files: string[] };
    expect(manifest.bin).toEqual({ strata: './bin/strata.js' });
    expect(manifest.files).toContain('bin');
  });

  it('--help lists the commands and exits 0', async () => {
    const { code, stdout } = await runStrata(['--help']);
    expect(code).toBe(0);
    for (const command of ['connect', 'bench', 'echo', 'serve'])
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('strata connect sends a piped line and prints the reply', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    wss.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo: ${String(data)}`)));
    try {
      const { port } = wss.address() as AddressInfo;
      const { code, stdout } = await runStrata(['connect', `ws://127.0.0.1:${port}/`], 'hi\n');
      expect(stdout).toBe('echo: hi\n');
      expect(code).toBe(0);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
