/// <reference types="node" />
// Interop with the `ws` package over 127.0.0.1: its client against our server-side functions on
// node:http, and our client-side functions on node:net against its server.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  acceptUpgrade,
  createClientHandshake,
  HandshakeError,
  type HandshakeErrorCode,
  ResponseHeadParser,
  type ServerExtensionNegotiator,
  serializeRejection,
  serializeSwitchingProtocols,
  serializeUpgradeRequest,
  setSha1,
  type UpgradeRequest,
  validateHandshakeResponse,
} from '../src/index.js';

// compile-time: Node's IncomingMessage is an UpgradeRequest as it is
const asUpgradeRequest = (req: IncomingMessage): UpgradeRequest => req;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  setSha1(null);
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ourServer(
  options: Parameters<typeof acceptUpgrade>[1],
): Promise<{ port: number; codes: HandshakeErrorCode[] }> {
  const codes: HandshakeErrorCode[] = [];
  const server = createServer((_req, res) => res.end());
  const sockets = new Set<{ destroy(): void }>();
  server.on('upgrade', (req, socket) => {
    sockets.add(socket);
    try {
      const hs = acceptUpgrade(asUpgradeRequest(req), options);
      socket.write(serializeSwitchingProtocols(hs));
      // a text frame "hi" (unmasked, server to client), then a close frame 1000
      socket.write(Uint8Array.from([0x81, 0x02, 0x68, 0x69, 0x88, 0x02, 0x03, 0xe8]));
    } catch (e) {
      if (!(e instanceof HandshakeError)) throw e;
      codes.push(e.code);
      socket.end(serializeRejection(e));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, codes };
}

describe('interop with ws', () => {
  it('a ws client completes our server handshake, with a subprotocol and native SHA-1', async () => {
    setSha1((d) => createHash('sha1').update(d).digest());
    const { port } = await ourServer({
      handleProtocols: (offered) => (offered.includes('b') ? 'b' : false),
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/path`, ['a', 'b']);
    const message = await new Promise<string>((resolve, reject) => {
      ws.on('message', (data) => resolve(String(data)));
      ws.on('error', reject);
    });
    expect(message).toBe('hi');
    expect(ws.protocol).toBe('b');
    ws.terminate();
  });

  it('ws sees our 403 for a refused origin', async () => {
    const { port, codes } = await ourServer({ checkOrigin: ['https://good.example'] });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { origin: 'https://evil.example' });
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        ws.terminate();
      });
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(403);
    expect(codes).toEqual(['request-origin']);
  });

  it('ws negotiates permessage-deflate through a negotiator', async () => {
    const offersSeen: unknown[] = [];
    const deflate: ServerExtensionNegotiator = {
      name: 'permessage-deflate',
      negotiate: (offers) => {
        offersSeen.push(offers);
        return [{ name: 'server_no_context_takeover', value: null }];
      },
    };
    const { port } = await ourServer({ extensions: [deflate] });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: true });
    await new Promise<void>((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    expect(ws.extensions).toBe('permessage-deflate');
    expect(offersSeen).toEqual([[[{ name: 'client_max_window_bits', value: null }]]]);
    ws.terminate();
  });

  it('our client handshake over node:net against a ws server', async () => {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (set) => (set.has('chat') ? 'chat' : false),
    });
    await new Promise<void>((r) => wss.on('listening', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => r());
        }),
    );
    wss.on('connection', (ws) => ws.send('hello'));
    const { port } = wss.address() as AddressInfo;

    const hs = createClientHandshake({
      url: `ws://127.0.0.1:${port}/x?y=1`,
      protocols: ['other', 'chat'],
    });
    const socket = connect(port, '127.0.0.1');
    cleanups.push(async () => void socket.destroy());
    socket.write(serializeUpgradeRequest(hs));
    const parser = new ResponseHeadParser();
    const { result, rest } = await new Promise<{
      result: ReturnType<typeof validateHandshakeResponse>;
      rest: Uint8Array;
    }>((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      let result: ReturnType<typeof validateHandshakeResponse> | undefined;
      socket.on('data', (chunk: Uint8Array) => {
        try {
          if (result === undefined) {
            const done = parser.push(chunk);
            if (done === null) return;
            result = validateHandshakeResponse(hs, done.head);
            chunks.push(done.rest);
          } else {
            chunks.push(chunk);
          }
          const all = Buffer.concat(chunks);
          if (all.length >= 7) resolve({ result, rest: all });
        } catch (e) {
          reject(e);
        }
      });
      socket.on('error', reject);
    });
    expect(result.protocol).toBe('chat');
    expect([...rest.subarray(0, 7)]).toEqual([0x81, 0x05, ...Buffer.from('hello')]);
  });
});
