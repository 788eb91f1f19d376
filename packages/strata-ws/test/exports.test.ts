import type { AddressInfo } from 'node:net';
import * as client from '@strata-ws/client';
import * as server from '@strata-ws/server';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as strata from '../src/index.js';
import {
  type ClientOptions,
  type CloseEvent,
  type ServerOptions,
  WebSocket,
  type WebSocketOptions,
  WebSocketServer,
  type WebSocketServerOptions,
} from '../src/index.js';

describe('export surface', () => {
  it('exports exactly the public runtime names', () => {
    expect(Object.keys(strata).sort()).toEqual([
      'ChannelName',
      'CloseEvent',
      'HTTP2_PREFACE',
      'InProcessAdapter',
      'PreparedMessage',
      'ServerCounters',
      'ServerWebSocket',
      'TopicRegistry',
      'WebSocket',
      'WebSocketError',
      'WebSocketServer',
      'WebSocketStream',
      'busCountersOf',
      'closeGracefully',
      'createDualProtocolServer',
      'defaultLimits',
      'isWebSocketConnect',
      'websocketHttp2Settings',
      'withConnectProtocol',
    ]);
  });

  it('re-exports every runtime export of the client and the server, as the same objects', () => {
    for (const [name, value] of [...Object.entries(client), ...Object.entries(server)]) {
      expect(strata, name).toHaveProperty(name);
      expect((strata as Record<string, unknown>)[name], name).toBe(value);
    }
  });

  it('offers the ws-style type names as aliases', () => {
    expectTypeOf<ServerOptions>().toEqualTypeOf<WebSocketServerOptions>();
    expectTypeOf<ClientOptions>().toEqualTypeOf<WebSocketOptions>();
    expectTypeOf<strata.PerMessageDeflateOptions>().toEqualTypeOf<server.PerMessageDeflateOptions>();
    expectTypeOf<strata.WebSocketStreamOptions>().toEqualTypeOf<client.WebSocketStreamOptions>();
    expectTypeOf<strata.WebSocketEventMap>().toEqualTypeOf<client.WebSocketEventMap>();
  });
});

describe('one import for both sides', () => {
  it('connects the client to the server and echoes text and binary', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    try {
      const { port } = wss.address() as AddressInfo;
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      ws.binaryType = 'arraybuffer';
      const received: unknown[] = [];
      const closed = new Promise<CloseEvent>((resolve) => {
        ws.onmessage = (event) => {
          received.push(event.data);
          if (received.length === 2) ws.close(1000, 'done');
        };
        ws.onclose = (event) => resolve(event);
      });
      ws.onopen = () => {
        ws.send('héllo');
        ws.send(new Uint8Array([1, 2, 3]));
      };
      const event = await closed;
      expect(received[0]).toBe('héllo');
      expect(new Uint8Array(received[1] as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
      // The reason is the server's to repeat or not (RFC 6455 §5.5.1); the code comes back.
      expect([event.code, event.wasClean]).toEqual([1000, true]);
    } finally {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
