/**
 * Deno, `strata` mode: Strata's own engine (`../engine`) over `Deno.listen` TCP connections
 * (`Deno.serve` does not hand out the raw socket of an upgrade), so the handshake checks,
 * limits, compression, topics, backpressure and close rules are those of every other Strata
 * server. This file only moves bytes: a `Deno.Conn` as a {@link RawTransport} (one write
 * loop, queued chunks joined into one `write` when small; a read loop that stops while paused).
 */
import { createPerMessageDeflate } from '@strata-ws/permessage-deflate/node';
import { checkListen, type RuntimeHandler, waitForPeers } from '../engine/runtime.js';
import { EngineServer } from '../engine/server.js';
import type { RawTransport, TransportEvents } from '../engine/transport.js';
import type { Hooks } from '../types.js';
import { type DenoConn, deno } from './deno-api.js';
import type { DenoHandlerOptions } from './options.js';

/** Queued chunks up to this total are joined so one `write` carries them. */
const COALESCE_LIMIT = 64 * 1024;

/** A Deno TCP connection seen by the engine. */
class DenoTransport implements RawTransport {
  readonly remoteAddress: string | undefined;
  readonly #conn: DenoConn;
  #events: TransportEvents | null = null;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #ending = false;
  #writeDone = false;
  #readDone = false;
  #closed = false;
  #paused = false;
  #resume: (() => void) | null = null;

  constructor(conn: DenoConn) {
    this.#conn = conn;
    this.remoteAddress = conn.remoteAddr.hostname || undefined;
  }

  /** Starts reading into `events`. */
  start(events: TransportEvents): void {
    this.#events = events;
    this.#readLoop().catch(() => this.destroy());
  }

  get queuedBytes(): number {
    return this.#queued;
  }

  write(chunks: readonly Uint8Array[]): void {
    if (this.#closed || this.#ending) return;
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      this.#queue.push(chunk);
      this.#queued += chunk.length;
    }
    if (!this.#writing && this.#queued > 0) this.#writeLoop().catch(() => this.destroy());
  }

  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    if (!this.#writing) this.#closeWrite();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#queue = [];
    this.#queued = 0;
    this.#readDone = true;
    this.#writeDone = true;
    this.#finish();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }

  async #readLoop(): Promise<void> {
    const reader = this.#conn.readable.getReader();
    try {
      for (;;) {
        if (this.#paused) await new Promise<void>((resolve) => (this.#resume = resolve));
        if (this.#closed) return;
        const { done, value } = await reader.read();
        if (done || this.#closed) break;
        this.#events?.data(value);
      }
    } catch {
      // A reset: the connection is over either way.
      this.destroy();
      return;
    } finally {
      reader.releaseLock();
    }
    this.#readDone = true;
    if (!this.#closed) this.#events?.eof();
    if (this.#writeDone) this.#finish();
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    const conn = this.#conn;
    while (this.#queue.length > 0 && !this.#closed) {
      let chunk = this.#queue[0] as Uint8Array;
      if (this.#queue.length > 1 && this.#queued <= COALESCE_LIMIT) {
        chunk = join(this.#queue, this.#queued);
        this.#queue = [chunk];
      }
      const written = await conn.write(chunk);
      if (this.#closed) break;
      this.#queued -= written;
      if (written < chunk.length) this.#queue[0] = chunk.subarray(written);
      else this.#queue.shift();
    }
    this.#writing = false;
    if (this.#closed) return;
    this.#events?.drained();
    if (this.#ending) this.#closeWrite();
  }

  #closeWrite(): void {
    if (this.#writeDone) return;
    this.#writeDone = true;
    this.#conn.closeWrite().then(
      () => {
        if (this.#readDone) this.#finish();
      },
      () => this.destroy(),
    );
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the runtime
    }
    this.#resume?.();
    this.#events?.closed();
  }
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Serves the hooks with Strata's engine on `Deno.listen`. */
export function serveStrata<Context>(
  hooks: Hooks<Context>,
  options: DenoHandlerOptions,
  ownOptions: readonly string[],
): RuntimeHandler<Context> {
  const { port, host } = checkListen(options.port, options.host);
  const engine = new EngineServer(
    hooks,
    options,
    { createDeflate: createPerMessageDeflate },
    ownOptions,
  );
  const listener = deno().listen({ hostname: host, port, transport: 'tcp' });
  let listening = true;
  const accepting = (async () => {
    for (;;) {
      let conn: DenoConn;
      try {
        conn = await listener.accept();
      } catch {
        if (!listening) return;
        continue; // e.g. too many open files: keep serving the others
      }
      try {
        conn.setNoDelay(true);
      } catch {
        // not a TCP connection
      }
      const transport = new DenoTransport(conn);
      transport.start(engine.accept(transport));
    }
  })();
  const bound = listener.addr.port;
  return {
    mode: 'strata',
    port: bound,
    ready: Promise.resolve(bound),
    peers: engine.peers,
    publish(topic, data, publishOptions) {
      engine.publish(topic, data, publishOptions);
    },
    async close() {
      listening = false;
      listener.close();
      await accepting;
      engine.closeAll();
      await waitForPeers(engine.peers, engine.profile.closeTimeout);
      engine.terminateAll();
      engine.dispose();
    },
  };
}
