/**
 * Calling the application's hooks, the same way in every adapter: a hook that throws or
 * rejects reports to `error(peer, error)`; with no `error` hook (or one that fails too) the
 * connection is closed with 1011, so a failure is never silent and never crashes the process.
 * `close` runs at most once per peer. Portable.
 */
import { CloseCode } from '@strata-ws/codec';
import type { CloseDetails, Hooks, Message, Peer } from '../types.js';

/** Runs one handler's hooks for every peer of an adapter. */
export class HookRunner<Context> {
  readonly hooks: Hooks<Context>;
  readonly #closed = new WeakSet<Peer<Context>>();

  constructor(hooks: Hooks<Context>) {
    if (hooks === null || typeof hooks !== 'object') {
      throw new TypeError(`hooks must be an object (see defineHooks), got ${typeof hooks}`);
    }
    for (const name of ['upgrade', 'open', 'message', 'close', 'error', 'drain'] as const) {
      const hook = hooks[name];
      if (hook !== undefined && typeof hook !== 'function') {
        throw new TypeError(`hooks.${name} must be a function, got ${typeof hook}`);
      }
    }
    this.hooks = hooks;
  }

  /** Calls `open(peer)`. */
  open(peer: Peer<Context>): void {
    const hook = this.hooks.open;
    if (hook === undefined) return;
    try {
      this.#settle(peer, hook.call(this.hooks, peer));
    } catch (error) {
      this.fail(peer, error);
    }
  }

  /** Calls `message(peer, message)`. */
  message(peer: Peer<Context>, message: Message): void {
    const hook = this.hooks.message;
    if (hook === undefined) return;
    try {
      this.#settle(peer, hook.call(this.hooks, peer, message));
    } catch (error) {
      this.fail(peer, error);
    }
  }

  /** Calls `drain(peer)`. */
  drain(peer: Peer<Context>): void {
    const hook = this.hooks.drain;
    if (hook === undefined) return;
    try {
      this.#settle(peer, hook.call(this.hooks, peer));
    } catch (error) {
      this.fail(peer, error);
    }
  }

  /** Calls `close(peer, details)` the first time only; a failure goes to `error` (no 1011: it is closed). */
  close(peer: Peer<Context>, details: CloseDetails): void {
    if (this.#closed.has(peer)) return;
    this.#closed.add(peer);
    const hook = this.hooks.close;
    if (hook === undefined) return;
    try {
      this.#settle(peer, hook.call(this.hooks, peer, details));
    } catch (error) {
      this.fail(peer, error);
    }
  }

  /** Whether `close` already ran for `peer`. */
  isClosed(peer: Peer<Context>): boolean {
    return this.#closed.has(peer);
  }

  /**
   * Reports an error for `peer`: to the `error` hook; without one, or when it fails, closes the
   * connection with 1011 (a no-op once it is closing).
   */
  fail(peer: Peer<Context>, cause: unknown): void {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    const hook = this.hooks.error;
    if (hook !== undefined) {
      try {
        const result = hook.call(this.hooks, peer, error);
        if (isPromise(result)) result.catch(() => this.#abort(peer));
        return;
      } catch {
        // fall through: the error hook failed too
      }
    }
    this.#abort(peer);
  }

  /** Reports an error that is not a hook's (a protocol error of the connection) to `error` only. */
  report(peer: Peer<Context>, error: Error): void {
    const hook = this.hooks.error;
    if (hook === undefined) return;
    try {
      const result = hook.call(this.hooks, peer, error);
      if (isPromise(result)) result.catch(() => {});
    } catch {
      // nothing more to do: the connection is already failing
    }
  }

  #settle(peer: Peer<Context>, result: unknown): void {
    if (isPromise(result)) result.catch((error: unknown) => this.fail(peer, error));
  }

  #abort(peer: Peer<Context>): void {
    if (peer.readyState !== 1) return;
    try {
      peer.close(CloseCode.InternalError);
    } catch {
      peer.terminate();
    }
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function' &&
    typeof (value as { catch?: unknown }).catch === 'function'
  );
}

/** Hooks of one connection, beside the handler's (no `upgrade`: the connection is upgrading). */
export type ConnectionHooks<Context> = Omit<Hooks<Context>, 'upgrade'>;

/**
 * The handler's hooks followed by one connection's own (e.g. the events a framework's route
 * gave for this upgrade): each named hook runs the handler's first, then the connection's.
 */
export function withConnectionHooks<Context>(
  base: Hooks<Context>,
  extra: ConnectionHooks<Context>,
): Hooks<Context> {
  const merged: Hooks<Context> = { ...base };
  for (const name of ['open', 'message', 'close', 'error', 'drain'] as const) {
    const first = base[name] as ((...args: unknown[]) => unknown) | undefined;
    const second = extra[name] as ((...args: unknown[]) => unknown) | undefined;
    if (second === undefined) continue;
    if (typeof second !== 'function') {
      throw new TypeError(`connection hooks.${name} must be a function, got ${typeof second}`);
    }
    (merged as Record<string, unknown>)[name] =
      first === undefined
        ? (...args: unknown[]) => second.apply(extra, args)
        : (...args: unknown[]) => {
            const a = first.apply(base, args);
            const b = second.apply(extra, args);
            return isPromise(a) || isPromise(b) ? Promise.all([a, b]).then(() => {}) : undefined;
          };
  }
  return merged;
}
