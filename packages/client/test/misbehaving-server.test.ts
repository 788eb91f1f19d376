/**
 * Failures of every kind end in `error` then `close` (1006 unless a close frame arrived), never
 * a throw and never a missing event (WHATWG "fail the WebSocket connection", RFC 6455 §7.1.7).
 * The peer is a raw node:net server writing exactly the bytes each case needs.
 */
import * as net from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseEvent, WebSocket } from '../src/index.js';
import { nextEvent } from './helpers.js';
import {
  closePayload,
  frame,
  type RawRequest,
  type ReceivedFrames,
  type Scenario,
  startRawServer,
  switching,
} from './raw-server.js';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

function describeEvent(e: Event): string {
  if (e instanceof CloseEvent)
    return `close:${e.code}:${e.wasClean}${e.reason ? `:${e.reason}` : ''}`;
  if (e.type === 'message') return `message:${String((e as MessageEvent).data)}`;
  return e.type;
}

/** Runs `scenario`, returns the client's events and the frames the server received. */
async function run(
  scenario: Scenario,
  options: ConstructorParameters<typeof WebSocket>[2] = {},
  protocols?: string | string[],
  act?: (ws: WebSocket) => void,
): Promise<{ log: string[]; received: ReceivedFrames; request: RawRequest }> {
  let received!: ReceivedFrames;
  let request!: RawRequest;
  const server = await startRawServer((socket, req, frames) => {
    received = frames;
    request = req;
    scenario(socket, req, frames);
  });
  cleanup = server.close;
  const ws = new WebSocket(server.url, protocols, { perMessageDeflate: false, ...options });
  const log: string[] = [];
  for (const type of ['open', 'message', 'error', 'close']) {
    ws.addEventListener(type, (e) => log.push(describeEvent(e)));
  }
  act?.(ws);
  await nextEvent(ws, 'close');
  expect(ws.readyState).toBe(WebSocket.CLOSED);
  return { log, received, request };
}

const FAIL_BEFORE_OPEN = ['error', 'close:1006:false'];
const FAIL_AFTER_OPEN = ['open', 'error', 'close:1006:false'];

