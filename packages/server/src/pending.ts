/**
 * Handshakes waiting for an asynchronous hook (`verifyClient` with a callback, an async
 * `authenticate`): each under the handshake timeout, ended early by a transport that closes
 * or a client that half-closes, and all ended by the server's `close()`.
 */
import type { ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';

interface Pending {
  readonly socket: Socket;
  readonly timer: NodeJS.Timeout;
  done: boolean;
}

function rethrow(error: unknown): never {
  throw error;
}

/** The server's pending handshakes. */
export class PendingHandshakes {
  readonly #set = new Set<Pending>();
  readonly #timeout: number;

  /** @param timeout - the handshake timeout, in ms */
  constructor(timeout: number) {
    this.#timeout = timeout;
  }

  /**
   * Waits for `decision` under the handshake timeout. `complete` runs only while the
   * transport (the socket, or the HTTP/2 stream) is still open and the client has not
   * half-closed (its FIN: it will send nothing more, so it gets no connection and its socket
   * is destroyed); a rejected decision goes to `refuse`, and so does the timeout (with null).
   * An exception of `complete` (a `headers` listener, the connection callback) is the
   * user's: it is rethrown as an uncaught exception, not left as an unhandled rejection.
   */
  wait<T>(
    socket: Socket,
    stream: ServerHttp2Stream | undefined,
    decision: PromiseLike<T>,
    complete: (result: T) => void,
    refuse: (error: unknown) => void,
  ): void {
    const transport: Socket | ServerHttp2Stream = stream ?? socket;
    // Bytes the client sends meanwhile (its first frames) wait in the socket, bounded by
    // its buffer, until the connection is adopted (the connection resumes it). An EOF with
    // nothing before it still ends the (paused) readable side: 'end' is emitted.
    if (stream === undefined) socket.pause();
    const pending: Pending = {
      socket,
      timer: setTimeout(() => {
        if (pending.done) return;
        this.#finish(pending);
        refuse(null);
      }, this.#timeout),
      done: false,
    };
    this.#set.add(pending);
    const onClose = (): void => this.#finish(pending);
    const onEnd = (): void => {
      this.#finish(pending);
      transport.destroy();
    };
    transport.once('close', onClose);
    transport.once('end', onEnd);
    const settle = (): boolean => {
      if (pending.done) return false;
      this.#finish(pending);
      transport.off('close', onClose);
      transport.off('end', onEnd);
      return !transport.destroyed && !(stream?.closed ?? false) && !transport.readableEnded;
    };
    decision.then(
      (result) => {
        if (!settle()) return;
        try {
          complete(result);
        } catch (error) {
          process.nextTick(rethrow, error);
        }
      },
      (error: unknown) => {
        if (settle()) refuse(error);
      },
    );
  }

  /** Ends every pending handshake and destroys its socket (the server is closing). */
  destroyAll(): void {
    for (const pending of this.#set) {
      this.#finish(pending);
      pending.socket.destroy();
    }
  }

  #finish(pending: Pending): void {
    if (pending.done) return;
    pending.done = true;
    clearTimeout(pending.timer);
    this.#set.delete(pending);
  }
}
