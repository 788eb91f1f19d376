/**
 * What the server attaches to a socket it takes over: the mark that makes a socket
 * belong to one upgrade only (`handleUpgrade` twice on one socket throws), and the
 * `'error'` listener of pending handshakes and connections. Shared functions, no closure
 * per socket.
 */
import type { Socket } from 'node:net';

/** A socket taken over by the server: `strataWebSocket` is its connection once adopted. */
export interface OwnedSocket extends Socket {
  /** `null` from `handleUpgrade` until the connection exists; the connection then. */
  strataWebSocket?: object | null;
}

/** The message `ws` throws with, kept so programs that match it keep working. */
const CLAIMED_TWICE =
  'server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration';

/**
 * Marks `socket` as taken by an upgrade.
 * @throws Error when it already was (two servers attached to one http server, both
 *   handling the same request)
 */
export function claimSocket(socket: Socket): void {
  const owned = socket as OwnedSocket;
  if (owned.strataWebSocket !== undefined) throw new Error(CLAIMED_TWICE);
  owned.strataWebSocket = null;
}

/**
 * The socket 'error' listener of pending handshakes and connections: errors are reported
 * through 'close' (code 1006 unless a close frame arrived first).
 */
export function ignoreSocketError(): void {}
