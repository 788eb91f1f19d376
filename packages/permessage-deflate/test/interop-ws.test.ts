/**
 * Interop with `ws`'s permessage-deflate (lib/permessage-deflate.js), in process: the
 * handshake headers go through `ws`'s own header parser/formatter and ours, and compressed
 * traffic is decoded by the other implementation in both directions.
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatExtensionList, parseExtensionList } from '@strata-ws/handshake';
import { describe, expect, it } from 'vitest';
import {
  type ClientDeflateOptions,
  PerMessageDeflateClient,
  PerMessageDeflateServer,
  type ServerDeflateOptions,
} from '../src/index.js';
import {
  createPerMessageDeflate,
  type DeflateEngineOptions,
  type PerMessageDeflate,
} from '../src/node/index.js';

type Callback = (error: Error | null, data?: Buffer) => void;
interface WsPerMessageDeflate {
  params: Record<string, unknown> | null;
  offer(): Record<string, unknown>;
  accept(configurations: Record<string, unknown>[]): Record<string, unknown>;
  compress(data: Uint8Array, fin: boolean, callback: Callback): void;
  decompress(data: Uint8Array, fin: boolean, callback: Callback): void;
  cleanup(): void;
}
interface WsOptions {
  isServer?: boolean;
  maxPayload?: number;
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  threshold?: number;
}

const require = createRequire(import.meta.url);
const wsDir = dirname(require.resolve('ws/package.json'));
const WsDeflate = require(join(wsDir, 'lib/permessage-deflate.js')) as new (
  options: WsOptions,
) => WsPerMessageDeflate;
const wsExtension = require(join(wsDir, 'lib/extension.js')) as {
  parse(header: string): Record<string, Record<string, unknown>[]>;
  format(extensions: Record<string, Record<string, unknown>[]>): string;
};

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function wsCall(fn: (cb: Callback) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => fn((e, d) => (e ? reject(e) : resolve(d as Buffer))));
}
function ours(
  ext: PerMessageDeflate,
  op: 'encode' | 'decode',
  data: Uint8Array,
  fin = true,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const cb = (e: Error | null, d?: Uint8Array) => (e ? reject(e) : resolve(d as Uint8Array));
    if (op === 'encode') ext.encode(data, cb);
    else ext.decode(data, fin, 1 << 26, cb);
  });
}

function messages(): Uint8Array[] {
  const json = JSON.stringify(
    Array.from({ length: 60 }, (_, i) => ({
      id: i,
      name: `user${i}`,
      tags: ['a', 'b'].slice(0, i % 3),
    })),
  );
  const random = new Uint8Array(3000);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  return [
    Buffer.from(json),
    Buffer.from(json),
    random,
    Buffer.from('Hello'),
    new Uint8Array(0),
    Buffer.from(json),
  ];
}

/** Strata server, ws client. */
async function strataServerWsClient(
  serverOptions: ServerDeflateOptions,
  clientOptions: WsOptions,
  engine: DeflateEngineOptions,
): Promise<Record<string, unknown>> {
  const wsClient = new WsDeflate({ ...clientOptions, isServer: false });
  const offerHeader = wsExtension.format({ 'permessage-deflate': [wsClient.offer()] });
  const offers = parseExtensionList(offerHeader).map((o) => o.params);
  const negotiator = new PerMessageDeflateServer(serverOptions);
  const selection = negotiator.select(offers);
  expect(selection).not.toBeNull();
  const responseHeader = formatExtensionList([
    { name: 'permessage-deflate', params: selection!.response },
  ]);
  wsClient.accept(wsExtension.parse(responseHeader)['permessage-deflate']!);
  const server = createPerMessageDeflate(negotiator.agreement(selection!.response), {
    threshold: 0,
    ...engine,
  });

  for (const m of messages()) {
    // ws -> strata
    const z1 = await wsCall((cb) => wsClient.compress(m, true, cb));
    expect(hex(await ours(server, 'decode', z1))).toBe(hex(m));
    // strata -> ws
    const z2 = await ours(server, 'encode', m);
    expect(hex(await wsCall((cb) => wsClient.decompress(z2, true, cb)))).toBe(hex(m));
  }
  // A fragmented message from ws.
  const big = messages()[0]!;
  const f1 = await wsCall((cb) => wsClient.compress(big.subarray(0, 1000), false, cb));
  const f2 = await wsCall((cb) => wsClient.compress(big.subarray(1000), true, cb));
  const out1 = await ours(server, 'decode', f1, false);
  const out2 = await ours(server, 'decode', f2, true);
  expect(hex(Buffer.concat([out1, out2]))).toBe(hex(big));
  server.dispose();
  wsClient.cleanup();
  return wsClient.params ?? {};
}

