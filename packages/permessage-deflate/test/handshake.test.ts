/**
 * The negotiators plugged into `@strata-ws/handshake` (RFC 6455 §9.1, RFC 7692 §5): offers
 * written by the client handshake, selected by the server handshake, the answer checked by
 * the client handshake.
 */

import {
  acceptUpgrade,
  type ClientExtensionNegotiator,
  createClientHandshake,
  HandshakeError,
  type ServerExtensionNegotiator,
  validateHandshakeResponse,
} from '@strata-ws/handshake';
import { describe, expect, it } from 'vitest';
import { PerMessageDeflateClient, PerMessageDeflateServer } from '../src/index.js';

// Compile-time check: the negotiators have the handshake's shapes.
const serverShape: ServerExtensionNegotiator = new PerMessageDeflateServer();
const clientShape: ClientExtensionNegotiator = new PerMessageDeflateClient();

function requestHeaders(client: ReturnType<typeof createClientHandshake>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of client.headers) out[name.toLowerCase()] = value;
  return out;
}

function upgrade(headers: Record<string, string>, server = new PerMessageDeflateServer()) {
  return acceptUpgrade(
    { method: 'GET', httpVersion: '1.1', url: '/', headers },
    { extensions: [server] },
  );
}

function answer(client: ReturnType<typeof createClientHandshake>, extensions: string | undefined) {
  const headers: Record<string, string> = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': client.expectedAccept,
  };
  if (extensions !== undefined) headers['sec-websocket-extensions'] = extensions;
  return validateHandshakeResponse(client, { status: 101, headers });
}

describe('negotiation through @strata-ws/handshake', () => {
  it('has the seam shapes', () => {
    expect(serverShape.name).toBe('permessage-deflate');
    expect(clientShape.name).toBe('permessage-deflate');
  });

  it('client offer -> server selection -> client check give one agreement', () => {
    const pmdClient = new PerMessageDeflateClient({
      offers: [{ clientNoContextTakeover: true, serverMaxWindowBits: 10 }, {}],
    });
    const client = createClientHandshake({ url: 'ws://127.0.0.1/', extensions: [pmdClient] });
    const headers = requestHeaders(client);
    expect(headers['sec-websocket-extensions']).toBe(
      'permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits, permessage-deflate; client_max_window_bits',
    );
    const pmdServer = new PerMessageDeflateServer({ serverNoContextTakeover: true });
    const server = upgrade(headers, pmdServer);
    expect(server.extensions).toHaveLength(1);
    const response = server.headers.find(
      ([n]) => n.toLowerCase() === 'sec-websocket-extensions',
    )?.[1];
    expect(response).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10',
    );
    const result = answer(client, response);
    const clientAgreement = pmdClient.agreement(result.extensions[0]!.params);
    const serverAgreement = pmdServer.agreement(server.extensions[0]!.params);
    expect({ ...clientAgreement, role: 'server' }).toEqual(serverAgreement);
    expect(serverAgreement).toEqual({
      role: 'server',
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 15,
    });
  });

  it('server: a bad offer is skipped, the next one taken; no acceptable offer means no extension, not a failure', () => {
    const base = requestHeaders(createClientHandshake({ url: 'ws://127.0.0.1/' }));
    const skipped = upgrade(
      {
        ...base,
        'sec-websocket-extensions':
          'permessage-deflate; server_max_window_bits=99, permessage-deflate; client_max_window_bits',
      },
      new PerMessageDeflateServer({ serverNoContextTakeover: true }),
    );
    expect(skipped.extensions[0]?.params.map((p) => p.name)).toEqual([
      'server_no_context_takeover',
    ]);
    const none = upgrade({
      ...base,
      'sec-websocket-extensions':
        'permessage-deflate; x=1, permessage-deflate; server_no_context_takeover=yes',
    });
    expect(none.extensions).toEqual([]);
    expect(none.headers.some(([n]) => n.toLowerCase() === 'sec-websocket-extensions')).toBe(false);
  });

  it('client: fails on an answer not offered, answered twice, or with invalid parameters', () => {
    const offered = createClientHandshake({
      url: 'ws://127.0.0.1/',
      extensions: [new PerMessageDeflateClient()],
    });
    const plain = createClientHandshake({ url: 'ws://127.0.0.1/' });
    const cases: [ReturnType<typeof createClientHandshake>, string, RegExp][] = [
      [plain, 'permessage-deflate', /not offered/],
      [offered, 'permessage-deflate, permessage-deflate', /twice/],
      [offered, 'permessage-deflate; server_max_window_bits=16', /invalid server_max_window_bits/],
      [offered, 'permessage-deflate; client_max_window_bits', /needs a value/],
      [
        offered,
        'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
        /duplicate/,
      ],
      [offered, 'permessage-deflate; mystery', /unknown parameter/],
    ];
    for (const [client, header, reason] of cases) {
      let error: unknown;
      try {
        answer(client, header);
      } catch (e) {
        error = e;
      }
      expect(error, header).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).code).toBe('response-extensions');
      expect((error as HandshakeError).message).toMatch(reason);
    }
    // And a valid answer passes.
    expect(answer(offered, 'permessage-deflate; client_max_window_bits=9').extensions).toHaveLength(
      1,
    );
    expect(answer(offered, undefined).extensions).toHaveLength(0);
  });
});
