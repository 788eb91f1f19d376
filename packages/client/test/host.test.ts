/**
 * Node's fast paths (src/host.ts): bufferutil's mask is handed to each client connection (the
 * engine's `masking` option) and masks exactly as RFC 6455 §5.3 says; creating a client changes
 * nothing process-wide (#12 "no hidden coupling"): a server in the same process makes its own
 * choice (since the server uses bufferutil per connection too, as ws does). bufferutil's real `mask` is counted in place (it still runs), so
 * the test sees which code path each side takes.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { encodeFrame, Opcode, processMaskImplementation } from '@strata-ws/codec';
import { nodeMasking } from '@strata-ws/node-host';
import { Connection, type ConnectionHandler } from '@strata-ws/protocol';
import { WebSocketServer } from '@strata-ws/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from '../src/index.js';
import { nextEvent } from './helpers.js';

type MaskFn = (
  source: Uint8Array,
  mask: Uint8Array,
  output: Uint8Array,
  offset: number,
  length: number,
) => void;
const bufferUtil = createRequire(import.meta.url)('bufferutil') as { mask: MaskFn };
const nativeMask = bufferUtil.mask;
let nativeCalls = 0;

function reference(data: Uint8Array, maskKey: number, keyOffset: number): Uint8Array {
  const out = data.slice();
  for (let i = 0; i < out.length; i++) {
    out[i]! ^= (maskKey >>> (24 - 8 * ((i + keyOffset) & 3))) & 0xff;
  }
  return out;
}

function payload(length: number, seed: number): Uint8Array {
  return new Uint8Array(length).map((_, i) => (i * 7 + seed) & 0xff);
}

let server: WebSocketServer;
let url: string;
beforeAll(async () => {
  bufferUtil.mask = (...args) => {
    nativeCalls++;
    nativeMask(...args);
  };
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(server, 'listening');
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  server.on('connection', (ws) => {
    ws.on('message', (data: Uint8Array | string, isBinary: boolean) => {
      ws.send(data, { binary: isBinary });
    });
  });
});
afterAll(async () => {
  bufferUtil.mask = nativeMask;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('per-connection masking (bufferutil)', () => {
  it('masks and copy-masks like RFC 6455 §5.3 at every key offset and length', () => {
    const masking = nodeMasking();
    expect(masking).not.toBeNull();
    for (const length of [0, 1, 95, 96, 255, 256, 257, 1000, 65_537]) {
      for (const keyOffset of [0, 1, 2, 3]) {
        const data = payload(length, length);
        const maskKey = 0x9a3c51e7 ^ length;
        const expected = reference(data, maskKey, keyOffset);
        const target = new Uint8Array(length + 9).fill(0xee);
        masking!.maskInto(data, target, 5, maskKey, keyOffset);
        expect(Buffer.compare(target.subarray(5, 5 + length), expected), `into ${length}`).toBe(0);
        expect([...target.subarray(0, 5), ...target.subarray(5 + length)]).toEqual(
          new Array(9).fill(0xee),
        );
        masking!.mask(data, maskKey, keyOffset);
        expect(Buffer.compare(data, expected), `${length}/${keyOffset}`).toBe(0);
      }
    }
  });

  it('a client connection masks its sends with bufferutil, and the echo comes back intact', async () => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    await nextEvent(ws, 'open');
    const before = nativeCalls;
    const data = payload(64 * 1024, 3);
    ws.send(data);
    const echo = await nextEvent<MessageEvent>(ws, 'message');
    expect(Buffer.compare(new Uint8Array(echo.data as ArrayBuffer), data)).toBe(0);
    expect(nativeCalls).toBeGreaterThan(before);
    ws.close();
    await nextEvent(ws, 'close');
  });
});

describe('no hidden coupling: a client in the process changes nothing process-wide', () => {
  it('a server-role engine connection has no host masking and never calls bufferutil', () => {
    const ws = new WebSocket(url); // a client exists in this process (its connection is made)
    const data = payload(64 * 1024, 9);
    const [header, masked] = encodeFrame({
      opcode: Opcode.Binary,
      payload: data,
      maskKey: 0x1234abcd,
    });
    const received: Uint8Array[] = [];
    const handler: ConnectionHandler = {
      onMessage: (message) => received.push(message.slice()),
      onPing() {},
      onPong() {},
      onClose() {},
      onFail(error) {
        throw error;
      },
      onOutput() {},
    };
    // The codec's process-wide seam is untouched: nothing installed behind anyone's back.
    expect(processMaskImplementation()).toEqual({ mask: null, maskInto: null });
    const conn = new Connection(handler, { role: 'server' });
    expect(conn.masking).toBeNull();
    const before = nativeCalls;
    const wire = new Uint8Array(header.length + masked.length);
    wire.set(header);
    wire.set(masked, header.length);
    conn.receive(wire);
    expect(received).toHaveLength(1);
    expect(Buffer.compare(received[0]!, data)).toBe(0);
    expect(nativeCalls).toBe(before);
    ws.close();
  });

  it('the Strata server unmasks a 64 KiB frame with its own per-connection bufferutil, exactly, after a client connected', async () => {
    const client = new WebSocket(url);
    await nextEvent(client, 'open');
    const data = payload(60_000, 5);
    const [header, masked] = encodeFrame({
      opcode: Opcode.Binary,
      payload: data,
      maskKey: 0x0badf00d,
    });
    const socket: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let input = Buffer.alloc(0);
    const headEnd = async (): Promise<number> => {
      for (;;) {
        const end = input.indexOf('\r\n\r\n');
        if (end >= 0) return end + 4;
        const [chunk] = (await once(socket, 'data')) as [Buffer];
        input = Buffer.concat([input, chunk]);
      }
    };
    const bodyStart = await headEnd();
    expect(input.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
    input = input.subarray(bodyStart);
    const before = nativeCalls;
    socket.write(header);
    socket.write(masked);
    // The echo: an unmasked binary frame with a 16-bit length (4-byte header).
    while (input.length < 4 + data.length) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      input = Buffer.concat([input, chunk]);
    }
    expect([input[0], input[1], input.readUInt16BE(2)]).toEqual([0x82, 126, data.length]);
    expect(Buffer.compare(input.subarray(4, 4 + data.length), data)).toBe(0);
    // The server chooses bufferutil for its own connections (as ws does), not through anything
    // the client installed: the process-wide seam is still empty.
    expect(nativeCalls).toBeGreaterThan(before);
    expect(processMaskImplementation()).toEqual({ mask: null, maskInto: null });
    socket.destroy();
    client.close();
    await nextEvent(client, 'close');
  });
});
