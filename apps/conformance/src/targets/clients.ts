/**
 * Clients under test, as agents of the fuzzing server (`launch(base)`) and as exchange clients
 * of the interop matrix (`exchange(url)`): Strata's `WebSocket` and `WebSocketStream`, `ws`,
 * Node's built-in `WebSocket` (undici, `--experimental-websocket` on Node 20), Bun's
 * `WebSocket`, python3-websockets and headless Chromium.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket as StrataWebSocket, WebSocketStream } from '@strata-ws/client';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '@strata-ws/test-vectors';
import { chromium } from 'playwright-core';
import { WebSocket as WsWebSocket } from 'ws';
import { type ExchangeResult, exchange, runAgent } from '../../peers/agent.js';
import { bunPath, PYTHON, peerFile, pythonAvailable, startChild } from './process.js';

/** A client under test. */
export interface ClientImpl {
  name: string;
  /** Runs the fuzzing server's cases from `base` (resolves when the agent is done). */
  launch(base: string): Promise<unknown>;
  /** The interop exchange against an echo server. */
  exchange(url: string): Promise<ExchangeResult>;
  /**
   * Browsers: the exchange from a page loaded from `pageUrl` (which must serve `/agent.js`),
   * e.g. a TLS HTTP/2 origin whose session the WebSocket then shares (RFC 8441).
   */
  exchangeFrom?(pageUrl: string, url: string): Promise<ExchangeResult>;
  close?(): Promise<void>;
}

/** A constructor taking only the URL, for the agent. */
function ctor(make: (url: string) => unknown): unknown {
  return function Bound(this: unknown, url: string) {
    return make(url);
  };
}

/** Strata's WHATWG `WebSocket`. */
export function strataClient(deflate: boolean): ClientImpl {
  const WS = ctor((url) => new StrataWebSocket(url, [], { perMessageDeflate: deflate }));
  return {
    name: `strata WebSocket${deflate ? '' : ' (no deflate)'}`,
    launch: (base) => runAgent(base, WS),
    exchange: (url) => exchange(url, WS),
  };
}

/** Strata's `WebSocketStream` as an agent: echoes through its streams. */
export function strataStreamClient(deflate: boolean): ClientImpl {
  const once = async (url: string): Promise<{ events: string[]; done: boolean }> => {
    const events: string[] = [];
    let wss: WebSocketStream;
    try {
      wss = new WebSocketStream(url, { perMessageDeflate: deflate });
    } catch (error) {
      return { events: [`throw:${(error as Error).name}`], done: false };
    }
    try {
      const { readable, writable } = await wss.opened;
      events.push('open');
      const writer = writable.getWriter();
      try {
        for await (const chunk of readable as AsyncIterable<string | Uint8Array>)
          await writer.write(chunk);
      } catch {
        events.push('error');
      }
    } catch {
      events.push('error');
    }
    try {
      const { closeCode, reason } = await wss.closed;
      events.push(`close:${closeCode}:clean`);
      return { events, done: closeCode === 4999 && reason === 'conformance:done' };
    } catch (error) {
      events.push(`close:${(error as { closeCode?: number }).closeCode ?? 1006}:unclean`);
      return { events, done: false };
    }
  };
  const launch = async (base: string) => {
    let prev = '';
    for (let i = 0; i < 2000; i++) {
      const r = await once(`${base}next?prev=${encodeURIComponent(prev)}`);
      if (r.done) return;
      prev = r.events.join(',');
    }
  };
  const exchangeStream = async (url: string): Promise<ExchangeResult> => {
    const problems: string[] = [];
    const wss = new WebSocketStream(url, { perMessageDeflate: deflate });
    const { readable, writable, extensions } = await wss.opened;
    const writer = writable.getWriter();
    const reader = readable.getReader();
    const messages: (string | Uint8Array)[] = [
      '',
      'hello ✓',
      new Uint8Array(0),
      new Uint8Array(125).fill(1),
      'x'.repeat(65535),
      new Uint8Array(65536).fill(7),
      'κ'.repeat(524288),
      new Uint8Array(2 * 1024 * 1024).fill(9),
    ];
    for (const [i, m] of messages.entries()) {
      await writer.write(m);
      const { value } = await reader.read();
      const same =
        typeof m === 'string'
          ? value === m
          : value instanceof Uint8Array && Buffer.from(value).equals(Buffer.from(m));
      if (!same) problems.push(`echo ${i + 1} differs`);
    }
    wss.close({ closeCode: 1000, reason: 'bye' });
    const closed = await wss.closed.catch((error: { closeCode?: number }) => ({
      closeCode: error.closeCode ?? 1006,
    }));
    if (closed.closeCode !== 1000) problems.push(`closed with ${closed.closeCode}`);
    return { ok: problems.length === 0, problems, extensions, close: closed.closeCode ?? 1006 };
  };
  return {
    name: `strata WebSocketStream${deflate ? '' : ' (no deflate)'}`,
    launch,
    exchange: exchangeStream,
  };
}

