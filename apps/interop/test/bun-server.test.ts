/**
 * Strata client (`@strata-ws/client`: `WebSocket` and `WebSocketStream`) ↔ Bun's built-in
 * server (`Bun.serve` with `websocket`, peers/bun-server.js), with permessage-deflate enabled
 * on the server and without it. The client offers compression by default, as browsers do.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type CloseEvent, WebSocket, WebSocketStream } from '@strata-ws/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { largeText, npxToolAvailable, peerFile } from './helpers.js';

interface BunEvent {
  event: 'open' | 'message' | 'close';
  id: number;
  [key: string]: unknown;
}

interface BunServer {
  url: string;
  events: BunEvent[];
  /** Resolves with the server's `close` event of connection `id`. */
  closed(id: number): Promise<BunEvent>;
  /** Resolves once the server reported `count` messages on connection `id`. */
  messages(id: number, count: number): Promise<BunEvent[]>;
  stop(): Promise<void>;
}

async function startBunServer(compress: boolean): Promise<BunServer> {
  const child: ChildProcessWithoutNullStreams = spawn(
    'npx',
    ['bun', 'run', peerFile('bun-server.js'), compress ? 'deflate' : 'none'],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const events: BunEvent[] = [];
  const waiters: (() => void)[] = [];
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bun did not start: ${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`bun exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      const value = JSON.parse(line) as { port?: number } & BunEvent;
      if (value.port !== undefined) {
        clearTimeout(timer);
        resolve(value.port);
        return;
      }
      events.push(value);
      for (const wake of waiters.splice(0)) wake();
    });
  });
  const waitFor = <T>(what: string, find: () => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bun never reported ${what}`)), 10_000);
      const check = (): void => {
        const found = find();
        if (found === undefined) {
          waiters.push(check);
        } else {
          clearTimeout(timer);
          resolve(found);
        }
      };
      check();
    });
  const closed = (id: number): Promise<BunEvent> =>
    waitFor(`the close of ${id}`, () => events.find((e) => e.event === 'close' && e.id === id));
  const messages = (id: number, count: number): Promise<BunEvent[]> =>
    waitFor(`${count} messages on ${id}`, () => {
      const found = events.filter((e) => e.event === 'message' && e.id === id);
      return found.length >= count ? found : undefined;
    });
  return {
    url: `ws://127.0.0.1:${port}/`,
    events,
    closed,
    messages,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin.end();
      }),
  };
}

