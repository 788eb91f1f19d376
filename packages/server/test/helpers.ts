import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { WebSocketServer, type WebSocketServerOptions } from '../src/index.js';

/** Starts a server on 127.0.0.1 with a free port. */
export async function startServer<D = unknown>(
  options: Omit<WebSocketServerOptions<D>, 'port' | 'server' | 'noServer'> = {},
): Promise<{ wss: WebSocketServer<D>; url: string; port: number }> {
  const wss = new WebSocketServer<D>({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  return { wss, url: `ws://127.0.0.1:${port}/`, port };
}

/** Closes every client and the server. */
export async function stopServer(wss: WebSocketServer<unknown>): Promise<void> {
  for (const ws of wss.clients) ws.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** Opens a `ws` client and waits for it to be open. */
export async function openClient(
  url: string,
  options?: WebSocket.ClientOptions,
): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  await once(ws, 'open');
  return ws;
}

/** Echo handler: every message back with its type. */
export function echo(wss: WebSocketServer<unknown>): void {
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
}
