// Recipe (@strata-ws/handler): bare node:http. The handler attaches to the server's `upgrade`
// event; plain HTTP requests stay with the server's request listener.
import { createServer, type Server } from 'node:http';
import { createHandler, type NodeHandler } from '@strata-ws/handler/node';
import { chat } from './chat.js';

export function createChatServer(): { http: Server; handler: NodeHandler<{ user: string }> } {
  const http = createServer((_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('chat server: connect with ws://host/?user=<name>\n');
  });
  const handler = createHandler(chat, { server: http });
  return { http, handler };
}
