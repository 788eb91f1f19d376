/**
 * Headless Chromium as the reference: the same page-level probe (test/fixtures/browser-probe.js)
 * runs against the same raw server scenario with Chromium's own WebSocket and with this
 * package's, and what the page observes — events, their order, readyState at each event,
 * bufferedAmount, exception names — must be identical.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from '@strata-ws/test-vectors';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from '../src/index.js';
import { closePayload, frame, type Scenario, startRawServer, switching } from './raw-server.js';

const CHROMIUM = CHROMIUM_EXECUTABLE;
const PROBE = readFileSync(new URL('./fixtures/browser-probe.js', import.meta.url), 'utf8');
const ARGS = [...CHROMIUM_ARGS];

// biome-ignore lint/complexity/useArrowFunction: the probe needs an async function body
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor as new (
  ...args: string[]
) => (webSocket: unknown, url: string, mode: string) => Promise<string[]>;
const nodeProbe = new AsyncFunction('WebSocket', 'url', 'mode', PROBE);

let context: BrowserContext | undefined;
let page: Page;
let profile: string;
let cleanup: (() => Promise<void>) | null = null;

afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

async function compare(scenario: Scenario, mode: string): Promise<string[]> {
  const server = await startRawServer(scenario);
  cleanup = server.close;
  // A string, so that nothing of this module (bundled imports) leaks into the page.
  const browser = (await page.evaluate(
    `(async () => {
      const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
      const probe = new AsyncFunction('WebSocket', 'url', 'mode', ${JSON.stringify(PROBE)});
      return probe(globalThis.WebSocket, ${JSON.stringify(server.url)}, ${JSON.stringify(mode)});
    })()`,
  )) as string[];
  const ours = await nodeProbe(WebSocket, server.url, mode);
  expect(ours).toEqual(browser);
  return ours;
}

const serverCloses: Scenario = (socket, req, received) => {
  socket.write(
    Buffer.concat([
      Buffer.from(switching(req)),
      frame(1, 'hi'),
      frame(2, Buffer.alloc(3)),
      frame(8, closePayload(4000, 'done')),
    ]),
  );
  void received.waitFor(8).then(() => socket.end());
};

const echoesClose: Scenario = (socket, req, received) => {
  socket.write(switching(req));
  void received.waitFor(8).then((payload) => socket.end(frame(8, payload)));
};

describe.skipIf(!existsSync(CHROMIUM))('against headless Chromium', () => {
  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'strata-client-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('constructor, send and close exceptions; attributes; [Clamp]; close while CONNECTING', async () => {
    const log = await compare(() => {}, 'exceptions');
    expect(log).toContain('close-1001:throw:InvalidAccessError');
  });

  it('a server-initiated close after messages', async () => {
    const log = await compare(serverCloses, 'events');
    expect(log).toEqual([
      'open@1',
      'message:hi@1',
      'message:binary(3)@1',
      'close:4000:true:done@3',
      'protocol:',
    ]);
  });

  it('close() while CONNECTING', async () => {
    const log = await compare(() => {}, 'close-connecting');
    expect(log.slice(0, 2)).toEqual(['sync:2', 'microtask:2']);
  });

  it('bufferedAmount, including data sent after close()', async () => {
    await compare(echoesClose, 'buffered');
  });

  it('close() from a message handler drops the messages after it', async () => {
    await compare((socket, req, received) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), frame(1, 'a'), frame(1, 'b')]));
      void received.waitFor(8).then((payload) => socket.end(frame(8, payload)));
    }, 'close-in-message');
  });

  it('event handler attribute ordering', async () => {
    const log = await compare((socket, req) => {
      socket.write(
        Buffer.concat([Buffer.from(switching(req)), frame(1, 'm'), frame(8, closePayload(1000))]),
      );
      setTimeout(() => socket.end(), 50);
    }, 'handlers');
    expect(log.slice(0, 3)).toEqual(['listener1', 'handlerB', 'listener2']);
  });

  it('a masked frame from the server', async () => {
    await compare((socket, req) => {
      socket.write(
        Buffer.concat([Buffer.from(switching(req)), Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x60])]),
      );
    }, 'events');
  });

  it('invalid UTF-8 in a text frame', async () => {
    await compare((socket, req) => {
      socket.write(
        Buffer.concat([Buffer.from(switching(req)), frame(1, Buffer.from([0xc3, 0x28]))]),
      );
    }, 'events');
  });

  it('a wrong Sec-WebSocket-Accept', async () => {
    await compare(
      (socket, req) => socket.write(switching({ ...req, accept: 'bm9wZQ==' })),
      'events',
    );
  });

  it('protocols requested, none selected', async () => {
    await compare((socket, req) => socket.write(switching(req)), 'protocols');
  });

  it('a protocol selected', async () => {
    await compare((socket, req, received) => {
      socket.write(switching(req, ['Sec-WebSocket-Protocol: v2']));
      setTimeout(() => socket.write(frame(8, closePayload(1000))), 20);
      void received.waitFor(8).then(() => socket.end());
    }, 'protocols');
  });

  it('an empty Sec-WebSocket-Extensions header', async () => {
    await compare(
      (socket, req) => socket.write(switching(req, ['Sec-WebSocket-Extensions: '])),
      'events',
    );
  });

  it('a TCP reset after open', async () => {
    await compare((socket, req) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), frame(1, 'x')]));
      setTimeout(() => socket.resetAndDestroy(), 30);
    }, 'events');
  });

  it('a truncated frame, then FIN', async () => {
    await compare((socket, req) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), frame(1, 'hello').subarray(0, 4)]));
      setTimeout(() => socket.end(), 30);
    }, 'events');
  });

  it('a client close from the open handler, after a send', async () => {
    const log = await compare(echoesClose, 'close-on-open');
    expect(log[1]).toBe('closing:2:10');
  });

  it('Blobs and strings sent in order before the close frame', async () => {
    await compare((socket, req, received) => {
      socket.write(switching(req));
      void received.waitFor(8).then((payload) => {
        // Echo what arrived, in order, then the close reply.
        const out = received.frames
          .filter((f) => f.opcode === 1 || f.opcode === 2)
          .map((f) => frame(f.opcode, f.payload));
        socket.end(Buffer.concat([...out, frame(8, payload)]));
      });
    }, 'blob');
  });

  for (const [what, payload] of [
    ['a close code that may not be sent (1005)', closePayload(1005)],
    ['a one-byte close payload', Buffer.from([0x03])],
    ['a close reason that is not UTF-8', Buffer.concat([closePayload(1000), Buffer.from([0xff])])],
  ] as const) {
    it(`${what} from the server`, async () => {
      await compare((socket, req) => {
        socket.write(Buffer.concat([Buffer.from(switching(req)), frame(8, payload)]));
        setTimeout(() => socket.end(), 50);
      }, 'events');
    });
  }

  it('close code 2999 from the server: a pinned difference (Chromium accepts it)', async () => {
    const server = await startRawServer((socket, req) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), frame(8, closePayload(2999))]));
      setTimeout(() => socket.end(), 50);
    });
    cleanup = server.close;
    // RFC 6455 §7.4.2 reserves 1016-2999 without assigning them; the codec fails such a
    // close frame with 1002 (as the Autobahn TestSuite, case 7.9, expects). Chromium
    // accepts it.
    expect(await nodeProbe(WebSocket, server.url, 'events')).toEqual([
      'open@1',
      'error@3',
      'close:1006:false:@3',
      'protocol:',
    ]);
  });

  it('the server drops the TCP connection after open', async () => {
    await compare((socket, req) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), frame(1, 'x')]));
      setTimeout(() => socket.end(), 30);
    }, 'events');
  });
});
