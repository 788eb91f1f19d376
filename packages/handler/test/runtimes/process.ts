/**
 * Starts a fixture server in another runtime (Bun, Deno, or Node for miniflare) as a child
 * process, waits for the `LISTENING <port>` line it prints, and always stops it: `stop()`
 * sends SIGTERM, then SIGKILL after a grace period; every child still running when the test
 * process exits is killed too. Stdout and stderr are kept (bounded) for failure messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL('../../../../', import.meta.url));
/** This package's directory (fixtures run from here so bare names resolve through node_modules). */
export const PACKAGE_DIR: string = fileURLToPath(new URL('../../', import.meta.url));

/** Bun's executable from its npm package (a root devDependency). */
export const BUN: string = `${ROOT}node_modules/.bin/bun`;

/**
 * Deno's executable from its npm package (a root devDependency). Not `.bin/deno`: that is a
 * Node script that runs the binary with `spawnSync` and does not pass SIGTERM on, so killing
 * it would leave the server running. The binary is in the platform package (`@deno/<platform>`),
 * or next to the launcher once the launcher has run.
 */
export const DENO: string = denoBinary();

function denoBinary(): string {
  const modules = `${ROOT}node_modules/`;
  const platform = `${process.platform}-${process.arch === 'arm64' ? 'aarch64' : 'x64'}`;
  const candidates = [
    `${modules}deno/deno`,
    `${modules}@deno/${platform}-glibc/deno`,
    `${modules}@deno/${platform}/deno`,
  ];
  return candidates.find((file) => existsSync(file)) ?? `${modules}.bin/deno`;
}

/** A running fixture. */
export interface RuntimeServer {
  readonly port: number;
  readonly child: ChildProcess;
  /** What the child printed so far (bounded). */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

const OUTPUT_LIMIT = 64 * 1024;

/** Whether the runtime's executable is installed. */
export function available(executable: string): boolean {
  return existsSync(executable);
}

/**
 * Spawns `command args` in this package's directory and resolves once it printed
 * `LISTENING <port>` (rejects with its output when it exits first or after `timeoutMs`).
 */
export async function startRuntime(
  command: string,
  args: readonly string[],
  timeoutMs = 30_000,
  env: Record<string, string> = {},
): Promise<RuntimeServer> {
  const child = spawn(command, args, {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    await exited;
    clearTimeout(timer);
  };

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${command} did not print LISTENING within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = (): void => {
      const match = /LISTENING (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', check);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${child.exitCode ?? child.signalCode}):\n${output}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { port, child, output: () => output, stop };
}
