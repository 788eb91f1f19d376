// Recipe: backpressure. `send()` returns false once more than `highWaterMark` bytes are queued
// for a peer; stop producing then and continue on 'drain'. A producer written this way never
// holds more than about one high-water mark per connection, however slow the reader.
import type { ServerWebSocket } from 'strata-ws';

/**
 * Sends `count` messages made by `make(i)`, pausing whenever the connection's queue is full.
 * Resolves with how many times it had to wait for 'drain'.
 */
export async function sendAll(
  ws: ServerWebSocket,
  count: number,
  make: (i: number) => Uint8Array,
): Promise<number> {
  let waits = 0;
  for (let i = 0; i < count; i++) {
    if (ws.readyState !== 1) throw new Error('connection closed while sending');
    if (!ws.send(make(i), { binary: true })) {
      waits++;
      await new Promise<void>((resolve, reject) => {
        const onClose = () => reject(new Error('connection closed while waiting for drain'));
        ws.once('drain', () => {
          ws.off('close', onClose);
          resolve();
        });
        ws.once('close', onClose);
      });
    }
  }
  return waits;
}
