// Recipe (@strata-ws/handler): h3 (v2) with its crossws WebSocket routes. The app is written
// for crossws exactly as h3's guide shows; the only change is the import of the adapter:
// `crossws/adapters/node` → `@strata-ws/handler/node` (same default export, same `resolve`).
import { createServer, type Server } from 'node:http';
import type { Hooks } from '@strata-ws/handler';
import crossws from '@strata-ws/handler/node';
import { defineWebSocketHandler, H3 } from 'h3';
import { toNodeHandler } from 'h3/node';

export function createH3Chat(): { http: Server; close: () => Promise<void> } {
  const app = new H3();
  app.get('/', () => 'h3 app');
  app.get(
    '/_ws',
    defineWebSocketHandler({
      upgrade(request) {
        if (!new URL(request.url).searchParams.get('user')) {
          throw new Response('a user name is required', { status: 401 });
        }
        return { context: { user: new URL(request.url).searchParams.get('user') } };
      },
      open(peer) {
        peer.subscribe('chat');
        peer.publish('chat', `${peer.context.user} joined`);
      },
      message(peer, message) {
        peer.publish('chat', `${peer.context.user}: ${message.text()}`);
        peer.send('ok');
      },
      close(peer) {
        peer.publish('chat', `${peer.context.user} left`);
      },
    }),
  );

  const ws = crossws({
    // h3 answers a WebSocket route with its hooks attached to the Response (`crossws`).
    resolve: async (request) =>
      ((await app.fetch(request)) as Response & { crossws?: unknown }).crossws as Hooks | undefined,
  });
  const http = createServer(toNodeHandler(app));
  http.on('upgrade', ws.handleUpgrade);
  return { http, close: () => ws.close() };
}
