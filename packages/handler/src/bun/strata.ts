/**
 * Bun, `strata` mode: Strata's own engine (`../engine`) over `Bun.listen` TCP sockets, so the
 * handshake checks, limits, compression, topics, backpressure and close rules are those of
 * every other Strata server. This file only moves bytes: a Bun socket as a
 * {@link RawTransport} (Bun's `write` takes what the kernel takes; the rest waits here for
 * `drain`), and the socket events into the engine.
 */
import { createPerMessageDeflate } from '@strata-ws/permessage-deflate/node';
import { checkListen, waitForPeers } from '../engine/runtime.js';
import { EngineServer } from '../engine/server.js';
import type { RawTransport, TransportEvents } from '../engine/transport.js';
import type { Hooks } from '../types.js';
import { type BunSocket, bun } from './bun-api.js';
import type { BunHandler, BunHandlerOptions } from './options.js';

/** Chunks below this total are copied into one buffer so a flush is one `write` call. */
const COALESCE_LIMIT = 64 * 1024;

interface SocketState {
  transport: BunTransport;
  events: TransportEvents;
}

/** A Bun TCP socket seen by the engine. */
class BunTransport implements RawTransport {
  readonly remoteAddress: string | undefined;
  readonly #socket: BunSocket<SocketState>;
  /** Bytes Bun did not take yet, in order (the first one possibly a rest of a partial write). */
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ending = false;
  #closed = false;

  constructor(socket: BunSocket<SocketState>) {
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress || undefined;
  }

  get queuedBytes(): number {
    return this.#queued;
  }

  write(chunks: readonly Uint8Array[]): void {
    if (this.#closed || this.#ending) return;
    if (this.#queued > 0) {
      for (const chunk of chunks) {
        this.#queue.push(chunk);
        this.#queued += chunk.length;
      }
      return;
    }
    if (chunks.length === 1) {
      this.#writeOne(chunks[0] as Uint8Array);
      return;
    }
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    if (total <= COALESCE_LIMIT) {
      const joined = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        joined.set(chunk, offset);
        offset += chunk.length;
      }
      this.#writeOne(joined);
      return;
    }
    for (const chunk of chunks) {
      if (this.#queued > 0) {
        this.#queue.push(chunk);
        this.#queued += chunk.length;
      } else this.#writeOne(chunk);
    }
  }

  #writeOne(chunk: Uint8Array): void {
    const written = this.#socket.write(chunk);
    if (written >= chunk.length) return;
    const rest = written > 0 ? chunk.subarray(written) : chunk;
    this.#queue.push(rest);
    this.#queued += rest.length;
  }

  /** Bun can take more: write what waits. Returns true when nothing waits any more. */
  flushQueue(): boolean {
    const queue = this.#queue;
    while (queue.length > 0) {
      const chunk = queue[0] as Uint8Array;
      const written = this.#socket.write(chunk);
      if (written < chunk.length) {
        if (written > 0) {
          queue[0] = chunk.subarray(written);
          this.#queued -= written;
        }
        return false;
      }
      queue.shift();
      this.#queued -= chunk.length;
    }
    if (this.#ending && !this.#closed) this.#socket.end();
    return true;
  }

  end(): void {
    if (this.#ending || this.#closed) return;
    this.#ending = true;
    if (this.#queued === 0) this.#socket.end();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    this.#socket.terminate();
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** @internal the socket closed */
  markClosed(): void {
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
  }
}

/** Serves the hooks with Strata's engine on a `Bun.listen` socket. */
export function serveStrata<Context>(
  hooks: Hooks<Context>,
  options: BunHandlerOptions,
  ownOptions: readonly string[],
): BunHandler<Context> {
  const { port, host } = checkListen(options.port, options.host);
  if (options.websocket !== undefined) {
    throw new TypeError(
      "websocket: an app's own Bun websocket handlers need mode: 'native' (the strata listener speaks only the WebSocket upgrade, no HTTP routes)",
    );
  }
  const engine = new EngineServer(
    hooks,
    options,
    { createDeflate: createPerMessageDeflate },
    ownOptions,
  );
  const listener = bun().listen<SocketState>({
    hostname: host,
    port,
    socket: {
      open(socket) {
        socket.setNoDelay?.(true);
        const transport = new BunTransport(socket);
        socket.data = { transport, events: engine.accept(transport) };
      },
      data(socket, chunk) {
        socket.data.events.data(chunk);
      },
      drain(socket) {
        if (socket.data.transport.flushQueue()) socket.data.events.drained();
      },
      end(socket) {
        socket.data.events.eof();
      },
      close(socket) {
        socket.data.transport.markClosed();
        socket.data.events.closed();
      },
      error() {
        // `close` follows and reports the end.
      },
    },
  });
  return {
    mode: 'strata',
    port: listener.port,
    ready: Promise.resolve(listener.port),
    peers: engine.peers,
    publish(topic, data, publishOptions) {
      engine.publish(topic, data, publishOptions);
    },
    async close() {
      engine.closeAll();
      listener.stop(false);
      await waitForPeers(engine.peers, engine.profile.closeTimeout);
      engine.terminateAll();
      listener.stop(true);
      engine.dispose();
    },
  };
}
