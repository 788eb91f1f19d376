// The `strata` modes' engine driver (`src/engine`) on its own, over real TCP sockets in Node
// (a node:net socket as the RawTransport the Bun and Deno adapters give it), for what the
// shared suite does not reach: option checks, the handshake timer (408) and head limit (431),
// requests that are not upgrades, frames pipelined behind the head while an async `upgrade`
// hook decides, a refusal body bounded at 64 KiB, the heartbeat terminating a silent peer, and
// the close timer ending a peer that never answers our close frame.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { encodeFrame, Opcode, parseHeader } from '@strata-ws/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineServer } from '../../src/engine/server.js';
import type { RawTransport } from '../../src/engine/transport.js';
import type { CloseDetails, HandlerOptions, Hooks } from '../../src/types.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A Node socket as the driver's transport. */
class NodeTransport implements RawTransport {
  readonly remoteAddress: string | undefined;
  constructor(readonly socket: Socket) {
    this.remoteAddress = socket.remoteAddress;
  }
  get queuedBytes(): number {
    return this.socket.writableLength;
  }
  write(chunks: readonly Uint8Array[]): void {
    this.socket.cork();
    for (const chunk of chunks) this.socket.write(chunk);
    this.socket.uncork();
  }
  end(): void {
    this.socket.end();
  }
  destroy(): void {
    this.socket.destroy();
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
}

async function serve<C>(hooks: Hooks<C>, options: HandlerOptions): Promise<number> {
  const engine = new EngineServer(hooks, options, {});
  const server = createServer((socket) => {
    sockets.push(socket);
    const events = engine.accept(new NodeTransport(socket));
    socket.on('data', (chunk) => events.data(chunk));
    socket.on('end', () => events.eof());
    socket.on('drain', () => events.drained());
    socket.on('close', () => events.closed());
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A raw client: what it received, and when the server closed the connection. */
function rawClient(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let received = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    received = Buffer.concat([received, chunk]);
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, received: () => received };
}

const UPGRADE =
  'GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

function masked(opcode: number, text: string): Buffer {
  const [header, payload] = encodeFrame({
    opcode,
    payload: new TextEncoder().encode(text),
    maskKey: 0x01020304,
  });
  return Buffer.concat([header, payload]);
}

/** The frames after the 101 head in `bytes`. */
function frames(bytes: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const start = bytes.indexOf('\r\n\r\n') + 4;
  const out: Array<{ opcode: number; payload: Buffer }> = [];
  let offset = start;
  for (;;) {
    const header = parseHeader(bytes, offset);
    if (header === null) return out;
    const from = offset + header.headerLength;
    out.push({ opcode: header.opcode, payload: bytes.subarray(from, from + header.payloadLength) });
    offset = from + header.payloadLength;
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('engine options', () => {
  it('names the bad option', () => {
    expect(() => new EngineServer({}, { handshakeTimeout: -1 }, {})).toThrow(/handshakeTimeout/);
    expect(() => new EngineServer({}, { maxPayload: 1.5 }, {})).toThrow(/maxPayload/);
    expect(() => new EngineServer({}, { highWaterMark: 0 }, {})).toThrow(/highWaterMark/);
    expect(() => new EngineServer({}, { backpressurePolicy: 'queue' as 'drop' }, {})).toThrow(
      /backpressurePolicy/,
    );
    expect(() => new EngineServer({}, { nope: 1 } as HandlerOptions, {})).toThrow(
      /Unknown option: nope/,
    );
    expect(() => new EngineServer({}, { perMessageDeflate: true }, {})).toThrow(
      /perMessageDeflate/,
    );
  });
});

describe('engine handshake', () => {
  it('answers 408 to a head that does not complete within handshakeTimeout', async () => {
    const port = await serve({}, { handshakeTimeout: 150 });
    const c = rawClient(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await c.closed;
    expect(c.received().toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 408 when the upgrade hook takes longer than handshakeTimeout', async () => {
    const port = await serve(
      {
        upgrade: () =>
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2_000)),
      },
      { handshakeTimeout: 150 },
    );
    const c = rawClient(port);
    c.socket.write(UPGRADE);
    await c.closed;
    expect(c.received().toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 431 to a head over 16 KiB and 400/426 to requests that are not upgrades', async () => {
    const port = await serve({}, {});
    const big = rawClient(port);
    big.socket.write(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
    await big.closed;
    expect(big.received().toString('latin1')).toMatch(/^HTTP\/1\.1 431 /);
    const plain = rawClient(port);
    plain.socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await plain.closed;
    expect(plain.received().toString('latin1')).toMatch(/^HTTP\/1\.1 (400|426) /);
    const garbage = rawClient(port);
    garbage.socket.write('\x16\x03\x01 not http at all\r\n\r\n');
    await garbage.closed;
    expect(garbage.received().toString('latin1')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('delivers frames pipelined behind the head after open, in order, while the hook decides', async () => {
    const events: string[] = [];
    const port = await serve(
      {
        upgrade: async () => {
          await wait(100);
          return { context: { n: 1 } };
        },
        open: () => {
          events.push('open');
        },
        message: (peer, message) => {
          events.push(message.text());
          peer.send(message.text().toUpperCase());
        },
      },
      {},
    );
    const c = rawClient(port);
    c.socket.write(
      Buffer.concat([Buffer.from(UPGRADE), masked(Opcode.Text, 'one'), masked(Opcode.Text, 'two')]),
    );
    await wait(400);
    expect(events).toEqual(['open', 'one', 'two']);
    expect(c.received().toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    expect(frames(c.received()).map((f) => f.payload.toString())).toEqual(['ONE', 'TWO']);
  });

  it('cuts a refusal body at 64 KiB with a matching content-length', async () => {
    const port = await serve(
      { upgrade: () => new Response('x'.repeat(100_000), { status: 401 }) },
      {},
    );
    const c = rawClient(port);
    c.socket.write(UPGRADE);
    await c.closed;
    const text = c.received().toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text).toMatch(/content-length: 65536\r\n/);
    expect(text.length - (text.indexOf('\r\n\r\n') + 4)).toBe(65_536);
  });
});

describe('engine timers', () => {
  it('pings a silent peer and terminates it when it stays silent (heartbeatInterval)', async () => {
    const closes: CloseDetails[] = [];
    const port = await serve(
      { close: (_peer, details) => void closes.push(details) },
      { heartbeatInterval: 100 },
    );
    const c = rawClient(port);
    c.socket.write(UPGRADE);
    await c.closed;
    expect(frames(c.received()).map((f) => f.opcode)).toContain(Opcode.Ping);
    await wait(20);
    expect(closes).toEqual([{ code: 1006, reason: '' }]);
  });

  it('ends a peer that never answers our close frame after closeTimeout', async () => {
    const closes: CloseDetails[] = [];
    const port = await serve(
      {
        open: (peer) => peer.close(4000, 'bye'),
        close: (_peer, details) => void closes.push(details),
      },
      { closeTimeout: 150, heartbeatInterval: 0 },
    );
    const c = rawClient(port);
    const t0 = Date.now();
    c.socket.write(UPGRADE);
    await c.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const [close] = frames(c.received());
    expect(close?.opcode).toBe(Opcode.Close);
    expect(close?.payload.readUInt16BE(0)).toBe(4000);
    await wait(20);
    expect(closes).toEqual([{ code: 1006, reason: '' }]);
  });
});