/** ws server, Strata client. */
async function wsServerStrataClient(
  serverOptions: WsOptions,
  clientOptions: ClientDeflateOptions,
  engine: DeflateEngineOptions,
): Promise<void> {
  const negotiator = new PerMessageDeflateClient(clientOptions);
  const offerHeader = formatExtensionList(
    negotiator.offer().map((params) => ({ name: 'permessage-deflate', params })),
  );
  const wsServer = new WsDeflate({ ...serverOptions, isServer: true });
  const accepted = wsServer.accept(wsExtension.parse(offerHeader)['permessage-deflate']!);
  const responseHeader = wsExtension.format({ 'permessage-deflate': [accepted] });
  const [element] = parseExtensionList(responseHeader, { code: 'response-extensions' });
  expect(negotiator.checkResponse(element!.params)).toBeNull();
  const client = createPerMessageDeflate(negotiator.agreement(element!.params), {
    threshold: 0,
    ...engine,
  });

  for (const m of messages()) {
    const z1 = await wsCall((cb) => wsServer.compress(m, true, cb));
    expect(hex(await ours(client, 'decode', z1))).toBe(hex(m));
    const z2 = await ours(client, 'encode', m);
    expect(hex(await wsCall((cb) => wsServer.decompress(z2, true, cb)))).toBe(hex(m));
  }
  client.dispose();
  wsServer.cleanup();
}

const ENGINES: DeflateEngineOptions[] = [{ memoryMode: 'pooled' }, { memoryMode: 'dedicated' }];

describe('interop with ws permessage-deflate', () => {
  for (const engine of ENGINES) {
    describe(`engine ${engine.memoryMode}`, () => {
      it('Strata server (defaults) <-> ws client (defaults)', async () => {
        const params = await strataServerWsClient({}, {}, engine);
        expect(params.server_no_context_takeover).toBeUndefined(); // context kept by default
      });

      it('Strata server imposing no context takeover <-> ws client (defaults)', async () => {
        const params = await strataServerWsClient({ serverNoContextTakeover: true }, {}, engine);
        expect(params.server_no_context_takeover).toBe(true);
      });

      it('Strata server keeping context <-> ws client with context takeover', async () => {
        await strataServerWsClient({ serverNoContextTakeover: false }, {}, engine);
      });

      it('Strata server <-> ws client asking for small windows and no takeover', async () => {
        const params = await strataServerWsClient(
          {},
          { serverMaxWindowBits: 9, clientMaxWindowBits: 10, clientNoContextTakeover: true },
          engine,
        );
        expect(params.server_max_window_bits).toBe(9);
        expect(params.client_max_window_bits).toBe(10);
      });

      it('Strata server limiting the client window <-> ws client', async () => {
        const params = await strataServerWsClient(
          { clientMaxWindowBits: 9, serverMaxWindowBits: 11, serverNoContextTakeover: false },
          {},
          engine,
        );
        expect(params.client_max_window_bits).toBe(9);
        expect(params.server_max_window_bits).toBe(11);
      });

      it('Strata server <-> ws client promising an 8-bit window (zlib really uses 9)', async () => {
        const params = await strataServerWsClient(
          { serverNoContextTakeover: false },
          { clientMaxWindowBits: 8, serverMaxWindowBits: 8 },
          engine,
        );
        expect(params.client_max_window_bits).toBe(8);
        // 8 bits on our side: messages go uncompressed (shouldEncode is false); forced ones are
        // stored DEFLATE blocks, which ws decodes above.
        expect(params.server_max_window_bits).toBe(8);
      });

      it('ws server (defaults) <-> Strata client (defaults)', async () => {
        await wsServerStrataClient({}, {}, engine);
      });

      it('ws server with windows and no takeover <-> Strata client', async () => {
        await wsServerStrataClient(
          {
            serverNoContextTakeover: true,
            clientNoContextTakeover: true,
            serverMaxWindowBits: 10,
            clientMaxWindowBits: 9,
          },
          {},
          engine,
        );
      });

      it('ws server <-> Strata client requesting limits', async () => {
        await wsServerStrataClient(
          {},
          { serverNoContextTakeover: true, serverMaxWindowBits: 12, clientMaxWindowBits: 11 },
          engine,
        );
      });
    });
  }
});
