import { ACCEPT_VECTORS } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptUpgrade,
  type ClientExtensionNegotiator,
  createClientHandshake,
  type ExtensionParams,
  parseWebSocketUrl,
  RequestHeadParser,
  ResponseHeadParser,
  type ServerExtensionNegotiator,
  serializeSwitchingProtocols,
  serializeUpgradeRequest,
  validateHandshakeResponse,
  validateProtocols,
} from '../src/index.js';
import { counterFill, text, thrown } from './helpers.js';

describe('WHATWG WebSocket constructor: URL', () => {
  it.each([
    ['ws://example.com', 'ws://example.com/', false, 80, 'example.com', '/'],
    [
      'WS://EXAMPLE.com/a/../b?x=1&y',
      'ws://example.com/b?x=1&y',
      false,
      80,
      'example.com',
      '/b?x=1&y',
    ],
    ['wss://example.com:443/chat', 'wss://example.com/chat', true, 443, 'example.com', '/chat'],
    ['wss://example.com:80/', 'wss://example.com:80/', true, 80, 'example.com:80', '/'],
    ['ws://example.com:8080', 'ws://example.com:8080/', false, 8080, 'example.com:8080', '/'],
    ['http://example.com/x', 'ws://example.com/x', false, 80, 'example.com', '/x'],
    [
      'https://example.com:8443/x',
      'wss://example.com:8443/x',
      true,
      8443,
      'example.com:8443',
      '/x',
    ],
    ['ws://example.com/?', 'ws://example.com/?', false, 80, 'example.com', '/?'],
    ['ws://[::1]:9000/p', 'ws://[::1]:9000/p', false, 9000, '[::1]:9000', '/p'],
    ['ws://127.0.0.1/a b', 'ws://127.0.0.1/a%20b', false, 80, '127.0.0.1', '/a%20b'],
  ])('%s', (input, href, secure, port, host, resourceName) => {
    expect(parseWebSocketUrl(input)).toMatchObject({ href, secure, port, host, resourceName });
  });

  it('resolves against a base URL and takes URL objects', () => {
    expect(parseWebSocketUrl('chat', 'https://h.example/app/').href).toBe(
      'wss://h.example/app/chat',
    );
    const URLCtor = (globalThis as unknown as { URL: new (u: string) => { href: string } }).URL;
    expect(parseWebSocketUrl(new URLCtor('http://h.example/x')).href).toBe('ws://h.example/x');
  });

  it('web-platform-tests Create-invalid-urls: relative "#test" and "?test" against a base', () => {
    expect(thrown(() => parseWebSocketUrl('#test', 'http://h.example/')).code).toBe('url-fragment');
    expect(parseWebSocketUrl('?test', 'http://h.example/a').resourceName).toBe('/a?test');
  });

  it('exposes decoded credentials', () => {
    expect(parseWebSocketUrl('ws://us%20er:p%40ss@h.example/')).toMatchObject({
      username: 'us er',
      password: 'p@ss',
      host: 'h.example',
      href: 'ws://us%20er:p%40ss@h.example/',
    });
  });

  it.each([
    ['not a url', 'invalid-url'],
    ['ws://', 'invalid-url'],
    ['ws://exa mple.com', 'invalid-url'],
    ['ws://foo bar.com/', 'invalid-url'],
    ['ws://a%20b.example/', 'invalid-url'],
    ['ws://a<b/', 'invalid-url'],
    ['ftp://example.com', 'invalid-url-scheme'],
    ['file:///x', 'invalid-url-scheme'],
    ['data:text/plain,x', 'invalid-url-scheme'],
    ['javascript:alert(1)', 'invalid-url-scheme'],
    ['about:blank', 'invalid-url-scheme'],
    ['mailto:example@example.org', 'invalid-url-scheme'],
    ['/echo', 'invalid-url'],
    ['ws://example.com/#', 'url-fragment'],
    ['ws://example.com/#frag', 'url-fragment'],
    ['https://example.com/?a#b', 'url-fragment'],
  ])('%s → %s (a SyntaxError)', (input, code) => {
    const e = thrown(() => parseWebSocketUrl(input));
    expect(e.code).toBe(code);
    expect(e.isSyntaxError).toBe(true);
    expect(e.status).toBe(0);
  });
});

describe('WHATWG WebSocket constructor: protocols', () => {
  it('a string is one protocol; a list keeps its order', () => {
    expect(validateProtocols()).toEqual([]);
    expect(validateProtocols('chat')).toEqual(['chat']);
    expect(validateProtocols(['chat', 'v2.json'])).toEqual(['chat', 'v2.json']);
  });

  it.each([
    ['', 'invalid-protocol'],
    [['a b'], 'invalid-protocol'],
    [['a,b'], 'invalid-protocol'],
    [['caf\u00e9'], 'invalid-protocol'],
    [['a', 'a'], 'duplicate-protocol'],
    [['echo', 'eCho'], 'duplicate-protocol'],
    [['Chat', 'v2', 'CHAT'], 'duplicate-protocol'],
  ] as Array<[string | string[], string]>)('%j → %s', (protocols, code) => {
    const e = thrown(() => validateProtocols(protocols));
    expect(e.code).toBe(code);
    expect(e.isSyntaxError).toBe(true);
  });
});

