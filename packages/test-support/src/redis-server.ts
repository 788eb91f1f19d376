// Test support: a real redis-server (Debian's, installed by .ci/run; or the binary named by
// STRATA_REDIS_SERVER, e.g. valkey-server) on a free loopback port,
// without persistence (`--save '' --appendonly no`), in a temp dir; it can be killed, frozen
// (SIGSTOP: a Redis that stops answering) and started again on the same port (a restart).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';

/**
 * The server binary: `STRATA_REDIS_SERVER` when set (e.g. `valkey-server`, to run the same
 * suites against Valkey), else Debian's redis-server, else `redis-server` from PATH.
 */
export function redisServerPath(): string {
  const chosen = process.env.STRATA_REDIS_SERVER;
  if (chosen !== undefined && chosen !== '') return chosen;
  for (const candidate of ['/usr/bin/redis-server', '/usr/sbin/redis-server']) {
    try {
      execFileSync(candidate, ['--version'], { stdio: 'ignore' });
      return candidate;
    } catch {}
  }
  return 'redis-server';
}

/**
 * The server binaries a suite runs against: the default one (above) and `valkey-server`, the
 * Redis fork that `@strata-ws/redis` also supports. Valkey is included where it is installed,
 * and always in CI (`CI` set: `.ci/run` installs it), so a missing binary fails there instead
 * of being skipped.
 */
export function redisServerBinaries(): string[] {
  const chosen = redisServerPath();
  const binaries = [chosen];
  if (chosen.endsWith('valkey-server')) return binaries;
  let valkey = process.env.CI !== undefined && process.env.CI !== '';
  if (!valkey) {
    try {
      execFileSync('valkey-server', ['--version'], { stdio: 'ignore' });
      valkey = true;
    } catch {}
  }
  if (valkey) binaries.push('valkey-server');
  return binaries;
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** One redis-server instance. */
export class RedisServer {
  readonly port: number;
  /** The binary this instance runs (redis-server or valkey-server). */
  readonly binary: string;
  readonly #dir = mkdtempSync(join(tmpdir(), 'strata-redis-'));
  #child: ChildProcess | null = null;

  private constructor(port: number, binary: string) {
    this.port = port;
    this.binary = binary;
  }

  /** Starts a server on a free port (or on `port`), with `binary` (default: redisServerPath()). */
  static async start(port?: number, binary: string = redisServerPath()): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), binary);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port and waits until it answers PING. */
  async start(): Promise<void> {
    const child = spawn(
      this.binary,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { cwd: this.#dir, stdio: 'ignore' },
    );
    this.#child = child;
    let failed: Error | null = null;
    child.once('error', (error) => {
      failed = error; // e.g. ENOENT: the binary is not installed
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (failed !== null) throw new Error(`${this.binary} could not start: ${failed}`);
      if (child.exitCode !== null) throw new Error(`${this.binary} exited with ${child.exitCode}`);
      const client = createClient({ url: this.url, socket: { reconnectStrategy: false } });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.ping();
        await client.close();
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`${this.binary} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Kills the server (SIGKILL: no goodbye to clients) and waits for its exit. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server. */
  freeze(frozen: boolean): void {
    this.#child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    this.freeze(false);
    await this.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
