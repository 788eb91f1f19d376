/**
 * Opening-handshake cases (RFC 6455 §4, RFC 7692 §5, RFC 8441): requests a server must refuse
 * or accept (played by the fuzzing client on raw sockets), and responses a client must refuse
 * or accept (played by the fuzzing server).
 */
import { acceptOf, type Head, header } from '../http.js';
import type { Result } from './types.js';

/** A request head sent to a server under test, and how to judge its answer. */
export interface ServerHandshakeCase {
  id: string;
  group: string;
  title: string;
  /** The request head (without the blank line), given the host and a fresh key. */
  request(host: string, key: string): string[];
  /** `accept`: a 101 with the right accept value; `refuse`: a 4xx; or a custom judge. */
  expect: 'accept' | 'refuse' | ((head: Head | null, key: string) => [Result, string]);
  /** Needs a server configured with the origin allow-list `http://allowed.example`. */
  origin?: boolean;
}

/** The standard request, with header lines replaced (name: null removes it) or added. */
function request(
  overrides: Record<string, string | string[] | null> = {},
  line = 'GET / HTTP/1.1',
) {
  return (host: string, key: string): string[] => {
    const base: Record<string, string | string[] | null> = {
      Host: host,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
      ...overrides,
    };
    const lines = [line];
    for (const [name, value] of Object.entries(base)) {
      if (value === null) continue;
      for (const v of Array.isArray(value) ? value : [value])
        lines.push(`${name}: ${v.replace('{key}', key)}`);
    }
    return lines;
  };
}

const is101 = (head: Head | null, key: string) =>
  head?.status === 101 && header(head, 'sec-websocket-accept') === acceptOf(key);
const describe = (head: Head | null) =>
  head ? head.line : 'no answer (connection closed or timed out)';

/** Judges an answer that must be a 4xx; `status` is the preferred code. */
function refuse(status?: number, needHeader?: [string, string]) {
  return (head: Head | null): [Result, string] => {
    if (!head) return ['NON-STRICT', 'closed the connection without an HTTP answer'];
    if (head.status === 101) return ['FAIL', 'accepted it (101)'];
    if (head.status < 400 || head.status > 499) return ['FAIL', `answered ${head.line}`];
    if (needHeader && header(head, needHeader[0]) !== needHeader[1])
      return ['NON-STRICT', `${head.status} without ${needHeader[0]}: ${needHeader[1]}`];
    if (status && head.status !== status)
      return ['NON-STRICT', `answered ${head.status}, ${status} is the precise answer`];
    return ['PASS', ''];
  };
}

