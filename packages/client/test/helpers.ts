import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** A `ws` server on 127.0.0.1 with an arbitrary port; closed by `close()`. */
export async function startWsServer(
  options: ConstructorParameters<typeof WebSocketServer>[0] = {},
): Promise<{ server: WebSocketServer; url: string; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `ws://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** Records the events of a WebSocket-like target as strings, in order. */
export function recordEvents(
  target: EventTarget,
  describe: (event: Event) => string = (event) => event.type,
): string[] {
  const log: string[] = [];
  for (const type of ['open', 'message', 'error', 'close']) {
    target.addEventListener(type, (event) => log.push(describe(event)));
  }
  return log;
}

/** Resolves with the next event of `type`. */
export function nextEvent<E extends Event = Event>(target: EventTarget, type: string): Promise<E> {
  return new Promise((resolve) => {
    target.addEventListener(type, (event) => resolve(event as E), { once: true });
  });
}
