/**
 * Interop against real peers, each with and without permessage-deflate: the Strata server
 * (`@strata-ws/server`), `ws`, and Debian's python3-websockets. The same scenario runs
 * against every peer: text/binary echo (small and large), subprotocols, a server-initiated
 * close with a code, and a client-initiated close — events asserted in order.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer as StrataServer } from '@strata-ws/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer as WsServer } from 'ws';
import { type CloseEvent, WebSocket } from '../src/index.js';
import { nextEvent } from './helpers.js';

interface Peer {
  url: string;
  compressed: boolean;
  /** Whether the peer echoes the first offered subprotocol. */
  protocols: boolean;
  /** Whether the peer's close reply repeats the reason. */
  echoesReason: boolean;
  close: () => Promise<void>;
}

function wsHandler(socket: import('ws').WebSocket): void {
  socket.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'close-me') socket.close(4001, 'bye');
    else socket.send(data, { binary: isBinary });
  });
}

async function startWs(compressed: boolean): Promise<Peer> {
  const server = new WsServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: compressed ? { threshold: 0 } : false,
    handleProtocols: (set) => [...set][0] ?? false,
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', wsHandler);
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    compressed,
    protocols: true,
    echoesReason: true,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
}

async function startStrata(compressed: boolean): Promise<Peer> {
  const server = new StrataServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: compressed ? { threshold: 0 } : false,
    handleProtocols: (set: ReadonlySet<string> | readonly string[]) => [...set][0] ?? false,
  } as ConstructorParameters<typeof StrataServer>[0]);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (socket) => {
    socket.on('message', (data: Uint8Array | string, isBinary: boolean) => {
      const text = isBinary ? '' : Buffer.from(data as Uint8Array).toString();
      if (text === 'close-me') socket.close(4001, 'bye');
      else socket.send(data, { binary: isBinary });
    });
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    compressed,
    protocols: true,
    echoesReason: false,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const PYTHON = '/usr/bin/python3';
function pythonAvailable(): boolean {
  if (!existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ['-c', 'import websockets']);
  return r.status === 0;
}

async function startPython(compressed: boolean): Promise<Peer> {
  const child: ChildProcess = spawn(
    PYTHON,
    [
      new URL('./fixtures/python_echo.py', import.meta.url).pathname,
      compressed ? 'deflate' : 'none',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`python exited with ${code}`)));
  });
  return {
    url: `ws://127.0.0.1:${port}/`,
    compressed,
    protocols: false,
    echoesReason: true,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill(), 2000).unref();
      }),
  };
}

function log(ws: WebSocket): string[] {
  const out: string[] = [];
  ws.addEventListener('open', () => out.push('open'));
  ws.addEventListener('error', () => out.push('error'));
  ws.addEventListener('close', (e) => {
    const c = e as CloseEvent;
    out.push(`close:${c.code}:${c.wasClean}:${c.reason}`);
  });
  return out;
}

function message(ws: WebSocket): Promise<MessageEvent> {
  return nextEvent<MessageEvent>(ws, 'message');
}

const hasPython = pythonAvailable();
const peers: [string, (compressed: boolean) => Promise<Peer>, boolean][] = [
  ['Strata server', startStrata, true],
  ['ws', startWs, true],
  ['python3-websockets', startPython, hasPython],
];

for (const [name, start, available] of peers) {
  for (const compressed of [false, true]) {
    describe.skipIf(!available)(
      `${name}, ${compressed ? 'with' : 'without'} permessage-deflate`,
      () => {
        let peer: Peer;
        beforeAll(async () => {
          peer = await start(compressed);
        });
        afterAll(() => peer.close());

        it('echoes text and binary, small and large, in order', async () => {
          const ws = new WebSocket(peer.url);
          ws.binaryType = 'arraybuffer';
          const events = log(ws);
          await nextEvent(ws, 'open');
          expect(ws.extensions.startsWith('permessage-deflate')).toBe(compressed);
          const large = 'é'.repeat(100_000);
          const binary = new Uint8Array(256 * 1024).map((_, i) => (i * 31) & 0xff);
          const received: unknown[] = [];
          ws.onmessage = (e: MessageEvent) => received.push(e.data);
          ws.send('hello');
          ws.send(binary);
          ws.send(large);
          ws.send(new Blob(['blob']));
          ws.send('');
          while (received.length < 5) await message(ws);
          expect(received[0]).toBe('hello');
          expect(Buffer.compare(Buffer.from(received[1] as ArrayBuffer), binary)).toBe(0);
          expect(received[2] === large).toBe(true);
          expect(Buffer.from(received[3] as ArrayBuffer).toString()).toBe('blob');
          expect(received[4]).toBe('');
          expect(ws.bufferedAmount).toBe(0);
          ws.close(1000, 'done');
          await nextEvent(ws, 'close');
          // RFC 6455 §5.5.1: the reply echoes the code; echoing the reason is the peer's choice.
          expect(events).toEqual(['open', `close:1000:true:${peer.echoesReason ? 'done' : ''}`]);
        });

        it('negotiates a subprotocol', async () => {
          if (!peer.protocols) return;
          const ws = new WebSocket(peer.url, ['first', 'second']);
          await nextEvent(ws, 'open');
          expect(ws.protocol).toBe('first');
          ws.close();
          const c = await nextEvent<CloseEvent>(ws, 'close');
          expect([c.code, c.wasClean]).toEqual([1005, true]);
        });

        it('reports a server-initiated close with its code and reason', async () => {
          const ws = new WebSocket(peer.url);
          const events = log(ws);
          await nextEvent(ws, 'open');
          ws.send('close-me');
          await nextEvent(ws, 'close');
          expect(events).toEqual(['open', 'close:4001:true:bye']);
          ws.send('after');
          expect(ws.bufferedAmount).toBe(5);
        });
      },
    );
  }
}
