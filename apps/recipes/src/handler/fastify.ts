// Recipe (@strata-ws/handler): Fastify, next to @fastify/websocket. An app that already has
// @fastify/websocket routes keeps them; upgrades for /chat go to the handler instead. Both
// listen to the same node:http `upgrade` event, so one dispatcher, installed once Fastify is
// ready, hands each upgrade to exactly one of them. Closing Fastify closes the peers (1001).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import fastifyWebsocket from '@fastify/websocket';
import { createHandler, type NodeHandler } from '@strata-ws/handler/node';
import Fastify, { type FastifyInstance } from 'fastify';
import { chat } from './chat.js';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export async function createFastifyChat(): Promise<{
  app: FastifyInstance;
  handler: NodeHandler<{ user: string }>;
}> {
  const app = Fastify();
  await app.register(fastifyWebsocket);
  // An existing @fastify/websocket route: it keeps working as before.
  app.get('/legacy', { websocket: true }, (socket) => {
    socket.on('message', (data) => socket.send(`legacy: ${data}`));
  });
  app.get('/health', async () => ({ ok: true }));

  const handler = createHandler(chat);
  app.addHook('preClose', async () => {
    await handler.close({ timeout: 2_000 });
  });
  await app.ready();
  const others = app.server.listeners('upgrade') as UpgradeListener[];
  app.server.removeAllListeners('upgrade');
  app.server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/chat') {
      handler.handleUpgrade(req, socket, head);
    } else {
      for (const listener of others) listener.call(app.server, req, socket, head);
    }
  });
  return { app, handler };
}
