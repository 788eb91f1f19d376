/**
 * `ReconnectingWebSocketStream` over real sockets: messages of every connection in one
 * readable, writes queued across a TCP cut, `closed` after close(), `opened` rejected when the
 * socket gives up before ever opening, and the unread-message bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReconnectingWebSocketStream } from '../src/node.js';
import { freePort, startServer, TcpProxy, type TestServer } from './helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function echoServer(): Promise<TestServer> {
  const s = await startServer({}, (c) => c.on('message', (d, b) => c.send(d, { binary: b })));
  cleanups.push(() => s.close());
  return s;
}

describe('ReconnectingWebSocketStream', () => {
  it('one readable across reconnects; writes queue while down; closed after close()', async () => {
    const s = await echoServer();
    const proxy = await new TcpProxy(s.port).listen();
    cleanups.push(() => proxy.close());
    const stream = new ReconnectingWebSocketStream(proxy.url, {
      minReconnectionDelay: 20,
      jitter: 'none',
    });
    const { readable, writable, protocol } = await stream.opened;
    expect(protocol).toBe('');
    const reader = readable.getReader();
    const writer = writable.getWriter();
    await writer.write('a');
    expect(await reader.read()).toEqual({ done: false, value: 'a' });
    proxy.cut();
    await new Promise((r) => stream.socket.addEventListener('reconnecting', r, { once: true }));
    await writer.write(new Uint8Array([1, 2])); // queued until the reconnect
    expect(await reader.read()).toEqual({ done: false, value: new Uint8Array([1, 2]) });
    stream.close({ closeCode: 1000, reason: 'bye' });
    expect(await stream.closed).toEqual({ closeCode: 1000, reason: '' });
    expect(await reader.read()).toEqual({ done: true, value: undefined });
  });

  it('opened rejects when it gives up before ever opening; closed still resolves', async () => {
    const port = await freePort();
    const stream = new ReconnectingWebSocketStream(`ws://127.0.0.1:${port}/`, {
      maxRetries: 1,
      minReconnectionDelay: 5,
    });
    await expect(stream.opened).rejects.toThrow(/gave up: maxRetries/);
    expect((await stream.closed).closeCode).toBe(1006);
  });

  it('a reader that does not keep up: the readable errors past maxUnreadMessages', async () => {
    const s = await startServer({}, (c) => {
      for (let i = 0; i < 20; i++) c.send(String(i));
    });
    cleanups.push(() => s.close());
    const stream = new ReconnectingWebSocketStream(s.url, { maxUnreadMessages: 5 });
    const { readable } = await stream.opened;
    await stream.closed;
    await expect(readable.getReader().read()).rejects.toThrow(/more than 5 unread/);
    expect(stream.socket.readyState).not.toBe(1); // closing with READER_TOO_SLOW (4008)
  });
});
