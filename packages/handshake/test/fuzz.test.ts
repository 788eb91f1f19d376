// Random input never makes a handshake function throw anything but HandshakeError.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  createClientHandshake,
  HandshakeError,
  parseWebSocketUrl,
  validateExtendedConnect,
  validateHandshakeResponse,
  validateUpgradeRequest,
} from '../src/index.js';
import { counterFill } from './helpers.js';

function onlyHandshakeErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof HandshakeError)) throw e;
  }
}

const piece = fc.constantFrom(
  'websocket',
  'Upgrade',
  'upgrade',
  '13',
  'dGhlIHNhbXBsZSBub25jZQ==',
  ',',
  ';',
  '=',
  '"',
  ' ',
  '\t',
  'a',
  'permessage-deflate',
  'chat',
  '\u0000',
  '\u00ff',
  '#',
  '/',
);
const value = fc.oneof(
  fc.array(piece, { maxLength: 8 }).map((p) => p.join('')),
  fc.string({ maxLength: 20 }),
);
const name = fc.constantFrom(
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'sec-websocket-accept',
  'origin',
  ':method',
  ':protocol',
  ':scheme',
  ':path',
  ':authority',
);
const headers = fc.dictionary(name, fc.oneof(value, fc.array(value, { maxLength: 3 })), {
  maxKeys: 10,
});

describe('fuzz: only HandshakeError escapes', () => {
  it('validateUpgradeRequest and validateExtendedConnect', () => {
    fc.assert(
      fc.property(
        headers,
        fc.constantFrom('GET', 'POST', 'CONNECT', undefined),
        fc.constantFrom('1.1', '1.0', '2.0', 'x'),
        (h, method, httpVersion) => {
          onlyHandshakeErrors(() =>
            validateUpgradeRequest(
              { method, httpVersion, headers: h },
              { checkOrigin: ['https://a.example'] },
            ),
          );
          onlyHandshakeErrors(() => validateExtendedConnect(h));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('validateHandshakeResponse', () => {
    const c1 = createClientHandshake({
      url: 'ws://h.example',
      protocols: ['chat'],
      randomFill: counterFill(3),
    });
    const c2 = createClientHandshake({
      url: 'ws://h.example',
      protocols: ['chat'],
      httpVersion: 2,
    });
    fc.assert(
      fc.property(headers, fc.constantFrom(101, 200, 400), (h, status) => {
        onlyHandshakeErrors(() => validateHandshakeResponse(c1, { status, headers: h }));
        onlyHandshakeErrors(() => validateHandshakeResponse(c2, { status, headers: h }));
      }),
      { numRuns: 1500 },
    );
  });

  it('parseWebSocketUrl', () => {
    const url = fc.oneof(
      fc.string({ maxLength: 30 }),
      // URL-shaped strings (fc.webUrl is too slow to generate for a unit test)
      fc
        .array(
          fc.constantFrom(
            'ws://',
            'h.example',
            ':',
            '80',
            '443',
            '/',
            'a',
            '?',
            '#',
            '@',
            '%20',
            '[::1]',
            ' ',
            '\\',
            '..',
          ),
          { maxLength: 10 },
        )
        .map((p) => p.join('')),
      fc
        .tuple(
          fc.constantFrom('ws://', 'wss://', 'http://', 'ftp://', ''),
          fc.string({ maxLength: 20 }),
        )
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(url, (u) => onlyHandshakeErrors(() => parseWebSocketUrl(u))),
      { numRuns: 1500 },
    );
  });
});
