/**
 * Child processes for the foreign peers (python3-websockets, Bun, Node's built-in client):
 * started with a deadline, their JSON lines read from stdout, killed by the caller or at the
 * deadline, never left behind.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The path of a file in `apps/conformance/peers/`. */
export function peerFile(name: string): string {
  return fileURLToPath(new URL(`../../peers/${name}`, import.meta.url));
}

export const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3 has the `websockets` module. */
export function pythonAvailable(): boolean {
  return (
    existsSync(PYTHON) &&
    spawnSync(PYTHON, ['-c', 'import websockets'], { timeout: 10_000 }).status === 0
  );
}

/**
 * The deno binary of the root devDependency, if installed: the executable itself, not
 * `.bin/deno` (a node script that spawns it, which a kill would leave running).
 */
export function denoPath(): string | null {
  const path = fileURLToPath(new URL('../../../../node_modules/deno/deno', import.meta.url));
  return existsSync(path) && spawnSync(path, ['--version'], { timeout: 20_000 }).status === 0
    ? path
    : null;
}

/** The bun binary of the root devDependency, if installed. */
export function bunPath(): string | null {
  const path = fileURLToPath(new URL('../../../../node_modules/.bin/bun', import.meta.url));
  return existsSync(path) && spawnSync(path, ['--version'], { timeout: 20_000 }).status === 0
    ? path
    : null;
}

/** A running child with its stdout lines. */
export interface Child {
  process: ChildProcess;
  /** The first stdout line that parses as JSON. */
  firstJson: Promise<Record<string, unknown>>;
  /** The first match of `pattern` in stdout (rejects when the child exits first). */
  stdoutMatch(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves when the child exits. */
  exited: Promise<number | null>;
  stderr: () => string;
  kill(): void;
}

/** Starts a child (in `cwd`, default this process's) that is killed after `deadlineMs`. */
export function startChild(
  command: string,
  args: string[],
  deadlineMs: number,
  cwd?: string,
): Child {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd });
  let stderr = '';
  let stdout = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  const firstJson = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      for (const line of stdout.split('\n')) {
        try {
          const value = JSON.parse(line) as unknown;
          if (value && typeof value === 'object') {
            resolve(value as Record<string, unknown>);
            return;
          }
        } catch {}
      }
    });
    child.once('exit', () =>
      reject(new Error(`exited before printing JSON: ${stderr.slice(-500)}`)),
    );
  });
  firstJson.catch(() => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const stdoutMatch = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(stdout);
        if (m) {
          child.stdout?.off('data', check);
          resolve(m);
        }
      };
      child.stdout?.on('data', check);
      check();
      child.once('exit', () => reject(new Error(`exited: ${stderr.slice(-500)}`)));
    });
  return {
    process: child,
    firstJson,
    stdoutMatch,
    exited,
    stderr: () => stderr,
    kill: () => {
      child.stdin?.end();
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
