// The Hono recipes on Bun and Deno (src/handler/hono-bun.ts, hono-deno.ts), each started in its
// runtime from the npm package's binary and driven from Node by real `ws` clients: the handler's
// upgrade hook refuses without a user (401), Hono's routes answer HTTP and 404 for other paths,
// and the chat (join, talk, leave through the handler's topics) runs in Hono's events.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const here = fileURLToPath(new URL('../', import.meta.url));
const BUN = `${root}node_modules/.bin/bun`;
// The Deno binary itself (`.bin/deno` is a launcher that does not pass SIGTERM on).
const DENO =
  [`${root}node_modules/@deno/linux-x64-glibc/deno`, `${root}node_modules/deno/deno`].find((f) =>
    existsSync(f),
  ) ?? `${root}node_modules/.bin/deno`;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Starts a fixture and resolves to its port once it printed `LISTENING <port>`. */
async function start(command: string, args: string[]): Promise<number> {
  const child: ChildProcess = spawn(command, args, {
    cwd: here,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  });
  let output = '';
  return within(
    new Promise<number>((resolve, reject) => {
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-16_384);
        const match = /LISTENING (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.once('exit', (code) => reject(new Error(`${command} exited (${code}):\n${output}`)));
    }),
    30_000,
  );
}

function within<T>(p: Promise<T>, ms = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function join(url: string) {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (data) => messages.push(String(data)));
  cleanups.push(() => ws.terminate());
  await within(once(ws, 'open'));
  return { ws, messages };
}

async function refusedWith(url: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  const [, response] = await within(once(ws, 'unexpected-response'));
  let body = '';
  for await (const chunk of response) body += String(chunk);
  ws.terminate();
  return { status: response.statusCode, body };
}

/** What both recipes must do, over the chat route of `host`. */
async function honoChat(host: string) {
  expect(await (await fetch(`http://${host}/health`)).json()).toEqual({ ok: true, peers: 0 });
  expect(await refusedWith(`ws://${host}/chat`)).toEqual({
    status: 401,
    body: 'a user name is required',
  });
  expect((await refusedWith(`ws://${host}/elsewhere?user=eve`)).status).toBe(404);

  const ada = await join(`ws://${host}/chat?user=ada`);
  const bob = await join(`ws://${host}/chat?user=bob`);
  await until(() => ada.messages.includes('bob joined'));
  expect(await (await fetch(`http://${host}/health`)).json()).toEqual({ ok: true, peers: 2 });
  bob.ws.send('hi');
  await until(() => ada.messages.includes('bob: hi') && bob.messages.includes('ok'));
  expect(bob.messages).toEqual(['ok']);
  bob.ws.close(4000, 'bye');
  const [code] = await within(once(bob.ws, 'close'));
  expect(code).toBe(4000);
  await until(() => ada.messages.includes('bob left'));
  expect(ada.messages).toEqual(['bob joined', 'bob: hi', 'bob left']);
}

describe("Hono's upgradeWebSocket on Bun and Deno, through @strata-ws/handler", () => {
  it('Bun: hono/bun upgradeWebSocket + websocket under the native handler', async () => {
    const port = await start(BUN, ['--conditions=strata-source', 'test/fixtures/hono-bun.ts']);
    await honoChat(`127.0.0.1:${port}`);
  }, 40_000);

  it('Deno: upgradeWebSocket from defineWebSocketHelper on denoUpgrade', async () => {
    const port = await start(DENO, [
      'run',
      '--allow-net',
      '--allow-read',
      '--allow-env',
      '--conditions=strata-source',
      '--sloppy-imports',
      'test/fixtures/hono-deno.ts',
    ]);
    await honoChat(`127.0.0.1:${port}`);
  }, 40_000);
});
