/**
 * Servers under test, each an echo server on 127.0.0.1 with and without permessage-deflate:
 * Strata (own port, HTTP/2 cleartext beside it), `ws`, Bun (`Bun.serve`), python3-websockets,
 * and Strata's engine on Bun and Deno through `@strata-ws/handler` (its echo-server fixtures).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from '@strata-ws/server';
import { WebSocketServer as WsServer } from 'ws';
import type { ServerTarget } from '../fuzz-client.js';
import { bunPath, denoPath, PYTHON, peerFile, pythonAvailable, startChild } from './process.js';

/** A started server and how to stop it. */
export interface RunningServer {
  target: ServerTarget;
  stop(): Promise<void>;
}

/** The allow-list of the handshake cases, plus the pages Chromium is driven from (127.0.0.1). */
const ORIGINS = /^(http:\/\/allowed\.example|http:\/\/127\.0\.0\.1:\d+)$/;
/** Requests without `Origin` (non-browser clients) pass too. */
const allowed = (origin?: string): boolean => origin === undefined || ORIGINS.test(origin);

/**
 * Strata's server on its own port, plus an h2c server for RFC 8441, with default limits.
 * `onConnection` gets each HTTP/1.1 WebSocket's socket as it opens (the soak records its bytes).
 */
export async function startStrata(
  deflate: boolean,
  onConnection?: (socket: Duplex) => void,
): Promise<RunningServer> {
  const perMessageDeflate = deflate ? { threshold: 0 } : false;
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate,
    origins: allowed,
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws, request) => {
    onConnection?.(request.socket);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const h2 = http2.createServer({ settings: { enableConnectProtocol: true } });
  const wss2 = new WebSocketServer({ http2: h2, perMessageDeflate, origins: allowed });
  wss2.on('connection', (ws) =>
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
  );
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  const { port } = wss.address() as AddressInfo;
  const h2Port = (h2.address() as AddressInfo).port;
  return {
    target: {
      name: `strata${deflate ? '+deflate' : ''}`,
      host: '127.0.0.1',
      port,
      origin: true,
      h2Port,
    },
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const ws of wss2.clients) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => wss2.close(resolve));
      // node:http2 waits for every session to end; do not hang on a peer that keeps one.
      await Promise.race([
        new Promise((resolve) => h2.close(resolve)),
        new Promise((resolve) => setTimeout(resolve, 2000)),
      ]);
    },
  };
}

