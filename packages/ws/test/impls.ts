/**
 * The two implementations every compatibility case runs against: `ws` itself (npm) and this
 * package, both typed as `ws`'s module so that a case is written once from `ws`'s documentation.
 */
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ws from 'ws';
import * as strata from '../src/index.js';

/** `ws`'s module shape (default export plus named exports). */
export type WsModule = typeof ws;
/** `ws`'s client/server-socket class. */
export type WsSocket = ws.WebSocket;
/** `ws`'s server class. */
export type WsServer = ws.WebSocketServer;

/** [name, module] pairs for `describe.each`. */
export const implementations: ReadonlyArray<readonly [string, WsModule]> = [
  ['ws', ws],
  ['@strata-ws/ws', strata as unknown as WsModule],
];

/** A server on 127.0.0.1 with a free port. */
export async function listen(
  m: WsModule,
  options: ws.ServerOptions = {},
): Promise<{ wss: WsServer; url: string; port: number }> {
  const wss = new m.WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  return { wss, url: `ws://127.0.0.1:${port}`, port };
}

/** Terminates every client and closes the server. */
export async function shut(wss: WsServer): Promise<void> {
  for (const c of wss.clients ?? []) c.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** An http server on a free port (for `server` / `noServer` cases). */
export async function httpServer(
  handler?: http.RequestListener,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** Closes an http server and its connections. */
export async function closeHttp(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Resolves with the next event's arguments. */
export function next<T extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
): Promise<T> {
  return once(emitter, event) as Promise<T>;
}

/** Collects `close` (code, reason string) of a socket. */
export function closed(socket: WsSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    socket.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    );
  });
}
