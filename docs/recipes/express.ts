// Recipe: Express. Express handles the HTTP routes; the WebSocketServer attaches to the same
// node:http server's `upgrade` event (`server` option, with `path`), so both share one port.
import { createServer, type Server } from 'node:http';
import express from 'express';
import { WebSocketServer } from 'strata-ws';

export function createExpressApp(): { http: Server; wss: WebSocketServer } {
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ ok: true, connections: wss.clients.size });
  });
  const http = createServer(app);
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return { http, wss };
}