/** `ws`'s server (npm), origin checked in `verifyClient`. */
export async function startWs(deflate: boolean): Promise<RunningServer> {
  const wss = new WsServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: deflate ? { threshold: 0 } : false,
    verifyClient: ({ origin }: { origin?: string }) => !origin || ORIGINS.test(origin),
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  });
  const { port } = wss.address() as AddressInfo;
  return {
    target: { name: `ws${deflate ? '+deflate' : ''}`, host: '127.0.0.1', port, origin: true },
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

async function startChildServer(
  name: string,
  command: string,
  args: string[],
  origin: boolean,
): Promise<RunningServer> {
  const child = startChild(command, args, 1_500_000);
  const ready = await child.firstJson;
  return {
    target: { name, host: '127.0.0.1', port: Number(ready.port), origin },
    stop: async () => {
      child.kill();
      await child.exited;
    },
  };
}

/** Bun's `Bun.serve` (no origin option: that is application code there). */
export async function startBun(deflate: boolean): Promise<RunningServer | null> {
  const bun = bunPath();
  if (!bun) return null;
  return startChildServer(
    `bun${deflate ? '+deflate' : ''}`,
    bun,
    [peerFile('bun-server.js'), deflate ? 'deflate' : 'none'],
    false,
  );
}

/** packages/handler, whose echo-server fixtures run Strata's engine on Bun and Deno. */
const HANDLER_DIR = fileURLToPath(new URL('../../../../packages/handler/', import.meta.url));

/** A handler fixture started by `command`; it prints `LISTENING <port>`. */
async function startHandlerFixture(
  name: string,
  command: string,
  args: string[],
): Promise<RunningServer | null> {
  if (!existsSync(join(HANDLER_DIR, args.find((a) => a.endsWith('.ts')) ?? ''))) return null;
  const child = startChild(command, args, 1_500_000, HANDLER_DIR);
  const [, port] = await child.stdoutMatch(/LISTENING (\d+)/);
  return {
    target: { name, host: '127.0.0.1', port: Number(port), origin: false },
    stop: async () => {
      child.kill();
      await child.exited;
    },
  };
}

/**
 * `@strata-ws/handler/bun` in its `strata` mode (Strata's engine over `Bun.listen`), from the
 * handler's echo-server fixture, default limits.
 */
export async function startHandlerBun(deflate: boolean): Promise<RunningServer | null> {
  const bun = bunPath();
  if (!bun) return null;
  return startHandlerFixture(`strata handler/bun${deflate ? '+deflate' : ''}`, bun, [
    '--conditions=strata-source',
    'test/bun/echo-server.ts',
    'strata',
    deflate ? 'deflate' : 'none',
  ]);
}

/** `@strata-ws/handler/deno` in its `strata` mode (Strata's engine over `Deno.listen`). */
export async function startHandlerDeno(deflate: boolean): Promise<RunningServer | null> {
  const deno = denoPath();
  if (!deno) return null;
  return startHandlerFixture(`strata handler/deno${deflate ? '+deflate' : ''}`, deno, [
    'run',
    '-A',
    '--conditions=strata-source',
    '--sloppy-imports',
    'test/deno/echo-server.ts',
    'strata',
    deflate ? 'deflate' : 'none',
  ]);
}

/** python3-websockets' `serve` (its origins option is not set: Chromium's page origin varies). */
export async function startPython(deflate: boolean): Promise<RunningServer | null> {
  if (!pythonAvailable()) return null;
  return startChildServer(
    `python-websockets${deflate ? '+deflate' : ''}`,
    PYTHON,
    [peerFile('python_server.py'), deflate ? 'deflate' : 'none'],
    true,
  );
}

/**
 * Strata on a TLS HTTP/2 server (self-signed certificate made with Debian's openssl) that also
 * takes HTTP/1.1 upgrades: for Chromium over `h2` (RFC 8441). Records each connection's transport.
 */
export async function startStrataTls(
  deflate: boolean,
): Promise<(RunningServer & { transports: string[] }) | null> {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-tls-'));
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { timeout: 30_000 },
  );
  if (made.status !== 0) return null;
  const key = readFileSync(join(dir, 'key.pem'));
  const cert = readFileSync(join(dir, 'cert.pem'));
  rmSync(dir, { recursive: true, force: true });
  const h2 = http2.createSecureServer({
    key,
    cert,
    allowHTTP1: true,
    settings: { enableConnectProtocol: true },
  });
  const wss = new WebSocketServer({
    http2: h2,
    perMessageDeflate: deflate ? { threshold: 0 } : false,
  });
  const transports: string[] = [];
  wss.on('connection', (ws) => {
    transports.push(ws.transport);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  // The agent page, from this same origin: Chromium sends an RFC 8441 extended CONNECT only
  // on an HTTP/2 session it already holds to the origin (it opens no h2 connection for a
  // WebSocket alone), so the page must be loaded over h2 from here first.
  const agentSource = readFileSync(peerFile('agent.js'));
  h2.on('stream', (stream, headers) => {
    if (headers[':method'] !== 'GET') return;
    const path = headers[':path'];
    if (path === '/agent.js') {
      stream.respond({ ':status': 200, 'content-type': 'text/javascript' });
      stream.end(agentSource);
    } else if (path === '/') {
      stream.respond({ ':status': 200, 'content-type': 'text/html; charset=utf-8' });
      stream.end('<!doctype html><title>agent over h2</title>');
    } else {
      stream.respond({ ':status': 404 });
      stream.end();
    }
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
  const { port } = h2.address() as AddressInfo;
  return {
    target: { name: `strata h2+tls${deflate ? '+deflate' : ''}`, host: '127.0.0.1', port },
    transports,
    stop: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
      // A browser keeps its h2 session pooled; node:http2 would wait for it to end.
      for (const session of sessions) session.destroy();
      await new Promise((resolve) => h2.close(resolve));
    },
  };
}
