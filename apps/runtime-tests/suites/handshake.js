// @strata-ws/handshake behaviour, identical in every runtime: RFC 6455 §4 opening handshake,
// §1.3 Sec-WebSocket-Accept (portable SHA-1), WHATWG URL/protocol rules on each runtime's own URL,
// RFC 9112 head parsing, §9.1 extension grammar, RFC 8441 extended CONNECT.
// Runs against packages/handshake/dist.
import {
  acceptExtendedConnect,
  acceptUpgrade,
  allowsExtendedConnect,
  computeAccept,
  createClientHandshake,
  createOriginPolicy,
  formatExtensionList,
  generateKey,
  HandshakeError,
  isValidKey,
  parseExtensionList,
  parseWebSocketUrl,
  RequestHeadParser,
  ResponseHeadParser,
  responseHeadersH2,
  serializeRejection,
  serializeSwitchingProtocols,
  serializeUpgradeRequest,
  setSha1,
  sha1Portable,
  validateHandshakeResponse,
  validateProtocols,
  validateUpgradeRequest,
} from '@strata-ws/handshake';
import { ACCEPT_VECTORS, ascii, RFC6455_HANDSHAKE } from '@strata-ws/test-vectors';
import { assert, describe, random, test } from '../src/harness.js';

function latin1(bytes) {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function codeOf(fn, message) {
  return assert.throws(fn, (e) => e instanceof HandshakeError, message).code;
}

describe('handshake', () => {
  test('§1.3 Sec-WebSocket-Accept with the portable SHA-1', () => {
    setSha1(null);
    for (const { name, key, accept } of ACCEPT_VECTORS)
      assert.equal(computeAccept(key), accept, name);
    assert.equal(hex(sha1Portable(ascii('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
    assert.equal(
      hex(sha1Portable(new Uint8Array(1000).fill(0x61))),
      '291e9a6c66994949b57ba5e650361e98fc36b1ba',
    );
  });

  test('the 16-byte key rule (base64 decoded by the handshake)', () => {
    const rnd = random(6455);
    for (let i = 0; i < 200; i++) {
      const b = new Uint8Array(Math.floor(rnd() * 40));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      // the runtime's own btoa encodes; the handshake's portable base64 decodes
      assert.equal(isValidKey(btoa(latin1(b))), b.length === 16);
    }
    assert.equal(isValidKey('Zm9v=Zg=AAAAAAAAAAAAAA=='), false);
    // the runtime's crypto.getRandomValues is the default key source
    assert.ok(isValidKey(generateKey()));
  });

  test("WHATWG URL rules on this runtime's URL parser", () => {
    const u = parseWebSocketUrl('https://Example.com:443/a/../chat?x=1');
    assert.deepEqual(
      { href: u.href, secure: u.secure, host: u.host, port: u.port, resourceName: u.resourceName },
      {
        href: 'wss://example.com/chat?x=1',
        secure: true,
        host: 'example.com',
        port: 443,
        resourceName: '/chat?x=1',
      },
    );
    assert.equal(parseWebSocketUrl('ws://[::1]:9000/').host, '[::1]:9000');
    assert.equal(
      codeOf(() => parseWebSocketUrl('ws://h.example/#'), 'ws://h.example/#'),
      'url-fragment',
    );
    assert.equal(
      codeOf(() => parseWebSocketUrl('ftp://h.example/'), 'ftp://h.example/'),
      'invalid-url-scheme',
    );
    assert.equal(
      codeOf(() => parseWebSocketUrl('ws://foo bar.com/'), 'ws://foo bar.com/'),
      'invalid-url',
    );
    assert.equal(
      codeOf(() => validateProtocols(['a', 'a'])),
      'duplicate-protocol',
    );
    assert.equal(
      codeOf(() => validateProtocols('a b')),
      'invalid-protocol',
    );
  });

  test('§4.1 request bytes → §4.2 server → 101 bytes → client, byte by byte', () => {
    let seed = 0;
    const c = createClientHandshake({
      url: 'ws://server.example.com/chat',
      protocols: ['chat', 'superchat'],
      origin: 'http://example.com',
      randomFill: (b) => {
        for (let i = 0; i < b.length; i++) b[i] = seed++;
      },
    });
    assert.equal(c.expectedAccept, ACCEPT_VECTORS[2].accept);
    const reqParser = new RequestHeadParser();
    const reqBytes = serializeUpgradeRequest(c);
    let req = null;
    for (let i = 0; i < reqBytes.length && req === null; i++)
      req = reqParser.push(reqBytes.subarray(i, i + 1));
    assert.equal(req.head.url, '/chat');
    const s = acceptUpgrade(
      {
        method: req.head.method,
        httpVersion: req.head.httpVersion,
        url: req.head.url,
        headers: req.head.headers,
      },
      { handleProtocols: (offered) => offered[1] },
    );
    const frame = Uint8Array.of(0x81, 0x00);
    const resBytes = serializeSwitchingProtocols(s);
    const wire = new Uint8Array(resBytes.length + 2);
    wire.set(resBytes);
    wire.set(frame, resBytes.length);
    const res = new ResponseHeadParser().push(wire);
    assert.bytes(res.rest, frame);
    const result = validateHandshakeResponse(c, res.head);
    assert.equal(result.protocol, 'superchat');
  });

  test("§4.2.1 the RFC sample request and each rule's HTTP answer", () => {
    const ok = {
      method: 'GET',
      httpVersion: '1.1',
      url: '/chat',
      headers: RFC6455_HANDSHAKE.requestHeaders,
    };
    const h = acceptUpgrade(ok);
    assert.ok(
      latin1(serializeSwitchingProtocols(h)).includes(
        `Sec-WebSocket-Accept: ${RFC6455_HANDSHAKE.accept}\r\n`,
      ),
    );
    const fail = (change) =>
      assert.throws(
        () =>
          validateUpgradeRequest({
            ...ok,
            ...change,
            headers: { ...ok.headers, ...change.headers },
          }),
        (e) => e instanceof HandshakeError,
      );
    assert.equal(fail({ method: 'POST' }).status, 405);
    assert.equal(fail({ headers: { 'sec-websocket-key': 'short' } }).status, 400);
    const version = fail({ headers: { 'sec-websocket-version': '8' } });
    assert.equal(version.status, 426);
    assert.ok(latin1(serializeRejection(version)).includes('\r\nSec-WebSocket-Version: 13\r\n'));
    const origin = assert.throws(
      () => validateUpgradeRequest(ok, { checkOrigin: createOriginPolicy(['https://a.example']) }),
      (e) => e instanceof HandshakeError,
    );
    assert.equal(origin.status, 403);
  });

  test('§9.1 extension lists: seeded random round trips and refusals', () => {
    const rnd = random(7692);
    const pick = (s) => s[Math.floor(rnd() * s.length)];
    const token = () =>
      Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => pick('abcxyz019-_.!~')).join('');
    for (let i = 0; i < 200; i++) {
      const offers = Array.from({ length: Math.floor(rnd() * 4) }, () => ({
        name: token(),
        params: Array.from({ length: Math.floor(rnd() * 3) }, () => ({
          name: token(),
          value: rnd() < 0.5 ? null : token(),
        })),
      }));
      assert.deepEqual(parseExtensionList(formatExtensionList(offers)), offers);
    }
    assert.equal(
      codeOf(() => parseExtensionList('a; b="x y"')),
      'request-extensions',
    );
    assert.equal(
      codeOf(() => parseExtensionList('a'.repeat(20000))),
      'request-extensions',
    );
  });

  test('RFC 8441 extended CONNECT both ways', () => {
    assert.equal(allowsExtendedConnect({ enableConnectProtocol: true }), true);
    assert.equal(allowsExtendedConnect(new Map([[8, 0]])), false);
    const c = createClientHandshake({
      url: 'wss://h.example/chat',
      protocols: ['chat'],
      httpVersion: 2,
    });
    const s = acceptExtendedConnect(Object.fromEntries(c.headers));
    assert.deepEqual(responseHeadersH2(s), [
      [':status', '200'],
      ['sec-websocket-protocol', 'chat'],
    ]);
    assert.equal(
      validateHandshakeResponse(c, { status: 200, headers: { 'sec-websocket-protocol': 'chat' } })
        .protocol,
      'chat',
    );
  });
});
