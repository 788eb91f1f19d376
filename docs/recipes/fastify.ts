// Recipe: Fastify. Fastify owns its node:http server (`app.server`); upgrades on it go to a
// `noServer` WebSocketServer through `handleUpgrade`. Closing Fastify first runs the
// WebSocket shutdown (preClose hook, before the HTTP server waits for its connections), so clients get a 1001.

import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'strata-ws';

export function createFastifyApp(): { app: FastifyInstance; wss: WebSocketServer } {
  const app = Fastify();
  const wss = new WebSocketServer({ noServer: true });
  app.get('/health', async () => ({ ok: true, connections: wss.clients.size }));
  app.server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/ws') {
      socket.destroy();
      return;
    }
    // node:http types the socket as a Duplex; on a TCP server it is a net.Socket.
    wss.handleUpgrade(req, socket as Socket, head, (ws) => wss.emit('connection', ws, req));
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  app.addHook('preClose', async () => {
    await wss.shutdown({ code: 1001, timeout: 2000 });
  });
  return { app, wss };
}
