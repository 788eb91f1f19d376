/**
 * Shared pieces of the interop suites: a Strata echo server that records what it saw, and a
 * bounded child-process runner for the foreign peers (python, Bun, Deno).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  type PerMessageDeflateOptions,
  type ServerWebSocket,
  WebSocketServer,
} from '@strata-ws/server';
import { CHROMIUM_EXECUTABLE } from '@strata-ws/test-vectors';

/** One connection as the Strata server saw it. */
export interface ServerRecord {
  /** `Sec-WebSocket-Extensions` of the 101 ('' when nothing was negotiated). */
  extensions: string;
  /** The request's `Sec-WebSocket-Extensions` offer ('' when none). */
  offered: string;
  /** Messages received, in order. */
  messages: { isBinary: boolean; length: number }[];
  /** The server's `close` event. */
  close: Promise<{ code: number; reason: string }>;
  /**
   * Who closed TCP first, seen from the server when the peer's FIN arrives: `'server'` if the
   * server had already ended its side (RFC 6455 §7.1.1 wants the server to go first),
   * `'peer'` if not; `'none'` while no FIN came (e.g. the socket was destroyed).
   */
  firstFin: 'server' | 'peer' | 'none';
}

export interface EchoServer {
  url: string;
  port: number;
  wss: WebSocketServer;
  /** Connections in the order they opened. */
  connections: ServerRecord[];
  stop(): Promise<void>;
}

/**
 * What every peer talks to: echoes each message with its type; a text message
 * `close:<code>:<reason>` makes the server close with that code and reason instead.
 */
export function echo(ws: ServerWebSocket): void {
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.length < 200) {
      const text = data.toString('utf8');
      if (text.startsWith('close:')) {
        const [, code, ...reason] = text.split(':');
        ws.close(Number(code), reason.join(':'));
        return;
      }
    }
    ws.send(data, { binary: isBinary });
  });
}

/** Extra settings of {@link startEchoServer}. */
export interface EchoServerOptions {
  /** Attach to this http server (not listening yet) instead of creating one. */
  server?: HttpServer;
  /** Subprotocols in server preference order. */
  protocols?: string[];
  /** A text message the server sends first on every connection. */
  greeting?: string;
}

/**
 * Starts a Strata `WebSocketServer` on 127.0.0.1 running {@link echo}: on its own port, or
 * attached to `options.server`. `perMessageDeflate: true` means `{ threshold: 0 }`
 * (every message compressed).
 */
export async function startEchoServer(
  perMessageDeflate: boolean | PerMessageDeflateOptions,
  options: EchoServerOptions = {},
): Promise<EchoServer> {
  const { server, protocols, greeting } = options;
  const deflate = perMessageDeflate === true ? { threshold: 0 } : perMessageDeflate;
  const wss = server
    ? new WebSocketServer({ server, perMessageDeflate: deflate, protocols })
    : new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate, protocols });
  if (server) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  else await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const connections: ServerRecord[] = [];
  wss.on('connection', (ws, request) => {
    const offered = request.headers['sec-websocket-extensions'];
    const record: ServerRecord = {
      extensions: ws.extensions,
      offered: Array.isArray(offered) ? offered.join(', ') : (offered ?? ''),
      messages: [],
      close: new Promise((resolve) =>
        ws.once('close', (code, reason) => resolve({ code, reason })),
      ),
      firstFin: 'none',
    };
    // Prepended, so that it runs before the server's own 'end' handling answers the FIN.
    ws.socket.prependOnceListener('end', () => {
      record.firstFin = ws.socket.writableEnded ? 'server' : 'peer';
    });
    ws.on('message', (data, isBinary) => record.messages.push({ isBinary, length: data.length }));
    connections.push(record);
    echo(ws);
    if (greeting !== undefined) ws.send(greeting);
  });
  const { port } = (server ?? wss).address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    port,
    wss,
    connections,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => {
          if (server) server.close(() => resolve());
          else resolve();
        });
      }),
  };
}

/** The path of a file in `apps/interop/peers/`. */
export function peerFile(name: string): string {
  return fileURLToPath(new URL(`../peers/${name}`, import.meta.url));
}

export const PYTHON = '/usr/bin/python3';
export const CHROMIUM: string = CHROMIUM_EXECUTABLE;

/** Whether Debian's python3 with the `websockets` module is present. */
export function pythonWebsocketsAvailable(): boolean {
  return (
    existsSync(PYTHON) &&
    spawnSync(PYTHON, ['-c', 'import websockets'], { timeout: 10_000 }).status === 0
  );
}

/** Whether `npx <tool> --version` works (bun, deno; installed as devDependencies). */
export function npxToolAvailable(tool: string): boolean {
  return spawnSync('npx', ['--no-install', tool, '--version'], { timeout: 20_000 }).status === 0;
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, killed after `timeoutMs`; never rejects. */
export function run(command: string, args: string[], timeoutMs: number): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last line of a peer's stdout, parsed as the JSON report it prints. */
export function report<T>(result: ProcessResult): T {
  const lines = result.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(
      `peer printed no JSON report (exit ${result.code})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
  }
}

/** A deterministic payload of at least `bytes` UTF-8 bytes that compresses well (multi-byte text). */
export function largeText(bytes: number): string {
  const unit = 'Strata ✓ WebSocket — 你好 🌍 permessage-deflate; ';
  return unit.repeat(Math.ceil(bytes / Buffer.byteLength(unit)));
}
