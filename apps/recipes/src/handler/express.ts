// Recipe (@strata-ws/handler): Express. Express handles HTTP; `app.listen` returns the
// node:http server, whose upgrades (only those for /chat) go to the handler.
import type { Server } from 'node:http';
import { createHandler, type NodeHandler } from '@strata-ws/handler/node';
import express from 'express';
import { chat } from './chat.js';

export function startExpressChat(port = 0): Promise<{
  http: Server;
  handler: NodeHandler<{ user: string }>;
}> {
  const app = express();
  const handler = createHandler(chat, { path: '/chat' });
  app.get('/health', (_req, res) => {
    res.json({ ok: true, peers: handler.peers.size });
  });
  return new Promise((resolve) => {
    const http = app.listen(port, '127.0.0.1', () => resolve({ http, handler }));
    http.on('upgrade', (req, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname === '/chat') {
        handler.handleUpgrade(req, socket, head);
      } else {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    });
  });
}
