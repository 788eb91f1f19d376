// Process helpers for the CLI tests: run `strata` as a real child process, start `strata echo`.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const bin = fileURLToPath(new URL('../bin/strata.js', import.meta.url));

/** Children started by a test file; `killAll()` in afterEach/afterAll. */
const children = new Set<ChildProcess>();

/** Registers a child started elsewhere so that `killAll()` stops it too. */
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  return child;
}

export function killAll(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.clear();
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `strata ...args`, writing `input` to its stdin (then end of input); `null` keeps stdin
 * open until the process exits.
 */
export function run(
  args: string[],
  input: string | null = '',
  timeoutMs = 15_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`strata ${args.join(' ')} did not finish; stderr: ${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (input !== null) p.stdin.end(input);
    p.on('exit', () => p.stdin.destroy());
  });
}

/** Starts `strata echo --port 0`; resolves with its URL and process. */
export async function startEcho(
  extra: string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [bin, 'echo', '--port', '0', '--quiet', ...extra]);
  children.add(child);
  let out = '';
  for await (const chunk of child.stdout!) {
    out += chunk;
    const m = /listening (wss?:\/\/\S+)\n/.exec(out);
    if (m) return { url: m[1]!, child };
  }
  throw new Error(`strata echo printed: ${out}`);
}
