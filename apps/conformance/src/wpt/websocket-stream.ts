/**
 * `WebSocketStream` cases written from the web-platform-tests `websockets/stream/tests/` test
 * names and assertions (constructor, close, abort, remote close); nothing is copied.
 */
import { WebSocketStream } from '@strata-ws/client';
import {
  assertEquals,
  assertThrowsDom,
  assertThrowsJs,
  assertTrue,
  type WptTest,
} from './harness.js';

type Ctor = new (url: string, options?: unknown) => WebSocketStream;
const WSS = WebSocketStream as unknown as Ctor;

async function rejectsWith(
  promise: Promise<unknown>,
  name: string,
  what: string,
): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    assertEquals((error as Error).name, name, what);
    return error;
  }
  throw new Error(`${what}: expected a rejection with ${name}`);
}

/** The cases. */
export function webSocketStreamTests(): WptTest[] {
  const t = (file: string, name: string, run: WptTest['run']): WptTest => ({
    file,
    name: `WebSocketStream: ${name}`,
    run,
  });
  const closeCode = (
    code: number | undefined,
    reason: string | undefined,
    expected: number,
    name: string,
  ) =>
    t('close.any.js', name, async ({ url }) => {
      const wss = new WebSocketStream(url);
      await wss.opened;
      wss.close({
        ...(code === undefined ? {} : { closeCode: code }),
        ...(reason === undefined ? {} : { reason }),
      });
      const closed = await wss.closed;
      assertEquals(closed.closeCode, expected, 'closeCode');
    });
  const invalidCode = (code: number) =>
    t('close.any.js', `close() with invalid code ${code} should throw`, async ({ url }) => {
      const wss = new WebSocketStream(url);
      await wss.opened;
      assertThrowsDom('InvalidAccessError', () => wss.close({ closeCode: code }));
      wss.close();
      await wss.closed;
    });
  return [
    t('constructor.any.js', 'constructing with no URL should throw', () =>
      assertThrowsJs(TypeError, () => new (WSS as unknown as new () => unknown)()),
    ),
    t('constructor.any.js', 'constructing with an invalid URL should throw', () =>
      assertThrowsDom('SyntaxError', () => new WebSocketStream('invalid:')),
    ),
    t('constructor.any.js', 'constructing with invalid options should throw', ({ url }) =>
      assertThrowsJs(TypeError, () => new WSS(url, 'hi')),
    ),
    t('constructor.any.js', 'protocols should be required to be a list', ({ url }) =>
      assertThrowsJs(TypeError, () => new WSS(url, { protocols: 'hi' })),
    ),
    t('constructor.any.js', 'constructing with a valid URL should work', async ({ url }) => {
      const wss = new WebSocketStream(url);
      await wss.opened;
      wss.close();
      await wss.closed;
    }),
    t(
      'constructor.any.js',
      'setting a protocol in the constructor should work',
      async ({ url }) => {
        const wss = new WebSocketStream(url, { protocols: ['chat'] });
        const { protocol } = await wss.opened;
        assertEquals(protocol, 'chat', 'protocol');
        wss.close();
        await wss.closed;
      },
    ),
    t('constructor.any.js', 'connection failure should reject the promises', async () => {
      const wss = new WebSocketStream('ws://127.0.0.1:1/');
      const closed = wss.closed.catch((e) => e);
      await rejectsWith(wss.opened, 'WebSocketError', 'opened');
      assertEquals(((await closed) as Error).name, 'WebSocketError', 'closed');
    }),
    t('constructor.any.js', 'wss.opened should resolve to the right types', async ({ url }) => {
      const wss = new WebSocketStream(url);
      const info = await wss.opened;
      assertTrue(info.readable instanceof ReadableStream, 'readable');
      assertTrue(info.writable instanceof WritableStream, 'writable');
      assertEquals(typeof info.extensions, 'string', 'extensions');
      assertEquals(typeof info.protocol, 'string', 'protocol');
      wss.close();
      await wss.closed;
    }),
    closeCode(3456, undefined, 3456, 'close code should be sent to server and reflected back'),
    closeCode(undefined, undefined, 1005, 'no close argument should send empty Close frame'),
    closeCode(
      undefined,
      '',
      1005,
      'unspecified close code with empty reason should send empty Close frame',
    ),
    closeCode(
      undefined,
      'xyz',
      1000,
      'unspecified close code with non-empty reason should set code to 1000',
    ),
    t('close.any.js', 'close(true) should throw a TypeError', async ({ url }) => {
      const wss = new WebSocketStream(url);
      await wss.opened;
      assertThrowsJs(TypeError, () => (wss.close as (x: unknown) => void)(true));
      wss.close();
      await wss.closed;
    }),
    t('close.any.js', 'close() with an overlong reason should throw', async ({ url }) => {
      const wss = new WebSocketStream(url);
      await wss.opened;
      assertThrowsDom('SyntaxError', () => wss.close({ closeCode: 1000, reason: 'x'.repeat(124) }));
      wss.close();
      await wss.closed;
    }),
    invalidCode(999),
    invalidCode(1001),
    invalidCode(2999),
    invalidCode(5000),
    t('close.any.js', 'close during handshake should work', async ({ url }) => {
      const wss = new WebSocketStream(url);
      wss.close();
      await rejectsWith(wss.opened, 'WebSocketError', 'opened');
      const closed = await wss.closed.then(
        (v) => v.closeCode,
        (e: { closeCode?: number }) => e.closeCode,
      );
      assertTrue(closed === 1006 || closed === 1005 || closed === 1000, `closeCode ${closed}`);
    }),
    t('abort.any.js', 'abort before constructing should prevent connection', async ({ url }) => {
      const wss = new WebSocketStream(url, { signal: AbortSignal.abort() });
      await rejectsWith(wss.opened, 'AbortError', 'opened');
      await rejectsWith(wss.closed, 'AbortError', 'closed');
    }),
    t('abort.any.js', 'abort during handshake should work', async ({ url }) => {
      const controller = new AbortController();
      const wss = new WebSocketStream(url, { signal: controller.signal });
      controller.abort();
      await rejectsWith(wss.opened, 'AbortError', 'opened');
      await rejectsWith(wss.closed, 'AbortError', 'closed');
    }),
    t('abort.any.js', 'abort after connect should do nothing', async ({ url }) => {
      const controller = new AbortController();
      const wss = new WebSocketStream(url, { signal: controller.signal });
      await wss.opened;
      controller.abort();
      wss.close();
      const closed = await wss.closed;
      assertEquals(closed.closeCode, 1005, 'closeCode');
    }),
    t('remote-close.any.js', 'remote close should close the stream', async ({ url }) => {
      const wss = new WebSocketStream(url);
      const { writable } = await wss.opened;
      await writable.getWriter().write('Goodbye');
      const closed = await wss.closed;
      assertEquals(closed.closeCode, 1000, 'closeCode');
    }),
    t('write.any.js', 'write string and binary, read the echoes', async ({ url }) => {
      const wss = new WebSocketStream(url);
      const { readable, writable } = await wss.opened;
      const writer = writable.getWriter();
      const reader = readable.getReader();
      await writer.write('hello');
      assertEquals((await reader.read()).value, 'hello', 'text echo');
      await writer.write(new Uint8Array([1, 2, 3]));
      const { value } = await reader.read();
      assertTrue(value instanceof Uint8Array, 'binary echo is a Uint8Array');
      assertEquals(Buffer.from(value as Uint8Array).toString('hex'), '010203', 'binary echo');
      wss.close();
      await wss.closed;
    }),
  ];
}