const deflateClient = (
  respond: (p: ExtensionParams) => string | null = () => null,
): ClientExtensionNegotiator => ({
  name: 'permessage-deflate',
  offer: () => [[{ name: 'client_max_window_bits', value: null }], []],
  checkResponse: respond,
});

describe('RFC 6455 §4.1 the client opening handshake', () => {
  it('builds the exact request bytes', () => {
    const h = createClientHandshake({
      url: 'wss://server.example.com:8443/chat?room=1',
      protocols: ['chat', 'superchat'],
      extensions: [deflateClient()],
      origin: 'https://app.example',
      headers: { Authorization: 'Bearer t', 'X-Multi': ['1', '2'] },
      randomFill: counterFill(0),
    });
    expect(h.key).toBe(ACCEPT_VECTORS[2]!.key);
    expect(h.expectedAccept).toBe(ACCEPT_VECTORS[2]!.accept);
    expect(text(serializeUpgradeRequest(h))).toBe(
      'GET /chat?room=1 HTTP/1.1\r\n' +
        'Host: server.example.com:8443\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw==\r\n' +
        'Sec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Protocol: chat, superchat\r\n' +
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate\r\n' +
        'Origin: https://app.example\r\n' +
        'Authorization: Bearer t\r\n' +
        'X-Multi: 1\r\n' +
        'X-Multi: 2\r\n\r\n',
    );
  });

  it('a fresh random key each time by default', () => {
    const a = createClientHandshake({ url: 'ws://h.example' });
    const b = createClientHandshake({ url: 'ws://h.example' });
    expect(a.key).not.toBe(b.key);
    expect(a.headers.map(([n]) => n)).toEqual([
      'Host',
      'Upgrade',
      'Connection',
      'Sec-WebSocket-Key',
      'Sec-WebSocket-Version',
    ]);
  });

  it('extra Host and Origin headers replace the defaults; handshake headers are reserved', () => {
    const h = createClientHandshake({
      url: 'ws://10.0.0.1/',
      headers: [
        ['host', 'virtual.example'],
        ['Origin', 'https://o.example'],
      ],
      randomFill: counterFill(1),
    });
    expect(h.headers).toContainEqual(['Host', 'virtual.example']);
    expect(h.headers).toContainEqual(['Origin', 'https://o.example']);
    for (const name of [
      'Upgrade',
      'Connection',
      'sec-websocket-key',
      'Sec-WebSocket-Version',
      'Sec-WebSocket-Protocol',
      'Sec-WebSocket-Extensions',
    ]) {
      expect(() =>
        createClientHandshake({ url: 'ws://h.example', headers: { [name]: 'x' } }),
      ).toThrow(TypeError);
    }
    expect(() =>
      createClientHandshake({ url: 'ws://h.example', headers: { 'X-A': 'a\r\nb: c' } }),
    ).toThrow(TypeError);
    expect(() => createClientHandshake({ url: 'ws://h.example', origin: 'x\ny' })).toThrow(
      TypeError,
    );
    expect(thrown(() => createClientHandshake({ url: 'ws://h.example#x' })).code).toBe(
      'url-fragment',
    );
    expect(
      thrown(() => createClientHandshake({ url: 'ws://h.example', protocols: ['a', 'a'] })).code,
    ).toBe('duplicate-protocol');
  });
});

