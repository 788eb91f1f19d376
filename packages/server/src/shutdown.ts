/**
 * Graceful shutdown of a set of connections: a close frame (1001 Going Away by default)
 * queued behind whatever each connection still has to send, a wait for the closing
 * handshakes (so every queued message reached the peer before its close reply came back),
 * and, at the deadline, termination of whatever is left.
 */
import { CloseCode } from '@strata-ws/codec';

/** What a shutdown needs from a connection (the server's connection class has it). */
export interface ClosableConnection {
  /** 0 connecting, 1 open, 2 closing, 3 closed (WebSocket.readyState numbering). */
  readonly readyState: number;
  /** Starts the closing handshake after the data already queued. */
  close(code?: number, reason?: string): void;
  /** Destroys the transport at once. */
  terminate(): void;
  /** Registers a one-shot listener for the connection's final 'close' (transport closed). */
  once(event: 'close', listener: () => void): unknown;
}

/** Options of a graceful shutdown. */
export interface ShutdownOptions {
  /** The close code sent to every client. Default 1001 (Going Away). */
  code?: number;
  /** The close reason sent to every client (at most 123 UTF-8 bytes). Default ''. */
  reason?: string;
  /**
   * Milliseconds to wait for closing handshakes and queued data before the remaining
   * connections are terminated. Default 10000.
   */
  timeout?: number;
}

/** How a shutdown went. */
export interface ShutdownResult {
  /** Connections that completed their closing handshake (or were closed already). */
  closed: number;
  /** Connections terminated at the deadline. */
  terminated: number;
}

const CLOSED = 3;

/**
 * Closes every connection gracefully and resolves once all are closed, terminating at
 * `timeout` those that have not finished. Stopping the intake of new connections is the
 * caller's part (do it first).
 */
export function closeGracefully(
  connections: Iterable<ClosableConnection>,
  options: ShutdownOptions = {},
): Promise<ShutdownResult> {
  const code = options.code ?? CloseCode.GoingAway;
  const reason = options.reason ?? '';
  const timeout = options.timeout ?? 10_000;
  if (!(timeout >= 0)) throw new RangeError('timeout must be >= 0');
  // Snapshot first: closing may remove connections from the caller's set.
  const pending = new Set<ClosableConnection>();
  let closed = 0;
  for (const connection of connections) {
    if (connection.readyState === CLOSED) closed++;
    else pending.add(connection);
  }
  const result: ShutdownResult = { closed, terminated: 0 };
  if (pending.size === 0) return Promise.resolve(result);

  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      resolve(result);
    };
    for (const connection of [...pending]) {
      connection.once('close', () => {
        if (!pending.delete(connection)) return;
        result.closed++;
        if (pending.size === 0) finish();
      });
      try {
        connection.close(code, reason);
      } catch {
        // A connection that cannot close cleanly (e.g. never opened) is terminated below.
        pending.delete(connection);
        result.terminated++;
        connection.terminate();
      }
    }
    if (pending.size === 0) {
      finish();
      return;
    }
    timer = setTimeout(() => {
      for (const connection of [...pending]) {
        pending.delete(connection);
        result.terminated++;
        connection.terminate();
      }
      finish();
    }, timeout);
  });
}

/** The signals a serving command shuts down on. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * Runs `shutdown` on the first SIGINT or SIGTERM (a second signal exits at once with
 * status 130/143), then exits with status 0. Returns a function that removes the handlers.
 */
export function shutdownOnSignals(
  shutdown: (signal: NodeJS.Signals) => Promise<unknown>,
  log: (line: string) => void = () => {},
): () => void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log(`${signal} again: exiting now`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    shuttingDown = true;
    log(`${signal}: closing connections (1001) ...`);
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, onSignal);
  };
}
