/**
 * Every option is checked at `new WebSocketServer(...)`: a bad value throws a TypeError or
 * RangeError whose message names the option — never later, after a handshake (issue #12:
 * `maxPayload: 1.5` used to be accepted, then the engine threw after the 101 was written).
 */
import { once } from 'node:events';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { defaultLimits, WebSocketServer, type WebSocketServerOptions } from '../src/index.js';

type Case = [name: string, value: unknown, error: typeof TypeError | typeof RangeError];

const BYTE_LIMITS = [
  'maxPayload',
  'maxMessageSize',
  'maxFragments',
  'maxBufferedInput',
  'maxHeaderSize',
  'highWaterMark',
  'maxBufferedAmount',
];
const POSITIVE_DURATIONS = ['handshakeTimeout', 'closeTimeout'];
const DURATIONS = ['heartbeatInterval', 'idleTimeout'];

const cases: Case[] = [
  ...BYTE_LIMITS.flatMap((name): Case[] => [
    [name, 1.5, RangeError],
    [name, 0, RangeError],
    [name, -1, RangeError],
    [name, Number.NaN, RangeError],
    [name, '1024', TypeError],
  ]),
  ...POSITIVE_DURATIONS.flatMap((name): Case[] => [
    [name, 0, RangeError],
    [name, 2.5, RangeError],
    [name, Number.POSITIVE_INFINITY, RangeError],
    [name, 2 ** 31, RangeError],
    [name, '10', TypeError],
  ]),
  ...DURATIONS.flatMap((name): Case[] => [
    [name, -1, RangeError],
    [name, 0.5, RangeError],
    [name, Number.POSITIVE_INFINITY, RangeError],
    [name, null, TypeError],
  ]),
  ['autoPong', 'yes', TypeError],
  ['clientTracking', 1, TypeError],
  ['backpressurePolicy', 'block', TypeError],
  ['path', 'no-slash', TypeError],
  ['authenticate', 'token', TypeError],
  ['verifyClient', {}, TypeError],
  ['handleProtocols', 'chat', TypeError],
  ['protocols', 'chat', TypeError],
  ['protocols', ['chat', 1], TypeError],
  ['origins', 'https://a.example', TypeError],
  ['perMessageDeflate', 'on', TypeError],
];

describe('options are validated at construction, naming the option', () => {
  for (const [name, value, error] of cases) {
    it(`${name}: ${typeof value === 'string' ? JSON.stringify(value) : String(value)} → ${error.name}`, () => {
      let thrown: unknown;
      try {
        new WebSocketServer({ noServer: true, [name]: value } as WebSocketServerOptions);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(error);
      expect((thrown as Error).message).toContain(name);
    });
  }

  it('permessage-deflate engine options too (not at the first handshake)', () => {
    expect(() => new WebSocketServer({ noServer: true, perMessageDeflate: { level: 12 } })).toThrow(
      /level/,
    );
    expect(
      () =>
        new WebSocketServer({ noServer: true, perMessageDeflate: { memoryMode: 'x' as 'pooled' } }),
    ).toThrow(/memoryMode/);
    expect(
      () => new WebSocketServer({ noServer: true, perMessageDeflate: { serverMaxWindowBits: 7 } }),
    ).toThrow(RangeError);
    expect(() => new WebSocketServer({ noServer: true, topics: { threshold: -1 } })).toThrow(
      /threshold/,
    );
  });

  it('limits accept Infinity (no limit) and the defaults are the engine table', () => {
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: Number.POSITIVE_INFINITY,
      maxFragments: 10,
    });
    expect(wss.options.maxPayload).toBe(Number.POSITIVE_INFINITY);
    expect(wss.options.maxFragments).toBe(10);
    expect(new WebSocketServer({ noServer: true }).options.maxMessageSize).toBe(
      defaultLimits.maxMessageSize,
    );
  });

  it('maxPayload: 1.5 throws before any socket exists; nothing is ever written', async () => {
    expect(() => new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1.5 })).toThrow(
      'maxPayload must be a positive integer or Infinity, got 1.5',
    );
    // And a valid server answers a valid upgrade with a 101, not an HTTP 500 after it.
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1000 });
    await once(wss, 'listening');
    const socket = connect((wss.address() as AddressInfo).port, '127.0.0.1');
    socket.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [head] = (await once(socket, 'data')) as [Buffer];
    expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /);
    expect(head.toString('latin1')).not.toContain('500');
    socket.destroy();
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
});