describe('RFC 6455 §4.1 validating the server response', () => {
  const h = createClientHandshake({
    url: 'ws://h.example/',
    protocols: ['chat', 'superchat'],
    extensions: [deflateClient((p) => (p.some((x) => x.name === 'bad') ? 'bad parameter' : null))],
    randomFill: counterFill(0),
  });
  const ok = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': ACCEPT_VECTORS[2]!.accept,
  };

  it('accepts 101 with tokens in lists in any case', () => {
    const r = validateHandshakeResponse(h, {
      status: 101,
      headers: { ...ok, upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' },
    });
    expect(r).toEqual({ protocol: '', extensions: [], extensionsHeader: '' });
  });

  it('returns the selected protocol and the accepted extensions', () => {
    const r = validateHandshakeResponse(h, {
      status: 101,
      headers: {
        ...ok,
        'sec-websocket-protocol': 'superchat',
        'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits=10',
      },
    });
    expect(r.protocol).toBe('superchat');
    expect(r.extensionsHeader).toBe('permessage-deflate; client_max_window_bits=10');
    expect(r.extensions).toEqual([
      {
        name: 'permessage-deflate',
        params: [{ name: 'client_max_window_bits', value: '10' }],
        negotiator: h.extensions[0],
      },
    ]);
  });

  it.each<[string, number, Record<string, string | undefined>, string]>([
    ['status 200', 200, {}, 'response-status'],
    ['status 302', 302, {}, 'response-status'],
    ['no Upgrade', 101, { upgrade: undefined }, 'response-upgrade'],
    ['Upgrade: h2c', 101, { upgrade: 'h2c' }, 'response-upgrade'],
    ['Upgrade malformed', 101, { upgrade: 'websocket;x' }, 'response-upgrade'],
    ['no Connection', 101, { connection: undefined }, 'response-connection'],
    ['Connection: close', 101, { connection: 'close' }, 'response-connection'],
    ['no Accept', 101, { 'sec-websocket-accept': undefined }, 'response-accept'],
    ['wrong Accept', 101, { 'sec-websocket-accept': ACCEPT_VECTORS[0]!.accept }, 'response-accept'],
    [
      'Accept twice',
      101,
      { 'sec-websocket-accept': `${ACCEPT_VECTORS[2]!.accept}, ${ACCEPT_VECTORS[2]!.accept}` },
      'response-accept',
    ],
    ['protocol not offered', 101, { 'sec-websocket-protocol': 'Chat' }, 'response-protocol'],
    ['two protocols', 101, { 'sec-websocket-protocol': 'chat, superchat' }, 'response-protocol'],
    ['extension not offered', 101, { 'sec-websocket-extensions': 'x-foo' }, 'response-extensions'],
    [
      'extension twice',
      101,
      { 'sec-websocket-extensions': 'permessage-deflate, permessage-deflate' },
      'response-extensions',
    ],
    [
      'parameters refused',
      101,
      { 'sec-websocket-extensions': 'permessage-deflate; bad' },
      'response-extensions',
    ],
    [
      'extensions malformed',
      101,
      { 'sec-websocket-extensions': 'permessage-deflate; a="b c"' },
      'response-extensions',
    ],
  ])('%s → %s', (_name, status, headers, code) => {
    const e = thrown(() =>
      validateHandshakeResponse(h, { status, headers: { ...ok, ...headers } }),
    );
    expect(e.code).toBe(code);
    expect(e.status).toBe(0);
    expect(e.isSyntaxError).toBe(false);
  });

  it('a subprotocol when none was requested fails', () => {
    const bare = createClientHandshake({ url: 'ws://h.example/', randomFill: counterFill(0) });
    const e = thrown(() =>
      validateHandshakeResponse(bare, {
        status: 101,
        headers: { ...ok, 'sec-websocket-protocol': 'chat' },
      }),
    );
    expect(e.code).toBe('response-protocol');
  });
});

describe('client and server together over bytes', () => {
  const token = fc.string({
    unit: fc.constantFrom(...'abcxyz019-_.!'),
    minLength: 1,
    maxLength: 8,
  });

  it('any valid offer round-trips: request bytes → server → 101 bytes → client (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(token, { maxLength: 5 }),
        fc.nat(),
        fc.integer({ min: 8, max: 15 }),
        fc.nat({ max: 255 }),
        (protocols, pick, bits, seed) => {
          const clientExt: ClientExtensionNegotiator = {
            name: 'permessage-deflate',
            offer: () => [[{ name: 'client_max_window_bits', value: null }]],
            checkResponse: (p) =>
              p.length === 1 && p[0]!.value === String(bits) ? null : 'unexpected',
          };
          const serverExt: ServerExtensionNegotiator = {
            name: 'permessage-deflate',
            negotiate: () => [{ name: 'client_max_window_bits', value: String(bits) }],
          };
          const c = createClientHandshake({
            url: 'ws://h.example/x',
            protocols,
            extensions: [clientExt],
            randomFill: counterFill(seed),
          });
          const req = new RequestHeadParser().push(serializeUpgradeRequest(c))!;
          expect(req.rest).toHaveLength(0);
          const chosen = protocols.length > 0 ? protocols[pick % protocols.length] : undefined;
          const s = acceptUpgrade(
            {
              method: req.head.method,
              httpVersion: req.head.httpVersion,
              url: req.head.url,
              headers: req.head.headers,
            },
            { handleProtocols: () => chosen, extensions: [serverExt] },
          );
          const res = new ResponseHeadParser().push(serializeSwitchingProtocols(s))!;
          const result = validateHandshakeResponse(c, res.head);
          expect(result.protocol).toBe(chosen ?? '');
          expect(result.extensions.map((e) => e.params)).toEqual([
            [{ name: 'client_max_window_bits', value: String(bits) }],
          ]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
