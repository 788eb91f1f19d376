import { describe, expect, it } from 'vitest';
import {
  acceptExtendedConnect,
  allowsExtendedConnect,
  type ClientExtensionNegotiator,
  createClientHandshake,
  rejectionH2,
  responseHeadersH2,
  type ServerExtensionNegotiator,
  serializeSwitchingProtocols,
  serializeUpgradeRequest,
  validateExtendedConnect,
  validateHandshakeResponse,
} from '../src/index.js';
import { SETTINGS_ENABLE_CONNECT_PROTOCOL } from '../src/settings.js';
import { text, thrown } from './helpers.js';

const clientExt: ClientExtensionNegotiator = {
  name: 'permessage-deflate',
  offer: () => [[{ name: 'client_max_window_bits', value: null }]],
  checkResponse: () => null,
};
const serverExt: ServerExtensionNegotiator = {
  name: 'permessage-deflate',
  negotiate: (offers) => offers[0] ?? null,
};

const REQUEST = {
  ':method': 'CONNECT',
  ':protocol': 'websocket',
  ':scheme': 'https',
  ':path': '/chat',
  ':authority': 'server.example.com',
  'sec-websocket-version': '13',
  origin: 'http://www.example.com',
  'sec-websocket-protocol': 'chat, superchat',
};

describe('RFC 8441 §3 SETTINGS_ENABLE_CONNECT_PROTOCOL', () => {
  it('is setting 0x8 and must be 1', () => {
    expect(SETTINGS_ENABLE_CONNECT_PROTOCOL).toBe(8);
    expect(allowsExtendedConnect({ enableConnectProtocol: true })).toBe(true);
    expect(allowsExtendedConnect({ enableConnectProtocol: 1 })).toBe(true);
    expect(allowsExtendedConnect({ enableConnectProtocol: false })).toBe(false);
    expect(allowsExtendedConnect({})).toBe(false);
    expect(allowsExtendedConnect(new Map([[8, 1]]))).toBe(true);
    expect(allowsExtendedConnect(new Map([[8, 0]]))).toBe(false);
    expect(allowsExtendedConnect({ 8: 1 })).toBe(true);
    expect(allowsExtendedConnect({ 8: 2 })).toBe(false);
    expect(allowsExtendedConnect(undefined)).toBe(false);
    expect(allowsExtendedConnect(null)).toBe(false);
  });
});

describe('RFC 8441 §4-5 client: extended CONNECT', () => {
  it('sends pseudo-headers first, no Upgrade/Connection/Key, lower-case names', () => {
    const h = createClientHandshake({
      url: 'wss://server.example.com/chat?x=1',
      protocols: ['chat', 'superchat'],
      extensions: [clientExt],
      origin: 'http://www.example.com',
      headers: { 'X-Token': 'a' },
      httpVersion: 2,
    });
    expect(h.key).toBe('');
    expect(h.headers).toEqual([
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'https'],
      [':path', '/chat?x=1'],
      [':authority', 'server.example.com'],
      ['sec-websocket-version', '13'],
      ['sec-websocket-protocol', 'chat, superchat'],
      ['sec-websocket-extensions', 'permessage-deflate; client_max_window_bits'],
      ['origin', 'http://www.example.com'],
      ['x-token', 'a'],
    ]);
    expect(() => serializeUpgradeRequest(h)).toThrow(TypeError);
    expect(
      createClientHandshake({ url: 'ws://h.example:81', httpVersion: 2 }).headers.slice(2, 5),
    ).toEqual([
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'h.example:81'],
    ]);
  });

  it('accepts a 200 with an offered protocol, no Accept needed; refuses other statuses', () => {
    const h = createClientHandshake({
      url: 'wss://h.example/',
      protocols: ['chat'],
      extensions: [clientExt],
      httpVersion: 2,
    });
    const r = validateHandshakeResponse(h, {
      status: 200,
      headers: {
        'sec-websocket-protocol': 'chat',
        'sec-websocket-extensions': 'permessage-deflate',
      },
    });
    expect(r.protocol).toBe('chat');
    expect(r.extensions.map((e) => e.name)).toEqual(['permessage-deflate']);
    expect(thrown(() => validateHandshakeResponse(h, { status: 101, headers: {} })).code).toBe(
      'response-status',
    );
    expect(
      thrown(() =>
        validateHandshakeResponse(h, { status: 200, headers: { 'sec-websocket-protocol': 'x' } }),
      ).code,
    ).toBe('response-protocol');
  });
});