describe('bad opening handshakes (RFC 6455 §4.1, WHATWG establish)', () => {
  it('wrong Sec-WebSocket-Accept', async () => {
    const { log } = await run((socket, req) => {
      socket.write(switching({ ...req, accept: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }));
    });
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('status 200 instead of 101', async () => {
    const { log } = await run((socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
    });
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('a refusal (403): the error event carries the status and the cause (Node extra)', async () => {
    const server = await startRawServer((socket) => {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    });
    cleanup = server.close;
    const ws = new WebSocket(server.url, [], { perMessageDeflate: false });
    const error = nextEvent(ws, 'error');
    const close = nextEvent<CloseEvent>(ws, 'close');
    const event = (await error) as Event & { status?: number; error?: Error & { status?: number } };
    expect(event.constructor).toBe(Event);
    expect(event.status).toBe(403);
    expect(event.error).toBeInstanceOf(Error);
    expect(event.error?.status).toBe(403);
    expect(event.error?.message).toBe(
      'The server refused the WebSocket handshake with HTTP status 403',
    );
    expect((await close).code).toBe(1006);
  });

  it('a network failure: the error event has the cause and no status', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const close = nextEvent(ws, 'close');
    const event = (await nextEvent(ws, 'error')) as Event & { status?: number; error?: unknown };
    expect(event.status).toBeUndefined();
    expect((event.error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    await close;
  });

  it('a redirect is not followed', async () => {
    const { log } = await run((socket) => {
      socket.end('HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:1/\r\n\r\n');
    });
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('missing Upgrade header', async () => {
    const { log } = await run((socket, req) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${req.accept}\r\n\r\n`,
      );
    });
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('a subprotocol that was not offered', async () => {
    const { log } = await run(
      (socket, req) => socket.write(switching(req, ['Sec-WebSocket-Protocol: other'])),
      {},
      ['chat'],
    );
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('no subprotocol although some were requested (WHATWG rule)', async () => {
    const { log, request } = await run((socket, req) => socket.write(switching(req)), {}, [
      'chat',
      'superchat',
    ]);
    expect(request.headers['sec-websocket-protocol']).toBe('chat, superchat');
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('an empty Sec-WebSocket-Extensions header (1#extension)', async () => {
    const { log } = await run((socket, req) =>
      socket.write(switching(req, ['Sec-WebSocket-Extensions: '])),
    );
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('an extension that was not offered', async () => {
    const { log } = await run((socket, req) =>
      socket.write(switching(req, ['Sec-WebSocket-Extensions: x-unknown'])),
    );
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('a malformed head (bare LF)', async () => {
    const { log } = await run((socket) => socket.write('HTTP/1.1 101 OK\nUpgrade: websocket\n\n'));
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('a response head larger than maxResponseHeadSize', async () => {
    const { log } = await run(
      (socket) => socket.write(`HTTP/1.1 101 OK\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`),
      { maxResponseHeadSize: 1024 },
    );
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('the server closes before answering', async () => {
    const { log } = await run((socket) => socket.end());
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('no answer within handshakeTimeout', async () => {
    const started = Date.now();
    const { log } = await run(() => {}, { handshakeTimeout: 150 });
    expect(log).toEqual(FAIL_BEFORE_OPEN);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('connection refused', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const log: string[] = [];
    ws.onerror = (e: Event) => log.push(describeEvent(e));
    ws.onclose = (e: Event) => log.push(describeEvent(e));
    await nextEvent(ws, 'close');
    expect(log).toEqual(FAIL_BEFORE_OPEN);
  });

  it('a failed handshake sends the request the standard describes', async () => {
    const { request } = await run((socket) => socket.end('HTTP/1.1 400 Bad\r\n\r\n'), {
      perMessageDeflate: true,
      origin: 'https://app.example',
      headers: { Authorization: 'Bearer t' },
    });
    expect(request.head.split('\r\n')[0]).toBe('GET / HTTP/1.1');
    expect(request.headers.upgrade).toBe('websocket');
    expect(request.headers.connection).toBe('Upgrade');
    expect(request.headers['sec-websocket-version']).toBe('13');
    expect(Buffer.from(request.key, 'base64').length).toBe(16);
    expect(request.headers['sec-websocket-extensions']).toBe(
      'permessage-deflate; client_max_window_bits',
    );
    expect(request.headers.origin).toBe('https://app.example');
    expect(request.headers.authorization).toBe('Bearer t');
  });
});

describe('protocol errors from the server after open (RFC 6455 §5, §7.4)', () => {
  async function failsWith(bytes: Buffer, expectedCode: number): Promise<string[]> {
    const { log, received } = await run((socket, req) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), bytes]));
    });
    const close = await received.waitFor(8);
    expect(close.readUInt16BE(0)).toBe(expectedCode);
    return log;
  }

  it('a masked frame: the client sends 1002, then error and close 1006', async () => {
    const masked = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 0x68 ^ 1, 0x69 ^ 2]);
    expect(await failsWith(masked, 1002)).toEqual(FAIL_AFTER_OPEN);
  });

  it('invalid UTF-8 in a text message: 1007', async () => {
    expect(await failsWith(frame(1, Buffer.from([0xce, 0xba, 0xe1, 0xbd])), 1007)).toEqual(
      FAIL_AFTER_OPEN,
    );
  });

  it('invalid UTF-8 split across fragments: 1007', async () => {
    const bytes = Buffer.concat([
      frame(1, Buffer.from([0x68, 0xf0]), false),
      frame(0, Buffer.from([0x28, 0x8c])),
    ]);
    expect(await failsWith(bytes, 1007)).toEqual(FAIL_AFTER_OPEN);
  });

  it('a control frame over 125 bytes: 1002', async () => {
    const bytes = Buffer.concat([Buffer.from([0x89, 126, 0, 126]), Buffer.alloc(126)]);
    expect(await failsWith(bytes, 1002)).toEqual(FAIL_AFTER_OPEN);
  });

  it('a fragmented control frame: 1002', async () => {
    expect(await failsWith(frame(9, 'x', false), 1002)).toEqual(FAIL_AFTER_OPEN);
  });

  it('RSV bits without a negotiated extension: 1002', async () => {
    expect(await failsWith(Buffer.from([0xc1, 0x01, 0x41]), 1002)).toEqual(FAIL_AFTER_OPEN);
  });

  it('a reserved opcode: 1002', async () => {
    expect(await failsWith(Buffer.from([0x83, 0x00]), 1002)).toEqual(FAIL_AFTER_OPEN);
  });

  it('a close frame with an invalid code: 1002', async () => {
    expect(await failsWith(frame(8, closePayload(1005)), 1002)).toEqual(FAIL_AFTER_OPEN);
  });

  it('a message over maxPayload: 1009', async () => {
    const { log, received } = await run(
      (socket, req) =>
        socket.write(Buffer.concat([Buffer.from(switching(req)), frame(2, Buffer.alloc(2000))])),
      { maxPayload: 1000 },
    );
    expect((await received.waitFor(8)).readUInt16BE(0)).toBe(1009);
    expect(log).toEqual(FAIL_AFTER_OPEN);
  });
});

describe('limits', () => {
  it('a fragmented message over maxMessageSize: 1009', async () => {
    const { log, received } = await run(
      (socket, req) =>
        socket.write(
          Buffer.concat([
            Buffer.from(switching(req)),
            frame(2, Buffer.alloc(600), false),
            frame(0, Buffer.alloc(600), true),
          ]),
        ),
      { maxMessageSize: 1000 },
    );
    expect((await received.waitFor(8)).readUInt16BE(0)).toBe(1009);
    expect(log).toEqual(FAIL_AFTER_OPEN);
  });

  it('bufferedAmount over maxBufferedAmount: flagged as full, error, close 1006', async () => {
    const { log } = await run(
      (socket, req) => socket.write(switching(req)),
      { maxBufferedAmount: 1000 },
      undefined,
      (ws) => {
        ws.onopen = () => {
          ws.send(new Uint8Array(600));
          ws.send(new Uint8Array(600)); // 1200 queued in this task
          expect(ws.bufferedAmount).toBe(1200);
        };
      },
    );
    expect(log).toEqual(FAIL_AFTER_OPEN);
  });
});

describe('compression abuse (RFC 7692)', () => {
  const deflateSwitch = (req: RawRequest) =>
    Buffer.from(switching(req, ['Sec-WebSocket-Extensions: permessage-deflate']));

  it('corrupt deflate data: 1007', async () => {
    const { log, received } = await run(
      (socket, req) =>
        socket.write(
          Buffer.concat([deflateSwitch(req), Buffer.from([0xc1, 0x04, 0xff, 0xff, 0xff, 0xff])]),
        ),
      { perMessageDeflate: true },
    );
    expect((await received.waitFor(8)).readUInt16BE(0)).toBe(1007);
    expect(log).toEqual(FAIL_AFTER_OPEN);
  });

  it('FIN right after a close frame that waits behind an asynchronous inflate: message, then the close code', async () => {
    const text = 'z'.repeat(300_000); // inflated on the thread pool (over the engine's sync limit)
    const compressed = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
    const payload = compressed.subarray(0, compressed.length - 4);
    const { log } = await run(
      (socket, req) => {
        const header = Buffer.from([0xc1, 126, payload.length >> 8, payload.length & 0xff]);
        socket.end(
          Buffer.concat([deflateSwitch(req), header, payload, frame(8, closePayload(4000, 'bye'))]),
        );
      },
      { perMessageDeflate: true },
    );
    expect(log).toEqual([`open`, `message:${text}`, 'close:4000:true:bye']);
  });

  it('a small message that inflates over maxMessageSize (a zip bomb): 1009', async () => {
    const bomb = deflateRawSync(Buffer.alloc(8 * 1024 * 1024), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    const payload = bomb.subarray(0, bomb.length - 4);
    expect(payload.length).toBeLessThan(16 * 1024);
    const { log, received } = await run(
      (socket, req) => {
        const header = Buffer.from([0xc2, 126, payload.length >> 8, payload.length & 0xff]);
        socket.write(Buffer.concat([deflateSwitch(req), header, payload]));
      },
      { perMessageDeflate: true, maxMessageSize: 1024 * 1024 },
    );
    expect((await received.waitFor(8)).readUInt16BE(0)).toBe(1009);
    expect(log).toEqual(FAIL_AFTER_OPEN);
  });
});

describe('abrupt endings', () => {
  // After open, a transport that just ends is not a failure of this end: close 1006 without
  // an error event (what Chromium does; test/chromium-reference.test.ts compares).
  it('a TCP reset after open: close 1006, no error', async () => {
    const { log } = await run((socket, req) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), frame(1, 'hi')]));
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    expect(log).toEqual(['open', 'message:hi', 'close:1006:false']);
  });

  it('a truncated frame then FIN: close 1006, no error', async () => {
    const { log } = await run((socket, req) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), frame(1, 'hello').subarray(0, 4)]));
      setTimeout(() => socket.end(), 20);
    });
    expect(log).toEqual(['open', 'close:1006:false']);
  });

  it('the server never answers the close frame: closeTimeout, then 1006', async () => {
    const { log, received } = await run(
      (socket, req) => {
        socket.write(Buffer.concat([Buffer.from(switching(req)), frame(1, 'bye?')]));
      },
      { closeTimeout: 100 },
      undefined,
      (ws) => {
        ws.onmessage = () => ws.close(3001, 'please');
      },
    );
    expect((await received.waitFor(8)).readUInt16BE(0)).toBe(3001);
    expect(log).toEqual(['open', 'message:bye?', 'close:1006:false']);
  });
});

describe('clean closings initiated by the server', () => {
  it('close frame, reply, TCP close: close event with the code, no error', async () => {
    const { log, received } = await run((socket, req, frames) => {
      socket.write(
        Buffer.concat([
          Buffer.from(switching(req)),
          frame(1, 'one'),
          frame(8, closePayload(4000, 'done')),
        ]),
      );
      void frames.waitFor(8).then(() => socket.end());
    });
    expect(log).toEqual(['open', 'message:one', 'close:4000:true:done']);
    const reply = received.frames.find((f) => f.opcode === 8)!;
    expect(reply.masked).toBe(true);
    expect(reply.payload.readUInt16BE(0)).toBe(4000);
  });

  it('an empty close frame gives 1005', async () => {
    const { log } = await run((socket, req, frames) => {
      socket.write(Buffer.concat([Buffer.from(switching(req)), frame(8)]));
      void frames.waitFor(8).then(() => socket.end());
    });
    expect(log).toEqual(['open', 'close:1005:true']);
  });

  it('fragments with an interleaved ping: one message, a pong with the same payload', async () => {
    const { log, received } = await run((socket, req, frames) => {
      socket.write(
        Buffer.concat([
          Buffer.from(switching(req)),
          frame(1, 'frag', false),
          frame(9, 'p!'),
          frame(0, 'ment'),
        ]),
      );
      void frames.waitFor(10).then(() => {
        socket.write(frame(8, closePayload(1000)));
        void frames.waitFor(8).then(() => socket.end());
      });
    });
    expect(log).toEqual(['open', 'message:fragment', 'close:1000:true']);
    expect(received.frames.find((f) => f.opcode === 10)!.payload.toString()).toBe('p!');
  });
});
