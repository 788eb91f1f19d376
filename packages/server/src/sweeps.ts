/**
 * The server-wide timers that visit every connection: the heartbeat (one sweep pings the
 * silent connections and terminates those still silent a sweep later) and the idle check,
 * which also keeps the coarse clock connections read for idle tracking. One timer each per
 * server, never one per connection.
 */
import { connectionInternals } from './connection-io.js';
import type { ResolvedOptions } from './options.js';

/** The heartbeat and idle sweeps of one server. */
export class Sweeps {
  readonly #epoch = Date.now();
  #now = 0;
  #heartbeat: NodeJS.Timeout | null = null;
  #idle: NodeJS.Timeout | null = null;

  /**
   * @param limits - `heartbeatInterval` and `idleTimeout` (0 disables either)
   * @param connections - the connections to visit (read at each sweep)
   */
  constructor(limits: ResolvedOptions, connections: Iterable<object>) {
    if (limits.heartbeatInterval > 0) {
      this.#heartbeat = setInterval(() => {
        for (const ws of connections) connectionInternals.heartbeat(ws);
      }, limits.heartbeatInterval);
      this.#heartbeat.unref();
    }
    if (limits.idleTimeout > 0) {
      const tick = Math.max(50, Math.min(limits.idleTimeout / 4, 5_000));
      this.#idle = setInterval(() => {
        const now = Date.now() - this.#epoch;
        this.#now = now;
        for (const ws of connections) connectionInternals.idleCheck(ws, now);
      }, tick);
      this.#idle.unref();
    }
  }

  /** Milliseconds since the server started, as of the last idle sweep (small integers). */
  get now(): number {
    return this.#now;
  }

  /** Stops both timers. */
  stop(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    if (this.#idle !== null) clearInterval(this.#idle);
    this.#heartbeat = null;
    this.#idle = null;
  }
}
