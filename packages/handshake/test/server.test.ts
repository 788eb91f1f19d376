import { RFC6455_HANDSHAKE } from '@strata-ws/test-vectors';
import { describe, expect, it } from 'vitest';
import {
  acceptUpgrade,
  type ExtensionParams,
  negotiateUpgrade,
  rejectionH2,
  type ServerExtensionNegotiator,
  serializeRejection,
  serializeSwitchingProtocols,
  type UpgradeRequest,
  validateUpgradeRequest,
} from '../src/index.js';
import { thrown as rejection, text } from './helpers.js';

const KEY = RFC6455_HANDSHAKE.key;

function request(
  headers: Record<string, string | undefined>,
  over?: Partial<UpgradeRequest>,
): UpgradeRequest {
  return {
    method: 'GET',
    httpVersion: '1.1',
    url: '/chat',
    headers: {
      host: 'server.example.com',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': KEY,
      'sec-websocket-version': '13',
      ...headers,
    },
    ...over,
  };
}

describe('RFC 6455 §4.2.1 reading the client opening handshake', () => {
  it('accepts the RFC sample request and answers the RFC sample response', () => {
    const h = acceptUpgrade({
      method: 'GET',
      httpVersion: '1.1',
      url: '/chat',
      headers: RFC6455_HANDSHAKE.requestHeaders,
    });
    expect(h.request).toMatchObject({
      httpVersion: 1,
      key: KEY,
      host: 'server.example.com',
      path: '/chat',
      origin: 'http://example.com',
      protocols: ['chat', 'superchat'],
      extensions: [],
    });
    expect(h.protocol).toBe('chat');
    expect(text(serializeSwitchingProtocols(h))).toBe(
      `${RFC6455_HANDSHAKE.statusLine}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${RFC6455_HANDSHAKE.accept}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
    );
  });

  it('accepts tokens in lists, any case, and a Node-style array value', () => {
    const v = validateUpgradeRequest(
      request({
        upgrade: 'h2c, WebSocket',
        connection: 'keep-alive, UPGRADE',
        'sec-websocket-key': ` ${KEY} `,
      }),
    );
    expect(v.key).toBe(KEY);
    const w = validateUpgradeRequest({
      method: 'GET',
      headers: { ...request({}).headers, 'sec-websocket-protocol': ['a', 'b, a'] },
    });
    expect(w.protocols).toEqual(['a', 'b']);
    expect(w.path).toBe('/');
    expect(validateUpgradeRequest(request({}, { httpVersion: '2.0' })).httpVersion).toBe(1);
  });

  it.each<[string, UpgradeRequest, string, number]>([
    ['POST', request({}, { method: 'POST' }), 'request-method', 405],
    ['lower-case get', request({}, { method: 'get' }), 'request-method', 405],
    ['HTTP/1.0', request({}, { httpVersion: '1.0' }), 'request-http-version', 400],
    ['HTTP/0.9', request({}, { httpVersion: '0.9' }), 'request-http-version', 400],
    ['garbage version', request({}, { httpVersion: 'x' }), 'request-http-version', 400],
    ['no Host', request({ host: undefined }), 'request-host', 400],
    ['empty Host', request({ host: '' }), 'request-host', 400],
    ['two Hosts joined', request({ host: 'a.example, b.example' }), 'request-host', 400],
    ['no Upgrade', request({ upgrade: undefined }), 'request-upgrade', 400],
    ['Upgrade: h2c', request({ upgrade: 'h2c' }), 'request-upgrade', 400],
    ['Upgrade: websocket/13', request({ upgrade: 'websocket/13' }), 'request-upgrade', 400],
    ['Upgrade malformed', request({ upgrade: 'websocket;' }), 'request-upgrade', 400],
    ['no Connection', request({ connection: undefined }), 'request-connection', 400],
    ['Connection: keep-alive', request({ connection: 'keep-alive' }), 'request-connection', 400],
    ['Connection: upgraded', request({ connection: 'upgraded' }), 'request-connection', 400],
    ['no key', request({ 'sec-websocket-key': undefined }), 'request-key', 400],
    ['short key', request({ 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAA' }), 'request-key', 400],
    [
      'key of 17 bytes',
      request({ 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAAAAA=' }),
      'request-key',
      400,
    ],
    ['two keys joined', request({ 'sec-websocket-key': `${KEY}, ${KEY}` }), 'request-key', 400],
    [
      'key not base64',
      request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25j!Q==' }),
      'request-key',
      400,
    ],
    ['no version', request({ 'sec-websocket-version': undefined }), 'request-version', 400],
    ['version 8', request({ 'sec-websocket-version': '8' }), 'request-version', 426],
    ['version 13, 8', request({ 'sec-websocket-version': '13, 8' }), 'request-version', 426],
    ['bad protocol list', request({ 'sec-websocket-protocol': 'a b' }), 'request-protocol', 400],
    [
      'bad extension list',
      request({ 'sec-websocket-extensions': 'a; b="x y"' }),
      'request-extensions',
      400,
    ],
    [
      'oversized extension list',
      request({ 'sec-websocket-extensions': 'a'.repeat(20_000) }),
      'request-extensions',
      431,
    ],
  ])('%s → %s %i', (_name, req, code, status) => {
    const e = rejection(() => validateUpgradeRequest(req));
    expect(e.code).toBe(code);
    expect(e.status).toBe(status);
  });

  it('a version failure carries Sec-WebSocket-Version: 13 and 426 carries Upgrade (RFC 6455 §4.4)', () => {
    const e = rejection(() => validateUpgradeRequest(request({ 'sec-websocket-version': '8' })));
    expect(e.headers).toEqual([['Sec-WebSocket-Version', '13']]);
    const bytes = text(serializeRejection(e));
    expect(bytes).toBe(
      'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nUpgrade: websocket\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 32\r\nSec-WebSocket-Version: 13\r\n\r\nUnsupported WebSocket version: 8',
    );
  });

  it('405 carries Allow: GET', () => {
    const e = rejection(() => validateUpgradeRequest(request({}, { method: 'POST' })));
    expect(text(serializeRejection(e))).toContain('HTTP/1.1 405 Method Not Allowed\r\n');
    expect(text(serializeRejection(e))).toContain('\r\nAllow: GET\r\n');
  });

  it('maxHeaderValueLength bounds the list headers', () => {
    const req = request({ 'sec-websocket-protocol': 'a, b, c' });
    expect(rejection(() => validateUpgradeRequest(req, { maxHeaderValueLength: 4 })).status).toBe(
      431,
    );
    expect(validateUpgradeRequest(req, { maxHeaderValueLength: 7 }).protocols).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});

describe('origin policy (RFC 6455 §4.2.2 item 4, §10.2)', () => {
  it('an allow-list refuses other origins with 403 and lets origin-less clients in', () => {
    const options = { checkOrigin: ['https://app.example'] };
    expect(validateUpgradeRequest(request({ origin: 'https://app.example' }), options).origin).toBe(
      'https://app.example',
    );
    expect(validateUpgradeRequest(request({}), options).origin).toBeUndefined();
    const e = rejection(() =>
      validateUpgradeRequest(request({ origin: 'https://evil.example' }), options),
    );
    expect(e).toMatchObject({ code: 'request-origin', status: 403 });
    expect(text(serializeRejection(e))).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
  });

  it('a predicate sees the Origin value', () => {
    const seen: Array<string | undefined> = [];
    const checkOrigin = (o: string | undefined): boolean => {
      seen.push(o);
      return o !== undefined;
    };
    expect(rejection(() => validateUpgradeRequest(request({}), { checkOrigin })).status).toBe(403);
    validateUpgradeRequest(request({ origin: 'null' }), { checkOrigin });
    expect(seen).toEqual([undefined, 'null']);
  });
});

describe('RFC 6455 §4.2.2 subprotocol selection', () => {
  const req = request({ 'sec-websocket-protocol': 'chat, superchat, chat' });

  it('defaults to the first offered (as ws does), none when none offered', () => {
    expect(acceptUpgrade(req).protocol).toBe('chat');
    const h = acceptUpgrade(request({}), { handleProtocols: () => 'x' });
    expect(h.protocol).toBeUndefined();
    expect(h.headers.map(([n]) => n)).toEqual(['Upgrade', 'Connection', 'Sec-WebSocket-Accept']);
  });

  it('asks handleProtocols with the offered list (deduplicated) and the request', () => {
    const h = acceptUpgrade(req, {
      handleProtocols: (offered, r) => {
        expect(offered).toEqual(['chat', 'superchat']);
        expect(r.host).toBe('server.example.com');
        return 'superchat';
      },
    });
    expect(h.protocol).toBe('superchat');
    expect(h.headers).toContainEqual(['Sec-WebSocket-Protocol', 'superchat']);
    expect(acceptUpgrade(req, { handleProtocols: () => false }).protocol).toBeUndefined();
    expect(acceptUpgrade(req, { handleProtocols: () => null }).protocol).toBeUndefined();
  });

  it('a selection that was not offered is a programming error (TypeError)', () => {
    expect(() => acceptUpgrade(req, { handleProtocols: () => 'Chat' })).toThrow(TypeError);
  });
});

describe('RFC 6455 §9.1 extension negotiation', () => {
  function negotiator(
    name: string,
    pick: (offers: readonly ExtensionParams[]) => ExtensionParams | null,
  ) {
    const calls: Array<readonly ExtensionParams[]> = [];
    const n: ServerExtensionNegotiator = {
      name,
      negotiate(offers) {
        calls.push(offers);
        return pick(offers);
      },
    };
    return { n, calls };
  }

  it('groups offers by name, asks each negotiator once, answers in the client order', () => {
    const deflate = negotiator('permessage-deflate', (offers) => offers[1] ?? null);
    const foo = negotiator('x-foo', () => []);
    const req = request({
      'sec-websocket-extensions':
        'x-foo, permessage-deflate; client_max_window_bits=20, x-unknown; a=1, permessage-deflate; client_max_window_bits',
    });
    const h = acceptUpgrade(req, { extensions: [deflate.n, foo.n] });
    expect(foo.calls).toEqual([[[]]]);
    expect(deflate.calls).toEqual([
      [
        [{ name: 'client_max_window_bits', value: '20' }],
        [{ name: 'client_max_window_bits', value: null }],
      ],
    ]);
    expect(h.extensions.map((e) => [e.name, e.params, e.negotiator])).toEqual([
      ['x-foo', [], foo.n],
      ['permessage-deflate', [{ name: 'client_max_window_bits', value: null }], deflate.n],
    ]);
    expect(text(serializeSwitchingProtocols(h))).toContain(
      '\r\nSec-WebSocket-Extensions: x-foo, permessage-deflate; client_max_window_bits\r\n',
    );
  });

  it('a declined extension is left out; no header when none accepted', () => {
    const none = negotiator('permessage-deflate', () => null);
    const h = acceptUpgrade(request({ 'sec-websocket-extensions': 'permessage-deflate' }), {
      extensions: [none.n],
    });
    expect(h.extensions).toEqual([]);
    expect(h.headers.some(([n]) => n === 'Sec-WebSocket-Extensions')).toBe(false);
  });

  it('negotiateUpgrade can run after validation (e.g. after an authentication hook)', () => {
    const v = validateUpgradeRequest(request({ 'sec-websocket-protocol': 'a' }));
    expect(negotiateUpgrade(v).protocol).toBe('a');
  });
});

describe('responses as bytes', () => {
  it('101 with extra headers after the handshake ones; handshake headers cannot be overridden', () => {
    const h = acceptUpgrade(request({}));
    expect(
      text(serializeSwitchingProtocols(h, { 'Set-Cookie': ['a=1', 'b=2'], 'X-Id': '7' })),
    ).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${RFC6455_HANDSHAKE.accept}\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Id: 7\r\n\r\n`,
    );
    expect(() => serializeSwitchingProtocols(h, { 'sec-websocket-accept': 'x' })).toThrow(
      TypeError,
    );
    expect(() => serializeSwitchingProtocols(h, [['X-Evil', 'a\r\nInjected: 1']])).toThrow(
      TypeError,
    );
    expect(() => serializeSwitchingProtocols(h, [['Bad Name', 'x']])).toThrow(TypeError);
  });

  it('rejections: status line, Connection: close, text body with its length, extra headers', () => {
    expect(text(serializeRejection(401, { headers: { 'WWW-Authenticate': 'Bearer' } }))).toBe(
      'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nWWW-Authenticate: Bearer\r\n\r\nUnauthorized',
    );
    const e = rejection(() => validateUpgradeRequest(request({ 'sec-websocket-key': undefined })));
    const out = text(serializeRejection(e, { message: 'nope \u00e9' }));
    expect(out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(out).toContain('Content-Length: 7\r\n\r\nnope \u00c3\u00a9');
    expect(() => serializeRejection(101)).toThrow(RangeError);
    expect(text(serializeRejection(599))).toMatch(/^HTTP\/1\.1 599 Unknown\r\n/);
  });

  it('a given Content-Type replaces the default (one field), a given Content-Length is ignored', () => {
    const headers = {
      'content-type': 'application/json',
      'Content-Length': '999',
      'X-Why': 'quota',
    };
    const out = text(serializeRejection(429, { message: '{"retry":5}', headers }));
    expect(out).toBe(
      'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Why: quota\r\n\r\n{"retry":5}',
    );
    expect(rejectionH2(429, { message: '{"retry":5}', headers }).headers).toEqual([
      [':status', '429'],
      ['content-type', 'application/json'],
      ['content-length', '11'],
      ['x-why', 'quota'],
    ]);
  });
});
