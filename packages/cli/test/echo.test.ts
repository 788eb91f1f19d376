import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const bin = fileURLToPath(new URL('../bin/strata.js', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args]);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `strata echo` on a free port; resolves with the URL it printed. */
async function startEcho(extra: string[] = []): Promise<string> {
  const p = spawn(process.execPath, [bin, 'echo', '--port', '0', '--quiet', ...extra]);
  child = p;
  let out = '';
  for await (const chunk of p.stdout!) {
    out += chunk;
    const m = /listening (ws:\/\/\S+)\n/.exec(out);
    if (m) return m[1]!;
  }
  throw new Error(`strata echo printed: ${out}`);
}

describe('strata echo', () => {
  it('prints the listening URL, echoes text and binary with their type, exits 0 on SIGTERM', async () => {
    const url = await startEcho();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const ws = new WebSocket(url);
    await once(ws, 'open');
    const got: Array<[string, boolean]> = [];
    ws.on('message', (data, isBinary) => got.push([String(data), isBinary]));
    ws.send('héllo');
    ws.send(Buffer.from([1, 2, 3]));
    while (got.length < 2) await once(ws, 'message');
    expect(got).toEqual([
      ['héllo', false],
      ['\u0001\u0002\u0003', true],
    ]);
    const closed = once(ws, 'close');
    child!.kill('SIGTERM');
    const [code] = await closed;
    expect(code).toBe(1001);
    const [exitCode] = await once(child!, 'exit');
    expect(exitCode).toBe(0);
  });

  it('negotiates permessage-deflate with --deflate', async () => {
    const url = await startEcho(['--deflate']);
    const ws = new WebSocket(url, { perMessageDeflate: true });
    await once(ws, 'open');
    expect(ws.extensions).toContain('permessage-deflate');
    const text = 'compress me '.repeat(500);
    ws.send(text);
    const [data, isBinary] = await once(ws, 'message');
    expect(String(data)).toBe(text);
    expect(isBinary).toBe(false);
    ws.close();
    await once(ws, 'close');
    child!.kill('SIGINT');
    const [exitCode] = await once(child!, 'exit');
    expect(exitCode).toBe(0);
  });

  it('--help prints usage; unknown options fail', async () => {
    const help = await run(['echo', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('strata echo [--host H] [--port P] [--deflate]');
    const bad = await run(['echo', '--prot', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown option --prot');
    const top = await run(['--help']);
    expect(top.stdout).toContain('echo');
  });
});
