/**
 * The WHATWG WebSocket interface: constructor checks, constants, attributes, exceptions,
 * event handler attributes and task timing (WebSockets Standard §3-4, HTML "event handlers").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseEvent, WebSocket, WebSocketError, WebSocketStream } from '../src/index.js';
import { nextEvent, recordEvents, startWsServer } from './helpers.js';

let peer: Awaited<ReturnType<typeof startWsServer>>;
beforeAll(async () => {
  peer = await startWsServer({ perMessageDeflate: false });
  peer.server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
});
afterAll(() => peer.close());

function syntaxError(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DOMException);
  expect((caught as DOMException).name).toBe('SyntaxError');
}

async function closed(ws: WebSocket): Promise<CloseEvent> {
  if (ws.readyState === WebSocket.CLOSED) throw new Error('already closed');
  return nextEvent<CloseEvent>(ws, 'close');
}

describe('constructor (WHATWG "new WebSocket(url, protocols)")', () => {
  it('throws SyntaxError for an unparsable URL, a bad scheme or a fragment', () => {
    syntaxError(() => new WebSocket('not a url'));
    syntaxError(() => new WebSocket('/relative'));
    syntaxError(() => new WebSocket('ftp://127.0.0.1/'));
    syntaxError(() => new WebSocket('file:///etc/passwd'));
    syntaxError(() => new WebSocket('ws://127.0.0.1/#frag'));
    syntaxError(() => new WebSocket('ws://127.0.0.1/#'));
  });

  it('throws SyntaxError for invalid or duplicate protocol tokens', () => {
    syntaxError(() => new WebSocket(peer.url, ''));
    syntaxError(() => new WebSocket(peer.url, 'a b'));
    syntaxError(() => new WebSocket(peer.url, ['chat', 'chat']));
    syntaxError(() => new WebSocket(peer.url, ['ok', 'bad,comma']));
    syntaxError(() => new WebSocket(peer.url, 'é'));
  });

  it('throws SyntaxError for protocols repeated in another case (WPT Create-protocols-repeated-case-insensitive)', () => {
    syntaxError(() => new WebSocket(peer.url, ['echo', 'eCho']));
    syntaxError(() => new WebSocket(peer.url, ['Chat', 'v2', 'CHAT']));
    // Distinct tokens in any case are fine (nothing is thrown, the connection starts).
    const ws = new WebSocket(peer.url, ['echo', 'chat']);
    ws.close();
  });

  it('WebSocketStream refuses protocols repeated in another case with a SyntaxError', () => {
    syntaxError(() => new WebSocketStream(peer.url, { protocols: ['echo', 'ECHO'] }));
  });

  it('requires an argument and new', () => {
    // @ts-expect-error: no argument
    expect(() => new WebSocket()).toThrow(TypeError);
    // @ts-expect-error: called without new
    expect(() => WebSocket(peer.url)).toThrow(TypeError);
  });

  it('maps http: to ws: and https: to wss:, serializes the URL', async () => {
    const port = new URL(peer.url).port;
    const ws = new WebSocket(`http://127.0.0.1:${port}/a/../b?q=1`);
    expect(ws.url).toBe(`ws://127.0.0.1:${port}/b?q=1`);
    const wss = new WebSocket('HTTPS://LOCALHOST:1');
    expect(wss.url).toBe('wss://localhost:1/');
    wss.close();
    ws.close();
    await Promise.all([closed(ws), closed(wss)]);
  });

  it('accepts a URL object and stringifies other values (USVString)', async () => {
    const ws = new WebSocket(new URL(peer.url));
    expect(ws.url).toBe(`${peer.url}/`);
    ws.close();
    await closed(ws);
  });
});

describe('constants and attributes', () => {
  it('has the readyState constants on the class and on instances, read-only', async () => {
    expect([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED]).toEqual([
      0, 1, 2, 3,
    ]);
    const ws = new WebSocket(peer.url);
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3]);
    const d = Object.getOwnPropertyDescriptor(WebSocket, 'OPEN')!;
    expect([d.writable, d.enumerable, d.configurable]).toEqual([false, true, false]);
    expect(Object.getOwnPropertyDescriptor(WebSocket.prototype, 'CLOSED')?.value).toBe(3);
    expect(() => {
      (WebSocket as unknown as { OPEN: number }).OPEN = 5;
    }).toThrow(TypeError);
    expect(Object.prototype.toString.call(ws)).toBe('[object WebSocket]');
    expect(ws).toBeInstanceOf(EventTarget);
    ws.close();
    await closed(ws);
  });

  it('starts CONNECTING with empty protocol/extensions, bufferedAmount 0, binaryType blob', async () => {
    const ws = new WebSocket(peer.url);
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    expect(ws.protocol).toBe('');
    expect(ws.extensions).toBe('');
    expect(ws.bufferedAmount).toBe(0);
    expect(ws.binaryType).toBe('blob');
    ws.binaryType = 'arraybuffer';
    expect(ws.binaryType).toBe('arraybuffer');
    ws.binaryType = 'nodebuffer' as 'blob';
    expect(ws.binaryType).toBe('arraybuffer');
    ws.binaryType = 'blob';
    expect(ws.binaryType).toBe('blob');
    await nextEvent(ws, 'open');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    await closed(ws);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  it('exposes the attributes as prototype accessors (Web IDL)', () => {
    for (const name of ['url', 'readyState', 'bufferedAmount', 'extensions', 'protocol']) {
      const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
      expect(typeof d.get).toBe('function');
      expect(d.set).toBeUndefined();
      expect(d.enumerable).toBe(true);
    }
    for (const name of ['binaryType', 'onopen', 'onmessage', 'onerror', 'onclose']) {
      const d = Object.getOwnPropertyDescriptor(WebSocket.prototype, name)!;
      expect(typeof d.set).toBe('function');
    }
  });
});

describe('send()', () => {
  it('throws InvalidStateError while CONNECTING', async () => {
    const ws = new WebSocket(peer.url);
    let caught: unknown;
    try {
      ws.send('x');
    } catch (error) {
      caught = error;
    }
    expect((caught as DOMException).name).toBe('InvalidStateError');
    expect(ws.bufferedAmount).toBe(0);
    ws.close();
    await closed(ws);
  });

  it('requires an argument', async () => {
    const ws = new WebSocket(peer.url);
    await nextEvent(ws, 'open');
    // @ts-expect-error: no argument
    expect(() => ws.send()).toThrow(TypeError);
    ws.close();
    await closed(ws);
  });

  it('counts UTF-8 bytes, buffer and view lengths, Blob sizes in bufferedAmount', async () => {
    const ws = new WebSocket(peer.url);
    await nextEvent(ws, 'open');
    ws.send('héllo'); // 6 bytes
    expect(ws.bufferedAmount).toBe(6);
    ws.send('\ud800'); // a lone surrogate becomes U+FFFD: 3 bytes
    expect(ws.bufferedAmount).toBe(9);
    ws.send(new ArrayBuffer(10));
    ws.send(new Uint16Array(4)); // 8 bytes
    ws.send(new DataView(new ArrayBuffer(20), 5, 5));
    ws.send(new Blob(['abc']));
    expect(ws.bufferedAmount).toBe(9 + 10 + 8 + 5 + 3);
    // Not yet on the network within this task; all written a few tasks later.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ws.bufferedAmount).toBe(0);
    ws.close();
    ws.send('after close'); // counted, never sent
    ws.send(new Uint8Array(5));
    expect(ws.bufferedAmount).toBe(16);
    await closed(ws);
    ws.send('x');
    expect(ws.bufferedAmount).toBe(17);
  });

  it('sends Blobs in order with the other messages and before the close frame', async () => {
    const ws = new WebSocket(peer.url);
    ws.binaryType = 'arraybuffer';
    const got: string[] = [];
    ws.onmessage = (e: MessageEvent) =>
      got.push(typeof e.data === 'string' ? e.data : `bin:${Buffer.from(e.data).toString()}`);
    await nextEvent(ws, 'open');
    ws.send('1');
    ws.send(new Blob(['2']));
    ws.send('3');
    ws.send(new Blob(['4', '5']));
    ws.send(new Uint8Array([0x36]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(got).toEqual(['1', 'bin:2', '3', 'bin:45', 'bin:6']);
    ws.send(new Blob(['last']));
    ws.close(1000);
    const c = await closed(ws);
    expect(c.wasClean).toBe(true);
  });

  it('converts other values with ToString (USVString)', async () => {
    const ws = new WebSocket(peer.url);
    await nextEvent(ws, 'open');
    ws.send(42 as unknown as string);
    const m = await nextEvent<MessageEvent>(ws, 'message');
    expect(m.data).toBe('42');
    ws.close();
    await closed(ws);
  });
});

describe('close()', () => {
  it('throws InvalidAccessError for codes other than 1000 and 3000-4999, after [Clamp]', async () => {
    const ws = new WebSocket(peer.url);
    for (const code of [0, 999, 1001, 1005, 1006, 2999, 5000, 65535, 70000, -1, Number.NaN]) {
      let caught: unknown;
      try {
        ws.close(code);
      } catch (error) {
        caught = error;
      }
      expect((caught as DOMException).name, String(code)).toBe('InvalidAccessError');
    }
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    let caught: unknown;
    try {
      ws.close(3000, 'x'.repeat(124));
    } catch (error) {
      caught = error;
    }
    expect((caught as DOMException).name).toBe('SyntaxError');
    try {
      ws.close(3000, 'é'.repeat(62)); // 124 bytes
    } catch (error) {
      caught = error;
    }
    expect((caught as DOMException).name).toBe('SyntaxError');
    // [Clamp]: 999.5 rounds to 1000 (ties to even), 2999.6 rounds to 3000.
    ws.close(999.5);
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    await closed(ws);
  });

  it('in CONNECTING: fails the connection, then error and close(1006) in later tasks', async () => {
    const ws = new WebSocket(peer.url);
    const log = recordEvents(ws, (e) =>
      e instanceof CloseEvent ? `close:${e.code}:${e.wasClean}:${e.reason}` : e.type,
    );
    ws.close(1000, 'bye');
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    expect(log).toEqual([]);
    await Promise.resolve();
    expect(log).toEqual([]);
    await closed(ws);
    expect(log).toEqual(['error', 'close:1006:false:']);
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });

  it('when OPEN: sends the code and reason; the close event carries the echo', async () => {
    const ws = new WebSocket(peer.url);
    await nextEvent(ws, 'open');
    ws.close(4321, 'done here');
    ws.close(1000); // a no-op while CLOSING
    const c = await closed(ws);
    expect([c.code, c.reason, c.wasClean]).toEqual([4321, 'done here', true]);
  });

  it('without a code sends an empty close frame: 1005 comes back', async () => {
    const ws = new WebSocket(peer.url);
    await nextEvent(ws, 'open');
    ws.close();
    const c = await closed(ws);
    expect([c.code, c.reason, c.wasClean]).toEqual([1005, '', true]);
  });

  it('with a reason but no code sends 1000', async () => {
    const ws = new WebSocket(peer.url);
    await nextEvent(ws, 'open');
    ws.close(undefined, 'why');
    const c = await closed(ws);
    expect([c.code, c.reason]).toEqual([1000, 'why']);
  });

  it('drops messages received after close() was called (readyState is not OPEN)', async () => {
    const ws = new WebSocket(peer.url);
    await nextEvent(ws, 'open');
    let count = 0;
    ws.onmessage = () => {
      count++;
      ws.close();
    };
    ws.send('a');
    ws.send('b');
    ws.send('c');
    await closed(ws);
    expect(count).toBe(1);
  });
});

describe('event handler attributes', () => {
  it('orders handlers by first assignment, keeps the slot when replaced, removes on null', async () => {
    const ws = new WebSocket(peer.url);
    const log: string[] = [];
    ws.addEventListener('open', () => log.push('listener1'));
    ws.onopen = () => log.push('handlerA');
    ws.addEventListener('open', () => log.push('listener2'));
    ws.onopen = function (this: WebSocket, e: Event) {
      log.push(`handlerB:${this === ws}:${e.type}`);
    };
    await nextEvent(ws, 'open');
    expect(log).toEqual(['listener1', 'handlerB:true:open', 'listener2']);
    expect(typeof ws.onopen).toBe('function');

    const log2: string[] = [];
    ws.onmessage = () => log2.push('h1');
    ws.addEventListener('message', () => log2.push('l'));
    ws.onmessage = null;
    ws.onmessage = () => log2.push('h2'); // re-added at the end
    ws.send('x');
    await nextEvent(ws, 'message');
    expect(log2).toEqual(['l', 'h2']);
    ws.close();
    await closed(ws);
  });

  it('treats non-objects as null and keeps non-callable objects without calling them', async () => {
    const ws = new WebSocket(peer.url);
    ws.onerror = 'oops' as unknown as null;
    expect(ws.onerror).toBeNull();
    const obj = { handleEvent: () => {} };
    ws.onclose = obj as unknown as null;
    expect(ws.onclose).toBe(obj);
    ws.onopen = 5 as unknown as null;
    expect(ws.onopen).toBeNull();
    ws.close();
    await closed(ws);
  });

  it('fires open, message, close as separate tasks (microtasks run in between)', async () => {
    const ws = new WebSocket(peer.url);
    const log: string[] = [];
    ws.onopen = () => {
      log.push('open');
      queueMicrotask(() => log.push('microtask-after-open'));
      ws.send('m');
    };
    ws.onmessage = (e: MessageEvent) => {
      log.push(`message:${e.data}:${e.origin}`);
      ws.close(1000);
    };
    ws.onclose = (e: CloseEvent) => log.push(`close:${e.code}`);
    await closed(ws);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['open', 'microtask-after-open', `message:m:${peer.url}`, 'close:1000']);
  });

  it('a listener that throws does not stop the others (reported as uncaught)', async () => {
    const ws = new WebSocket(peer.url);
    const seen: string[] = [];
    const errors: unknown[] = [];
    const onUncaught = (error: unknown) => errors.push(error);
    process.prependListener('uncaughtException', onUncaught);
    const originalListeners = process
      .listeners('uncaughtException')
      .filter((l) => l !== onUncaught);
    for (const l of originalListeners) process.off('uncaughtException', l);
    try {
      ws.addEventListener('open', () => {
        throw new Error('boom');
      });
      ws.addEventListener('open', () => seen.push('second'));
      await nextEvent(ws, 'open');
      await new Promise((resolve) => setTimeout(resolve, 10));
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const l of originalListeners) process.on('uncaughtException', l);
    }
    expect(seen).toEqual(['second']);
    expect(errors.length).toBe(1);
    ws.close();
    await closed(ws);
  });
});

describe('CloseEvent and WebSocketError', () => {
  it('CloseEvent follows CloseEventInit defaults', () => {
    const e = new CloseEvent('close');
    expect([e.type, e.wasClean, e.code, e.reason]).toEqual(['close', false, 0, '']);
    const f = new CloseEvent('close', { wasClean: true, code: 4000, reason: 'r' });
    expect([f.wasClean, f.code, f.reason]).toEqual([true, 4000, 'r']);
    expect(f).toBeInstanceOf(Event);
    expect(Object.prototype.toString.call(f)).toBe('[object CloseEvent]');
  });

  it('WebSocketError validates its init and implies 1000 for a reason alone', () => {
    const e = new WebSocketError('m', { reason: 'r' });
    expect([e.name, e.message, e.closeCode, e.reason]).toEqual(['WebSocketError', 'm', 1000, 'r']);
    expect(e).toBeInstanceOf(DOMException);
    expect(new WebSocketError().closeCode).toBeNull();
    expect(() => new WebSocketError('', { closeCode: 1001 })).toThrow(
      expect.objectContaining({ name: 'InvalidAccessError' }),
    );
    expect(() => new WebSocketError('', { reason: 'x'.repeat(124) })).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
    expect(() => new WebSocketError('', { closeCode: 70000 })).toThrow(TypeError);
  });
});

describe('Node extra: ping() and the pong event', () => {
  it('sends a ping frame and fires pong with the payload the server echoed', async () => {
    const ws = new WebSocket(peer.url);
    expect(() => ws.ping()).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
    await nextEvent(ws, 'open');
    const pings: Buffer[] = [];
    for (const socket of peer.server.clients) socket.on('ping', (data) => pings.push(data));
    ws.ping('hello');
    const pong = await nextEvent<MessageEvent>(ws, 'pong');
    expect(pong).toBeInstanceOf(MessageEvent);
    expect(Buffer.from(pong.data as ArrayBuffer).toString()).toBe('hello');
    ws.ping(new Uint8Array([1, 2, 3]));
    const second = await nextEvent<MessageEvent>(ws, 'pong');
    expect([...new Uint8Array(second.data as ArrayBuffer)]).toEqual([1, 2, 3]);
    expect(pings.map((p) => [...p])).toEqual([[...Buffer.from('hello')], [1, 2, 3]]);
    expect(() => ws.ping(new Uint8Array(126))).toThrow(RangeError);
    ws.close();
    ws.ping('ignored while closing');
    await nextEvent(ws, 'close');
  });
});
