// Recipe: graceful shutdown. On SIGTERM/SIGINT: stop accepting (new handshakes get 503), send
// every client a 1001 close frame behind what is already queued for it, wait for the closing
// handshakes, terminate whoever is still there after `timeoutMs`, then let the process exit.
import type { WebSocketServer } from 'strata-ws';

/** Installs the signal handlers; returns a function that removes them. */
export function shutdownOnSignals(
  wss: WebSocketServer,
  { timeoutMs = 10_000, onDone = (_r: { closed: number; terminated: number }) => {} } = {},
): () => void {
  const stop = async () => {
    remove();
    const result = await wss.shutdown({
      code: 1001,
      reason: 'server restarting',
      timeout: timeoutMs,
    });
    onDone(result);
  };
  const remove = () => {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return remove;
}