/** Server-side handshake cases. */
export function serverHandshakeCases(): ServerHandshakeCase[] {
  const g = 'H handshake (server)';
  const c = (
    id: string,
    title: string,
    req: ServerHandshakeCase['request'],
    expect: ServerHandshakeCase['expect'],
    origin?: boolean,
  ): ServerHandshakeCase => ({
    id,
    group: g,
    title,
    request: req,
    expect,
    ...(origin ? { origin } : {}),
  });
  return [
    c('H.1', 'valid request', request(), 'accept'),
    c(
      'H.2',
      'Sec-WebSocket-Version: 8',
      request({ 'Sec-WebSocket-Version': '8' }),
      refuse(426, ['sec-websocket-version', '13']),
    ),
    c(
      'H.3',
      'Sec-WebSocket-Version: 14',
      request({ 'Sec-WebSocket-Version': '14' }),
      refuse(426, ['sec-websocket-version', '13']),
    ),
    c('H.4', 'no Sec-WebSocket-Version', request({ 'Sec-WebSocket-Version': null }), refuse()),
    c('H.5', 'no Sec-WebSocket-Key', request({ 'Sec-WebSocket-Key': null }), refuse(400)),
    c(
      'H.6',
      'key of 15 bytes',
      request({ 'Sec-WebSocket-Key': 'AAAAAAAAAAAAAAAAAAAA' }),
      refuse(400),
    ),
    c(
      'H.7',
      'key that is not base64',
      request({ 'Sec-WebSocket-Key': '!!!!!!!!!!!!!!!!!!!!!!==' }),
      refuse(400),
    ),
    c(
      'H.8',
      'two Sec-WebSocket-Key headers',
      request({ 'Sec-WebSocket-Key': ['{key}', 'AQIDBAUGBwgJCgsMDQ4PEA=='] }),
      refuse(400),
    ),
    c('H.9', 'method POST', request({}, 'POST / HTTP/1.1'), refuse()),
    c('H.10', 'HTTP/1.0', request({}, 'GET / HTTP/1.0'), refuse()),
    c('H.11', 'no Upgrade header', request({ Upgrade: null }), refuse()),
    c('H.12', 'Upgrade: h2c', request({ Upgrade: 'h2c' }), refuse()),
    c(
      'H.13',
      'Connection without the upgrade token',
      request({ Connection: 'keep-alive' }),
      refuse(),
    ),
    c('H.14', 'no Host header', request({ Host: null }), refuse(400)),
    c('H.15', 'Upgrade: WebSocket (mixed case)', request({ Upgrade: 'WebSocket' }), 'accept'),
    c(
      'H.16',
      'Connection: keep-alive, Upgrade',
      request({ Connection: 'keep-alive, Upgrade' }),
      'accept',
    ),
    c(
      'H.17',
      'header names in odd case, spaces around values',
      (host, key) => [
        'GET / HTTP/1.1',
        `hOST:   ${host}  `,
        'UPGRADE: websocket',
        'connection:Upgrade',
        `SEC-WEBSOCKET-KEY: ${key}`,
        'sec-websocket-version:   13',
      ],
      'accept',
    ),
    c(
      'H.18',
      'query string in the request target',
      request({}, 'GET /?a=1&b=%20 HTTP/1.1'),
      'accept',
    ),
    c(
      'H.19',
      'subprotocols the server does not speak',
      request({ 'Sec-WebSocket-Protocol': 'x-unknown-1, x-unknown-2' }),
      (head, key) => {
        if (!is101(head, key))
          return [
            'NON-STRICT',
            `refused instead of accepting without a subprotocol: ${describe(head)}`,
          ];
        const chosen = header(head!, 'sec-websocket-protocol');
        return chosen === ''
          ? ['PASS', '']
          : chosen === 'x-unknown-1' || chosen === 'x-unknown-2'
            ? ['NON-STRICT', `echoed a subprotocol it does not implement (${chosen})`]
            : ['FAIL', `answered subprotocol ${chosen}`];
      },
    ),
    c(
      'H.20',
      'unknown extension offered',
      request({ 'Sec-WebSocket-Extensions': 'x-unknown; foo=1' }),
      (head, key) => {
        if (!is101(head, key)) return ['FAIL', `refused: ${describe(head)}`];
        return header(head!, 'sec-websocket-extensions').includes('x-unknown')
          ? ['FAIL', 'accepted an extension it does not know']
          : ['PASS', ''];
      },
    ),
    c(
      'H.21',
      'permessage-deflate with server_max_window_bits=7 (invalid)',
      request({ 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=7' }),
      (head, key) => {
        if (!is101(head, key))
          return head && head.status >= 400 && head.status < 500
            ? [
                'NON-STRICT',
                `refused the handshake (${head.status}) instead of declining the offer`,
              ]
            : ['FAIL', describe(head)];
        return header(head!, 'sec-websocket-extensions').includes('permessage-deflate')
          ? ['FAIL', `accepted an invalid offer: ${header(head!, 'sec-websocket-extensions')}`]
          : ['PASS', ''];
      },
    ),
    c(
      'H.22',
      'permessage-deflate with a repeated parameter',
      request({
        'Sec-WebSocket-Extensions':
          'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      }),
      (head, key) => {
        if (!is101(head, key))
          return head && head.status >= 400 && head.status < 500
            ? [
                'NON-STRICT',
                `refused the handshake (${head.status}) instead of declining the offer`,
              ]
            : ['FAIL', describe(head)];
        return header(head!, 'sec-websocket-extensions').includes('permessage-deflate')
          ? ['FAIL', 'accepted an offer with a repeated parameter (RFC 7692 §5.1)']
          : ['PASS', ''];
      },
    ),
    c(
      'H.23',
      'request head of 64 KiB',
      request({ 'X-Padding': 'a'.repeat(64 * 1024) }),
      refuse(431),
    ),
    c(
      'H.24',
      'Origin on the allow-list',
      request({ Origin: 'http://allowed.example' }),
      'accept',
      true,
    ),
    c(
      'H.25',
      'Origin not on the allow-list',
      request({ Origin: 'http://evil.example' }),
      refuse(403),
      true,
    ),
  ];
}

/** A response a client under test gets, and whether it must open. */
export interface ClientHandshakeCase {
  id: string;
  group: string;
  title: string;
  /** The response head lines (no blank line), given the client's key and its offer. */
  response(key: string, offer: string, protocols: string): string[];
  /** Whether the client must open the connection. */
  opens: boolean;
}

/** The standard 101 with overrides (null removes a header). */
function response(
  overrides: Record<string, string | null> = {},
  line = 'HTTP/1.1 101 Switching Protocols',
) {
  return (key: string): string[] => {
    const base: Record<string, string | null> = {
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Accept': acceptOf(key),
      ...overrides,
    };
    return [
      line,
      ...Object.entries(base).flatMap(([name, value]) =>
        value === null ? [] : [`${name}: ${value}`],
      ),
    ];
  };
}

/** Client-side handshake cases. */
export function clientHandshakeCases(): ClientHandshakeCase[] {
  const g = 'HC handshake (client)';
  const c = (
    id: string,
    title: string,
    res: ClientHandshakeCase['response'],
    opens: boolean,
  ): ClientHandshakeCase => ({ id, group: g, title, response: res, opens });
  return [
    c('HC.1', 'valid 101', response(), true),
    c(
      'HC.2',
      'wrong Sec-WebSocket-Accept',
      response({ 'Sec-WebSocket-Accept': acceptOf('AAAAAAAAAAAAAAAAAAAAAA==') }),
      false,
    ),
    c('HC.3', 'no Sec-WebSocket-Accept', response({ 'Sec-WebSocket-Accept': null }), false),
    c('HC.4', 'status 200 instead of 101', response({}, 'HTTP/1.1 200 OK'), false),
    c('HC.5', 'no Upgrade header', response({ Upgrade: null }), false),
    c('HC.6', 'Upgrade: h2c', response({ Upgrade: 'h2c' }), false),
    c('HC.7', 'no Connection header', response({ Connection: null }), false),
    c(
      'HC.8',
      'a subprotocol the client did not offer',
      (key) => response({ 'Sec-WebSocket-Protocol': 'x-not-offered' })(key),
      false,
    ),
    c(
      'HC.9',
      'an extension the client did not offer',
      (key) => response({ 'Sec-WebSocket-Extensions': 'x-not-offered' })(key),
      false,
    ),
    c(
      'HC.10',
      'permessage-deflate with server_max_window_bits=7',
      (key) =>
        response({ 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=7' })(
          key,
        ),
      false,
    ),
    c(
      'HC.11',
      'permessage-deflate twice',
      (key) =>
        response({ 'Sec-WebSocket-Extensions': 'permessage-deflate, permessage-deflate' })(key),
      false,
    ),
    c(
      'HC.12',
      'header names in upper case, Upgrade: WebSocket',
      (key) => [
        'HTTP/1.1 101 Switching Protocols',
        'UPGRADE: WebSocket',
        'CONNECTION: upgrade',
        `SEC-WEBSOCKET-ACCEPT: ${acceptOf(key)}`,
      ],
      true,
    ),
    c(
      'HC.13',
      'HTTP/1.1 101 with a Content-Length: 0 and extra headers',
      response({ 'Content-Length': '0', Server: 'conformance' }),
      true,
    ),
  ];
}
