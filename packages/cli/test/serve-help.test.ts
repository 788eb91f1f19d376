// `strata serve` (the demo: PORT, --port, a port in use) and the help of every command.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, killAll, run, track } from './helpers.ts';

afterAll(() => killAll());

/** A free loopback port (listen on 0, close). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function serveUrl(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = track(
    spawn(process.execPath, [bin, 'serve', '--quiet', ...args], {
      env: { ...process.env, ...env },
    }),
  );
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    const m = /Strata demo: (http:\/\/\S+)\n/.exec(out);
    if (m) return { url: m[1]!, child };
  }
  throw new Error(`strata serve printed ${out}`);
}

describe('strata serve', () => {
  it('takes the port from PORT, --port wins over it, serves the page; SIGTERM exits 0', async () => {
    const port = await freePort();
    const a = await serveUrl([], { PORT: String(port) });
    expect(a.url).toBe(`http://127.0.0.1:${port}/`);
    const page = await fetch(a.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Strata demo</title>');
    expect((await fetch(new URL('/nope', a.url))).status).toBe(404);

    // The same port again: one clear line, exit 1.
    const busy = await run(['serve', '--port', String(port)]);
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim()).toBe(
      `strata serve: 127.0.0.1:${port} is already in use; pick another with --port (e.g. --port 0)`,
    );
    a.child.kill('SIGTERM');
    const [code] = await once(a.child, 'exit');
    expect(code).toBe(0);

    const b = await serveUrl(['--port', '0'], { PORT: String(port) });
    expect(b.url).not.toBe(`http://127.0.0.1:${port}/`);
    b.child.kill('SIGINT');
    expect((await once(b.child, 'exit'))[0]).toBe(0);
  });
});

describe('help', () => {
  it('every command has --help (exit 0); no command prints the list (exit 2); unknown commands exit 2', async () => {
    for (const [command, usage] of [
      ['connect', 'Usage: strata connect URL'],
      ['bench', 'Usage: strata bench URL'],
      ['echo', 'Usage: strata echo'],
      ['serve', 'Usage: strata serve'],
    ]) {
      const r = await run([command!, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toContain(usage);
    }
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/connect URL[\s\S]*bench URL[\s\S]*echo[\s\S]*serve/);
    const unknown = await run(['frob']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('strata: unknown command "frob"');
  });
});
