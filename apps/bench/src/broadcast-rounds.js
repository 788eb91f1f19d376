// The broadcast loop shared by every server of the broadcast benchmark (Node and Bun), so
// all of them publish the same way: rounds of `burst` 128-byte text messages to every
// client, the next round as soon as the event loop is free, paused while the sum of the
// clients' outgoing queues is above `highWater` bytes (the same flow control for all).

/** The 128-byte text message every server broadcasts. */
export const MESSAGE = 'm'.repeat(128);

/**
 * Runs rounds forever: `publishOne()` is called `burst` times per round; `buffered()`
 * returns the bytes queued for all clients.
 */
export function runRounds({ burst, publishOne, buffered, highWater }) {
  const loop = () => {
    if (buffered() > highWater) {
      setTimeout(loop, 1);
      return;
    }
    for (let i = 0; i < burst; i++) publishOne();
    setImmediate(loop);
  };
  loop();
}

/** Parses the server scripts' arguments: <clients> <burst>. */
export function serverArgs(argv) {
  const [clients = '1000', burst = '10'] = argv;
  return { clients: Number(clients), burst: Number(burst), highWater: Number(clients) * 16 * 1024 };
}