/** Deterministic incompressible bytes (xorshift32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const TEXTS = ['hello', '', 'héllo wörld — 你好 🌍 𝄞', largeText(1 << 20)];
const BINARIES = [
  Uint8Array.from({ length: 256 }, (_, i) => i),
  new Uint8Array(0),
  randomBytes(1 << 20, 6455),
  randomBytes(65536, 7),
];

/** Waits until the greeting is in (it may already be). */
async function allReceivedOrGreeting(received: unknown[]): Promise<void> {
  for (let i = 0; i < 200 && received.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function nextMessage(ws: WebSocket): Promise<string | ArrayBuffer> {
  return new Promise((resolve) =>
    ws.addEventListener('message', (event) => resolve((event as MessageEvent).data), {
      once: true,
    }),
  );
}

const available = npxToolAvailable('bun');

for (const compress of [true, false]) {
  describe.skipIf(!available)(
    `Strata client ↔ Bun.serve (${compress ? 'permessage-deflate' : 'no compression'})`,
    () => {
      let bun: BunServer;
      beforeAll(async () => {
        bun = await startBunServer(compress);
      }, 40_000);
      afterAll(() => bun?.stop());

      it('echoes text and binary in order, then reports the server close', async () => {
        const ws = new WebSocket(bun.url, ['strata.v2', 'strata.v1']);
        ws.binaryType = 'arraybuffer';
        const log: string[] = [];
        const received: (string | ArrayBuffer)[] = [];
        let expectedCount = 1 + TEXTS.length + BINARIES.length + 1;
        const allReceived = new Promise<void>((resolve) => {
          ws.addEventListener('message', (event) => {
            received.push((event as MessageEvent).data);
            log.push('message');
            if (received.length === expectedCount) resolve();
          });
        });
        const closed = new Promise<CloseEvent>((resolve) =>
          ws.addEventListener('close', (event) => {
            log.push('close');
            resolve(event as CloseEvent);
          }),
        );
        ws.addEventListener('error', () => log.push('error'));
        await new Promise((resolve) =>
          ws.addEventListener(
            'open',
            (event) => {
              log.push('open');
              resolve(event);
            },
            { once: true },
          ),
        );
        // The greeting may have been dispatched already (see the microtask test below).
        await allReceivedOrGreeting(received);

        // Compression: what the client offered (Bun reports it) and what the 101 agreed.
        expect(bun.events[0]).toMatchObject({ event: 'open', protocol: 'strata.v2' });
        expect(bun.events[0]!.offeredExtensions).toMatch(/^permessage-deflate/);
        expect(ws.protocol).toBe('strata.v2');
        if (compress) expect(ws.extensions).toMatch(/^permessage-deflate/);
        else expect(ws.extensions).toBe('');

        for (const text of TEXTS) ws.send(text);
        for (const bytes of BINARIES) ws.send(bytes);
        ws.send(new Blob(['blob ', new Uint8Array([0xf0, 0x9f, 0x8c, 0x8d])]));
        await allReceived;
        expectedCount = Number.POSITIVE_INFINITY;

        expect(received[0]).toBe('welcome ✓');
        const echoes = received.slice(1);
        for (let i = 0; i < TEXTS.length; i++) expect(echoes[i], `text ${i}`).toBe(TEXTS[i]);
        for (let i = 0; i < BINARIES.length; i++) {
          const echo = echoes[TEXTS.length + i];
          expect(echo, `binary ${i}`).toBeInstanceOf(ArrayBuffer);
          expect(
            Buffer.from(echo as ArrayBuffer).equals(Buffer.from(BINARIES[i]!)),
            `binary ${i}`,
          ).toBe(true);
        }
        expect(new Uint8Array(echoes.at(-1) as ArrayBuffer)).toEqual(
          new Uint8Array([...Buffer.from('blob '), 0xf0, 0x9f, 0x8c, 0x8d]),
        );

        // Bun saw the same messages with their types and sizes.
        const seen = await bun.messages(0, TEXTS.length + BINARIES.length + 1);
        expect(seen.map((e) => [e.isBinary, e.length])).toEqual([
          ...TEXTS.map((t) => [false, Buffer.byteLength(t)]),
          ...BINARIES.map((b) => [true, b.byteLength]),
          [true, 9],
        ]);

        ws.send('close:4002:bun says bye ✓');
        const event = await closed;
        expect([event.code, event.reason, event.wasClean]).toEqual([4002, 'bun says bye ✓', true]);
        expect(log).toEqual([
          'open',
          ...Array(1 + TEXTS.length + BINARIES.length + 1).fill('message'),
          'close',
        ]);
        expect(ws.readyState).toBe(WebSocket.CLOSED);
        expect(await bun.closed(0)).toMatchObject({ code: 4002 });
      });

      it('runs a microtask queued by the open listener before the first message (as browsers do)', async () => {
        // Bun writes its greeting right behind the 101, so both arrive in one chunk. The
        // standard queues a task per event, and a microtask checkpoint follows each
        // listener: Chromium, Bun and Deno run this microtask before the message event (see
        // exchange-suite.ts). Code written for browsers relies on it:
        // `await once(ws, 'open'); ws.onmessage = ...` must not miss the first message.
        const ws = new WebSocket(bun.url);
        const order: string[] = [];
        const closed = new Promise((resolve) => ws.addEventListener('close', resolve));
        ws.addEventListener('open', () =>
          queueMicrotask(() => order.push('microtask queued by open')),
        );
        const first = new Promise((resolve) =>
          ws.addEventListener(
            'message',
            (event) => {
              order.push('message');
              resolve(event);
            },
            { once: true },
          ),
        );
        await first;
        ws.close();
        await closed;
        expect(order).toEqual(['microtask queued by open', 'message']);
      });

      it('delivers a client-initiated close with its code and reason', async () => {
        const ws = new WebSocket(bun.url);
        const closed = new Promise<CloseEvent>((resolve) =>
          ws.addEventListener('close', (event) => resolve(event as CloseEvent)),
        );
        await nextMessage(ws); // the greeting: the connection is open
        ws.close(4003, 'strata bye ✓');
        expect(ws.readyState).toBe(WebSocket.CLOSING);
        const event = await closed;
        expect([event.code, event.wasClean]).toEqual([4003, true]);
        expect(await bun.closed(2)).toMatchObject({ code: 4003, reason: 'strata bye ✓' });
      });

      it('streams messages through WebSocketStream and closes with a code', async () => {
        const stream = new WebSocketStream(bun.url, { signal: AbortSignal.timeout(10_000) });
        const { readable, writable, extensions } = await stream.opened;
        if (compress) expect(extensions).toMatch(/^permessage-deflate/);
        else expect(extensions).toBe('');
        const reader = readable.getReader();
        const writer = writable.getWriter();
        expect((await reader.read()).value).toBe('welcome ✓');
        await writer.write('stream ✓');
        await writer.write(new Uint8Array([9, 8, 7]));
        expect((await reader.read()).value).toBe('stream ✓');
        expect((await reader.read()).value).toEqual(new Uint8Array([9, 8, 7]));
        stream.close({ closeCode: 4004, reason: 'stream bye' });
        expect(await stream.closed).toMatchObject({ closeCode: 4004 });
        expect(await bun.closed(3)).toMatchObject({ code: 4004, reason: 'stream bye' });
      });
    },
  );
}
