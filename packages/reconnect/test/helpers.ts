/**
 * Test helpers: a Strata server with resumable sessions on a free loopback port, a TCP proxy
 * that can cut connections without a close frame or black-hole them, a manual clock, and
 * small event-waiting utilities.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  type AddressInfo,
  createServer,
  createConnection as netConnect,
  type Server,
  type Socket,
} from 'node:net';
import type { ServerWebSocket, WebSocketServer } from '@strata-ws/server';
import ts from 'typescript';
import type { Clock } from '../src/index.js';
import {
  createResumableServer,
  type ResumableSessions,
  type ResumeOptions,
  type ServerClock,
} from '../src/server.js';

/** A started server and how to stop it. */
export interface TestServer {
  readonly wss: WebSocketServer<unknown>;
  readonly sessions: ResumableSessions;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a Strata server (own port, 127.0.0.1) with resumable sessions. */
export async function startServer(
  resume: ResumeOptions = {},
  onConnection?: (ws: ServerWebSocket<unknown>, url: string) => void,
  port = 0,
): Promise<TestServer> {
  const { wss, sessions } = createResumableServer<unknown>({
    port,
    host: '127.0.0.1',
    heartbeatInterval: 0,
    resume,
  });
  if (onConnection) wss.on('connection', (ws, req) => onConnection(ws, req.url ?? ''));
  await once(wss, 'listening');
  const actual = (wss.address() as AddressInfo).port;
  return {
    wss,
    sessions,
    port: actual,
    url: `ws://127.0.0.1:${actual}/`,
    async close() {
      sessions.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * A TCP proxy on 127.0.0.1: `cut()` destroys every proxied connection (no close frame, no
 * FIN to the WebSocket layer's liking: the sockets just end); `blackhole(true)` stops
 * forwarding in both directions and holds new connections open without answering (no RST),
 * as a dead network does.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  readonly #held = new Set<Socket>();
  #blackholed = false;
  #target: number;
  port = 0;
  /** Connections accepted so far. */
  accepted = 0;

  constructor(targetPort: number) {
    this.#target = targetPort;
    this.#server = createServer((client) => this.#accept(client));
  }

  async listen(): Promise<this> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  set target(port: number) {
    this.#target = port;
  }

  #accept(client: Socket): void {
    this.accepted++;
    client.on('error', () => {});
    if (this.#blackholed) {
      this.#held.add(client);
      client.on('close', () => this.#held.delete(client));
      return;
    }
    const upstream = createConnection(this.#target);
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream, frozen: false };
    this.#pairs.add(pair);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => {
        if (!this.#blackholed && !pair.frozen) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  }

  /** Destroys every proxied connection: both ends see the TCP connection end, no close frame. */
  cut(): number {
    const n = this.#pairs.size;
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.#pairs.clear();
    return n;
  }

  /** Black-holes the connections open now (forever); new ones are forwarded normally. */
  freeze(): void {
    for (const pair of this.#pairs) pair.frozen = true;
  }

  /** Stops (true) or resumes (false) forwarding; while on, new connections are held silent. */
  blackhole(on: boolean): void {
    this.#blackholed = on;
    if (!on) {
      for (const socket of this.#held) socket.destroy();
      this.#held.clear();
    }
  }

  async close(): Promise<void> {
    this.cut();
    for (const socket of this.#held) socket.destroy();
    this.#held.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function createConnection(port: number): Socket {
  return netConnect({ port, host: '127.0.0.1' });
}

/** A manual clock: timers fire only when `advance` passes their time. */
export class ManualClock implements Clock, ServerClock {
  #now = 0;
  #next = 1;
  readonly #timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.#now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Timers pending, with their due times. */
  get pending(): number[] {
    return [...this.#timers.values()].map((t) => t.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let dueId = -1;
      let due = Number.POSITIVE_INFINITY;
      for (const [id, t] of this.#timers) {
        if (t.at <= end && t.at < due) {
          due = t.at;
          dueId = id;
        }
      }
      if (dueId < 0) break;
      const timer = this.#timers.get(dueId)!;
      this.#timers.delete(dueId);
      this.#now = timer.at;
      timer.callback();
    }
    this.#now = end;
  }
}

/** Resolves with the next event of `type` on `target` (rejects after `ms`). */
export function nextEvent<E extends Event = Event>(
  target: EventTarget,
  type: string,
  ms = 5000,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, on);
      reject(new Error(`no ${type} event within ${ms} ms`));
    }, ms);
    const on = (event: Event) => {
      clearTimeout(timer);
      target.removeEventListener(type, on);
      resolve(event as E);
    };
    target.addEventListener(type, on);
  });
}

/** Polls `condition` every 5 ms until true (rejects after `ms`). */
export async function until(
  condition: () => boolean,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A free loopback port (listen on 0, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The portable `.` entry compiled to ESM for browsers, Bun and Deno: every source file reachable
 * from src/index.ts through relative imports, transpiled with TypeScript (file name -> JS).
 */
export function compilePortable(): Map<string, string> {
  const out = new Map<string, string>();
  const pending = ['index'];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (out.has(`${name}.js`)) continue;
    const source = readFileSync(new URL(`../src/${name}.ts`, import.meta.url), 'utf8');
    for (const match of source.matchAll(/from '\.\/([\w-]+)\.js'/g)) pending.push(match[1]!);
    const { outputText } = ts.transpileModule(source, {
      fileName: `${name}.ts`,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    out.set(`${name}.js`, outputText);
  }
  return out;
}
