/**
 * What the Bun and Deno adapters share whatever their mode: the mode names, the running
 * handler object they return, and the bounded wait of a graceful close. Portable.
 */
import type { Peer, SendData, SendOptions } from '../types.js';

/** Which implementation serves the WebSockets. */
export type AdapterMode = 'native' | 'strata';

/** A running handler on Bun or Deno. */
export interface RuntimeHandler<Context> {
  /** The mode it runs in. */
  readonly mode: AdapterMode;
  /** The bound port (with `port: 0`, the one picked). */
  readonly port: number;
  /** Resolves with the bound port once listening. */
  readonly ready: Promise<number>;
  /** The open peers. */
  readonly peers: ReadonlySet<Peer<Context>>;
  /** Sends to every subscriber of `topic` (no peer excluded). */
  publish(topic: string, data: SendData, options?: SendOptions): void;
  /** Closes every peer with 1001, waits for them (at most `closeTimeout`), and stops listening. */
  close(): Promise<void>;
}

/** Checks the mode option (default `'strata'`). */
export function checkMode(mode: unknown): AdapterMode {
  if (mode === undefined) return 'strata';
  if (mode !== 'native' && mode !== 'strata') {
    throw new TypeError(`mode must be 'native' or 'strata', got ${String(mode)}`);
  }
  return mode;
}

/** Checks the listening options (`port` 0-65535, default 3000; `host` a non-empty string). */
export function checkListen(port: unknown, host: unknown): { port: number; host: string } {
  const p = port ?? 3000;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  const h = host ?? '0.0.0.0';
  if (typeof h !== 'string' || h === '') throw new TypeError('host must be a non-empty string');
  return { port: p, host: h };
}

/** Resolves when `peers` is empty or after `ms`. */
export async function waitForPeers(peers: ReadonlySet<unknown>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (peers.size > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The upgrade decision, or a 408 refusal when it takes longer than `ms` (the handshake
 * timeout covers the `upgrade` hook in the native modes too).
 */
export async function withTimeout<T>(
  decision: Promise<T>,
  ms: number,
): Promise<T | { kind: 'refuse'; response: Response }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ kind: 'refuse'; response: Response }>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: 'refuse', response: new Response('Request Timeout', { status: 408 }) }),
      ms,
    );
  });
  try {
    return await Promise.race([decision, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