/** `ws`'s client (npm). */
export function wsClient(): ClientImpl {
  const WS = ctor((url) => new WsWebSocket(url));
  return { name: 'ws', launch: (base) => runAgent(base, WS), exchange: (url) => exchange(url, WS) };
}

function childExchange(command: string, args: string[]): Promise<ExchangeResult> {
  const child = startChild(command, args, 60_000);
  return child.firstJson.then(
    (json) => json as unknown as ExchangeResult,
    (error: Error) => ({ ok: false, problems: [error.message], extensions: '', close: 0 }),
  );
}

function childAgent(command: string, args: string[]): (base: string) => Promise<unknown> {
  return async (base) => {
    const child = startChild(command, [...args, base], 600_000);
    const code = await child.exited;
    if (code !== 0) throw new Error(`agent exited with ${code}: ${child.stderr().slice(-300)}`);
  };
}

/** Node's built-in `WebSocket` (undici) in a child process (the flag it needs on Node 20). */
export function nodeClient(): ClientImpl {
  const flags =
    Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-websocket'] : [];
  const agent = peerFile('agent.js');
  return {
    name: `node ${process.version} built-in WebSocket`,
    launch: childAgent(process.execPath, [...flags, agent]),
    exchange: (url) => childExchange(process.execPath, [...flags, agent, 'exchange', url]),
  };
}

/** Bun's `WebSocket` (npm `bun`). */
export function bunClient(): ClientImpl | null {
  const bun = bunPath();
  if (!bun) return null;
  const agent = peerFile('agent.js');
  return {
    name: 'bun WebSocket',
    launch: childAgent(bun, [agent]),
    exchange: (url) => childExchange(bun, [agent, 'exchange', url]),
  };
}

/** python3-websockets' `connect`. */
export function pythonClient(): ClientImpl | null {
  if (!pythonAvailable()) return null;
  const agent = peerFile('python_agent.py');
  return {
    name: 'python-websockets',
    launch: childAgent(PYTHON, [agent]),
    exchange: (url) => childExchange(PYTHON, [agent, 'exchange', url]),
  };
}

/** Headless Debian Chromium (playwright-core) with a page that loads agent.js. */
export async function chromiumClient(extraArgs: string[] = []): Promise<ClientImpl> {
  const agentSource = readFileSync(peerFile('agent.js'));
  const page = http.createServer((req, res) => {
    if (req.url === '/agent.js')
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(agentSource);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>agent</title>');
  });
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
  const profile = mkdtempSync(join(tmpdir(), 'conformance-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_EXECUTABLE,
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  const tab = context.pages()[0] ?? (await context.newPage());
  await tab.goto(origin);
  const version = context.browser()?.version() ?? '';
  return {
    name: `chromium ${version}`.trim(),
    // A string expression: vitest's transform would rewrite a dynamic import() in a function.
    launch: (base) =>
      tab.evaluate(
        `import('/agent.js').then((m) => m.runAgent(${JSON.stringify(base)}, WebSocket))`,
      ),
    exchange: (url) =>
      tab.evaluate(
        `import('/agent.js').then((m) => m.exchange(${JSON.stringify(url)}, WebSocket))`,
      ) as Promise<ExchangeResult>,
    exchangeFrom: async (pageUrl, url) => {
      const other = await context.newPage();
      try {
        await other.goto(pageUrl);
        return (await other.evaluate(
          `import('/agent.js').then((m) => m.exchange(${JSON.stringify(url)}, WebSocket))`,
        )) as ExchangeResult;
      } finally {
        await other.close();
      }
    },
    close: async () => {
      await context.close();
      await new Promise((resolve) => page.close(resolve));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
