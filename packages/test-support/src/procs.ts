// Test support shared by the cluster and Redis tests: start Node processes that run the
// workspace's TypeScript (through ts-loader.mjs) and read their JSON stdout lines, and a real
// WebSocket client (the `ws` package) that records every frame it receives and sends the
// fixtures' JSON commands (commands.mjs).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** The loader that lets `node` run the workspace's TypeScript sources. */
export const LOADER: string = fileURLToPath(new URL('./ts-loader.mjs', import.meta.url));

/** A received frame. */
export interface Frame {
  readonly data: Buffer;
  readonly isBinary: boolean;
}

/** Waits until `check` returns a value (not undefined), polling; throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A Node child process printing JSON lines. */
export class NodeProcess {
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  readonly child: ChildProcess;

  constructor(script: string, env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['--import', LOADER, script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.stderr += `${line}\n`;
        }
        nl = buffered.indexOf('\n');
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk;
    });
  }

  /** The first JSON line that has `key`. */
  line(key: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return until(
      `a line with "${key}" (stderr: ${this.stderr.slice(-500)})`,
      () => {
        const found = this.lines.find((l) => key in l);
        if (found === undefined && this.child.exitCode !== null) {
          throw new Error(
            `process exited with ${this.child.exitCode}: ${this.stderr.slice(-1000)}`,
          );
        }
        return found;
      },
      timeoutMs,
    );
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves at exit. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** A WebSocket client of a fixture server. */
export class TestClient {
  readonly frames: Frame[] = [];
  hello: { hello: string; pid: number; node: string } | undefined;
  closed = false;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push({ data, isBinary });
    });
    ws.on('close', () => {
      this.closed = true;
    });
    ws.on('error', () => {});
  }

  /** Connects and waits for the fixture's hello. */
  static async connect(port: number): Promise<TestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const client = new TestClient(ws);
    // A connection handed to a worker that is dying closes without ever opening: fail (the
    // caller may retry) instead of waiting for ever.
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        clearTimeout(timer);
        ws.off('open', opened);
        ws.off('close', closed);
        ws.off('error', failed);
        if (error) reject(error);
        else resolve();
      };
      const opened = (): void => done();
      const closed = (): void =>
        done(new Error(`connection to port ${port} closed before it opened`));
      const failed = (error: Error): void => done(error);
      const timer = setTimeout(() => {
        ws.terminate();
        done(new Error(`connection to port ${port} did not open within 10 s`));
      }, 10_000);
      ws.on('open', opened);
      ws.on('close', closed);
      ws.on('error', failed);
    });
    const hello = await client.reply('hello');
    client.hello = hello as TestClient['hello'];
    return client;
  }

  /** JSON replies of the fixture (text frames that parse as objects). */
  replies(key: string): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const frame of this.frames) {
      if (frame.isBinary || frame.data[0] !== 0x7b) continue;
      try {
        const value = JSON.parse(frame.data.toString()) as Record<string, unknown>;
        if (key in value) out.push(value);
      } catch {}
    }
    return out;
  }

  /** Waits for the `n`-th reply having `key` (1-based). */
  reply(key: string, n = 1, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return until(`reply "${key}" #${n}`, () => this.replies(key)[n - 1], timeoutMs);
  }

  /** Sends a command and waits for its reply (the next one with `key`). */
  async request(
    command: Record<string, unknown>,
    key: string,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const n = this.replies(key).length + 1;
    this.ws.send(JSON.stringify(command));
    return this.reply(key, n, timeoutMs);
  }

  /** Frames that are not fixture replies (published messages), in order. */
  messages(): Frame[] {
    return this.frames.filter((f) => f.isBinary || f.data[0] !== 0x7b);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Connects clients until one is served by each of `names` (node:cluster balances). */
export async function clientsOn(port: number, count: number, attempts = 40): Promise<TestClient[]> {
  const byProcess = new Map<string, TestClient>();
  const spare: TestClient[] = [];
  for (let i = 0; i < attempts && byProcess.size < count; i++) {
    const client = await TestClient.connect(port);
    const name = client.hello?.hello ?? '';
    if (byProcess.has(name)) spare.push(client);
    else byProcess.set(name, client);
  }
  for (const client of spare) client.close();
  if (byProcess.size < count)
    throw new Error(`clients reached ${byProcess.size} processes, wanted ${count}`);
  return [...byProcess.values()];
}
