// Recipe: `handleUpgrade` with a bare node:http server: one port for HTTP and WebSockets, the
// routing yours. `noServer: true` makes the WebSocketServer wait for sockets you hand it.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'strata-ws';

export function createHttpAndWebSocketServer(): { http: Server; wss: WebSocketServer } {
  const http = createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`plain HTTP at ${req.url}\n`);
  });
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  http.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    // node:http types the socket as a Duplex; on a TCP server it is a net.Socket.
    wss.handleUpgrade(req, socket as Socket, head, (ws) => wss.emit('connection', ws, req));
  });
  return { http, wss };
}
