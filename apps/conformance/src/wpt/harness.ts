/**
 * A small harness for the WPT-derived cases: a Strata echo server with WPT's `echo` handler
 * semantics (echo every message; "Goodbye" makes the server close with 1000; subprotocols
 * `echo` and `chat`), assertion helpers named after testharness.js's, and a runner with a
 * per-test deadline.
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from '@strata-ws/server';

/** One test, as named in the WPT file it was written from. */
export interface WptTest {
  /** The WPT file whose test name and assertions this case follows. */
  file: string;
  name: string;
  run(ctx: { url: string }): Promise<void> | void;
}

/** Throws unless `fn` throws a DOMException (or error) with this name. */
export function assertThrowsDom(name: string, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    const got = (error as Error)?.name;
    if (got !== name) throw new Error(`expected ${name}, got ${got}: ${(error as Error)?.message}`);
    return;
  }
  throw new Error(`expected ${name}, nothing was thrown`);
}

/** Throws unless `fn` throws a `TypeError`. */
export function assertThrowsJs(type: typeof TypeError, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof type))
      throw new Error(`expected ${type.name}, got ${(error as Error)?.name}`);
    return;
  }
  throw new Error(`expected ${type.name}, nothing was thrown`);
}

/** `assert_equals`. */
export function assertEquals<T>(actual: T, expected: T, what = 'value'): void {
  if (!Object.is(actual, expected))
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** `assert_true`. */
export function assertTrue(value: unknown, what: string): void {
  if (value !== true) throw new Error(`${what}: expected true, got ${JSON.stringify(value)}`);
}

/** Resolves with the first event of that type on `target`. */
export function nextEvent<E extends Event>(target: EventTarget, type: string): Promise<E> {
  return new Promise((resolve) =>
    target.addEventListener(type, (event) => resolve(event as E), { once: true }),
  );
}

/** Starts the echo server; returns its base URL and a stop function. */
export async function startWptServer(): Promise<{ base: string; stop(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, protocols: ['echo', 'chat'] });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === 'Goodbye') ws.close(1000);
      else ws.send(data, { binary: isBinary });
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    base: `ws://127.0.0.1:${port}`,
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

/** Runs tests one by one, each within 5 s. */
export async function runTests(
  tests: WptTest[],
  base: string,
): Promise<{ name: string; file: string; ok: boolean; error?: string }[]> {
  const results = [];
  for (const t of tests) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => t.run({ url: `${base}/echo` })),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out after 5 s')), 5000);
        }),
      ]);
      results.push({ name: t.name, file: t.file, ok: true });
    } catch (error) {
      results.push({ name: t.name, file: t.file, ok: false, error: (error as Error).message });
    } finally {
      clearTimeout(timer);
    }
  }
  return results;
}
