// Recipe (@strata-ws/handler): Hono on Node. Hono's own `upgradeWebSocket` helper (from
// @hono/node-server 2) runs unchanged; the handler is its `websocket.server`, so every
// connection gets Strata's engine, limits and backpressure, and `peerOf(ws.raw)` gives the
// handler's peer (topics, send statuses) inside Hono's events. The handler's own hooks
// (here: an `upgrade` that requires a user name) run as well.
import type { ServerType } from '@hono/node-server';
import { serve, upgradeWebSocket } from '@hono/node-server';
import { defineHooks } from '@strata-ws/handler';
import { createHandler, type NodeHandler, peerOf } from '@strata-ws/handler/node';
import { Hono } from 'hono';

export function startHonoChat(): Promise<{ server: ServerType; handler: NodeHandler<unknown> }> {
  const handler = createHandler(
    defineHooks({
      upgrade(request) {
        if (!new URL(request.url).searchParams.get('user')) {
          return new Response('a user name is required', { status: 401 });
        }
      },
    }),
  );
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true, peers: handler.peers.size }));
  app.get(
    '/chat',
    upgradeWebSocket((c) => {
      const user = c.req.query('user') ?? 'anonymous';
      return {
        onOpen(_event, ws) {
          const peer = peerOf(ws.raw)!;
          peer.subscribe('chat');
          peer.publish('chat', `${user} joined`);
        },
        onMessage(event, ws) {
          peerOf(ws.raw)?.publish('chat', `${user}: ${event.data}`);
          ws.send('ok');
        },
        onClose(_event, ws) {
          peerOf(ws.raw)?.publish('chat', `${user} left`);
        },
      };
    }),
  );
  return new Promise((resolve) => {
    const server = serve(
      { fetch: app.fetch, port: 0, hostname: '127.0.0.1', websocket: { server: handler } },
      () => resolve({ server, handler }),
    );
  });
}
