// Recipe (@strata-ws/handler): Hono on Bun with Hono's own `upgradeWebSocket` and `websocket`
// from `hono/bun`, run through the handler's `native` mode: Bun.serve owns HTTP, Hono routes,
// and the handler's `upgrade` hook answers first (401 here without a user name). Hono's
// `server.upgrade(...)` upgrades with the hook's context and subprotocol; Hono's events run
// on Bun's socket and `peerOf(ws.raw)` gives the handler's peer. `native` mode because Hono
// needs an HTTP server and Bun.serve never hands out a request's raw socket, which Strata's
// engine (`strata` mode, a listener that speaks only the upgrade) would need.
import { createHandler, peerOf } from '@strata-ws/handler/bun';
import { Hono } from 'hono';
import { upgradeWebSocket, websocket } from 'hono/bun';
import { type ChatContext, chatEvents, chatGate } from './hono-events.js';

export function startHonoBunChat(port = 0) {
  const app = new Hono();
  const handler = createHandler<ChatContext>(chatGate, {
    mode: 'native',
    port,
    host: '127.0.0.1',
    fetch: app.fetch,
    websocket,
  });
  app.get('/health', (c) => c.json({ ok: true, peers: handler.peers.size }));
  app.get(
    '/chat',
    upgradeWebSocket(() => chatEvents(peerOf<ChatContext>)),
  );
  return handler;
}