describe('RFC 8441 §5 server: validating extended CONNECT', () => {
  it('accepts the RFC example and answers :status 200 with the negotiated headers', () => {
    const h = acceptExtendedConnect(
      { ...REQUEST, 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' },
      { extensions: [serverExt] },
    );
    expect(h.request).toMatchObject({
      httpVersion: 2,
      key: undefined,
      host: 'server.example.com',
      path: '/chat',
    });
    expect(h.protocol).toBe('chat');
    expect(responseHeadersH2(h, { 'X-Served-By': 'a' })).toEqual([
      [':status', '200'],
      ['sec-websocket-protocol', 'chat'],
      ['sec-websocket-extensions', 'permessage-deflate; client_max_window_bits'],
      ['x-served-by', 'a'],
    ]);
    expect(() => serializeSwitchingProtocols(h)).toThrow(TypeError);
    expect(() => responseHeadersH2(h, { 'Sec-WebSocket-Protocol': 'x' })).toThrow(TypeError);
  });

  it.each<[string, Record<string, string | undefined>, string, number]>([
    ['GET', { ':method': 'GET' }, 'request-method', 405],
    ['plain CONNECT', { ':protocol': undefined }, 'request-connect-protocol', 400],
    [':protocol h2c', { ':protocol': 'connect-udp' }, 'request-connect-protocol', 400],
    ['no :scheme', { ':scheme': undefined }, 'request-pseudo-header', 400],
    ['no :path', { ':path': undefined }, 'request-pseudo-header', 400],
    ['empty :path', { ':path': '' }, 'request-pseudo-header', 400],
    ['no :authority', { ':authority': undefined }, 'request-host', 400],
    ['no version', { 'sec-websocket-version': undefined }, 'request-version', 400],
    ['version 8', { 'sec-websocket-version': '8' }, 'request-version', 400],
    ['bad protocols', { 'sec-websocket-protocol': 'a b' }, 'request-protocol', 400],
    ['bad extensions', { 'sec-websocket-extensions': ';' }, 'request-extensions', 400],
  ])('%s → %s %i', (_name, change, code, status) => {
    const e = thrown(() => validateExtendedConnect({ ...REQUEST, ...change }));
    expect(e).toMatchObject({ code, status });
  });

  it('falls back to host when :authority is missing; checks the origin (403)', () => {
    expect(
      validateExtendedConnect({ ...REQUEST, ':authority': undefined, host: 'h.example' }).host,
    ).toBe('h.example');
    const e = thrown(() =>
      validateExtendedConnect(REQUEST, { checkOrigin: ['https://app.example'] }),
    );
    expect(e).toMatchObject({ code: 'request-origin', status: 403 });
  });

  it('rejections as HTTP/2 header lists with a text body', () => {
    const e = thrown(() => validateExtendedConnect({ ...REQUEST, 'sec-websocket-version': '7' }));
    const r = rejectionH2(e);
    expect(r.headers).toEqual([
      [':status', '400'],
      ['content-type', 'text/plain; charset=utf-8'],
      ['content-length', String(r.body.length)],
      ['sec-websocket-version', '13'],
    ]);
    expect(text(r.body)).toBe('Unsupported WebSocket version: 7');
    expect(rejectionH2(403, { message: 'no' }).headers[0]).toEqual([':status', '403']);
  });
});
