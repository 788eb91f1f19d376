import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatProtocolList,
  isToken,
  isValidHeaderValue,
  listContainsToken,
  parseProtocolList,
  parseTokenList,
  parseUpgradeList,
} from '../src/grammar.js';
import {
  type ExtensionOffer,
  formatExtensionList,
  HandshakeError,
  parseExtensionList,
} from '../src/index.js';
import { countCharReads } from './helpers.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const lowerToken = token.map((t) => t.toLowerCase());
const ows = fc.constantFrom('', ' ', '\t', '  ', ' \t');
/** Characters that make up header grammars, to hit every branch with random input. */
const headerish = fc.string({
  unit: fc.constantFrom(...'a=;,"\\ \t/b1-\u0000\u007f\u00ff\u0100\r\n'.split('')),
  maxLength: 60,
});

function expectHandshakeErrorOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof HandshakeError)) throw e;
  }
}

describe('RFC 7230 §3.2.6 tokens and field values', () => {
  it('isToken', () => {
    expect(isToken('permessage-deflate')).toBe(true);
    expect(isToken("!#$%&'*+-.^_`|~09azAZ")).toBe(true);
    for (const bad of [
      '',
      'a b',
      'a,b',
      'a;b',
      'a"',
      'a/b',
      'a=b',
      'é',
      'a\u0000',
      '(',
      '{',
      '@',
    ]) {
      expect(isToken(bad)).toBe(false);
    }
  });

  it('isValidHeaderValue refuses controls, CR/LF, non-Latin-1 and surrounding whitespace', () => {
    expect(isValidHeaderValue('text/plain; q=0.5')).toBe(true);
    expect(isValidHeaderValue('caf\u00e9')).toBe(true);
    expect(isValidHeaderValue('')).toBe(true);
    for (const bad of ['a\r\nb', 'a\nb', 'a\u0000', ' a', 'a ', 'a\u007f', '\u0100', '\u2028']) {
      expect(isValidHeaderValue(bad)).toBe(false);
    }
  });
});

describe('comma lists (RFC 7230 §7): Connection, Upgrade, Sec-WebSocket-Protocol', () => {
  it('parses tokens with OWS and empty elements', () => {
    expect(parseTokenList('keep-alive, Upgrade')).toEqual(['keep-alive', 'Upgrade']);
    expect(parseTokenList(' ,, a ,\tb,')).toEqual(['a', 'b']);
    expect(parseTokenList('')).toEqual([]);
    expect(parseProtocolList('chat, superchat')).toEqual(['chat', 'superchat']);
  });

  it('refuses what is not a token list, with the caller code and 400', () => {
    for (const bad of ['a b', 'a;b', '"a"', 'a/b', 'é']) {
      expect(() => parseTokenList(bad, { code: 'request-connection' })).toThrowError(
        expect.objectContaining({ code: 'request-connection', status: 400 }),
      );
    }
    expect(() => parseProtocolList('chat, super chat')).toThrowError(
      expect.objectContaining({ code: 'request-protocol', status: 400 }),
    );
    expect(() => parseProtocolList('a b', { code: 'response-protocol' })).toThrowError(
      expect.objectContaining({ code: 'response-protocol', status: 0 }),
    );
  });

  it('Upgrade accepts protocol/version', () => {
    expect(parseUpgradeList('h2c, WebSocket/13 ,websocket')).toEqual([
      'h2c',
      'WebSocket/13',
      'websocket',
    ]);
    expect(() => parseUpgradeList('websocket/')).toThrow(HandshakeError);
    expect(() => parseUpgradeList('/13')).toThrow(HandshakeError);
  });

  it('listContainsToken is case-insensitive, false for malformed or missing lists', () => {
    expect(listContainsToken('keep-alive, UPGRADE', 'upgrade')).toBe(true);
    expect(listContainsToken('keep-alive', 'upgrade')).toBe(false);
    expect(listContainsToken('upgrade;x', 'upgrade')).toBe(false);
    expect(listContainsToken(undefined, 'upgrade')).toBe(false);
    expect(listContainsToken('h2c, WebSocket', 'websocket', parseUpgradeList)).toBe(true);
    expect(listContainsToken('websocket/13', 'websocket', parseUpgradeList)).toBe(false);
  });

  it('formatProtocolList / parseProtocolList round trip (property)', () => {
    fc.assert(
      fc.property(fc.array(token, { minLength: 1, maxLength: 8 }), (list) => {
        expect(parseProtocolList(formatProtocolList(list))).toEqual(list);
      }),
    );
    expect(() => formatProtocolList(['a b'])).toThrow(TypeError);
  });

  it('random input: a token list or a HandshakeError, nothing else (property)', () => {
    fc.assert(
      fc.property(headerish, (s) => {
        expectHandshakeErrorOnly(() => parseTokenList(s));
        expectHandshakeErrorOnly(() => parseUpgradeList(s));
        expectHandshakeErrorOnly(() => parseProtocolList(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('lists with arbitrary OWS and empty elements parse to the same tokens (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(token, ows, ows, fc.boolean()), { maxLength: 8 }), (parts) => {
        const text = parts.map(([t, a, b, empty]) => `${a}${t}${b}${empty ? ', ' : ''}`).join(',');
        expect(parseTokenList(text)).toEqual(parts.map(([t]) => t));
      }),
    );
  });
});

describe('RFC 6455 §9.1 Sec-WebSocket-Extensions', () => {
  it('parses names, parameters, token and quoted values, lower-casing names', () => {
    expect(
      parseExtensionList(
        'permessage-deflate; client_max_window_bits; server_max_window_bits=10, Permessage-Deflate ;Client_Max_Window_Bits = "15" ,x-foo',
      ),
    ).toEqual([
      {
        name: 'permessage-deflate',
        params: [
          { name: 'client_max_window_bits', value: null },
          { name: 'server_max_window_bits', value: '10' },
        ],
      },
      { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: '15' }] },
      { name: 'x-foo', params: [] },
    ]);
  });

  it('keeps duplicate parameters (a negotiator must refuse them) and unescapes quoted-pairs', () => {
    expect(parseExtensionList('a; b=1; b=2; c="\\x\\y"')).toEqual([
      {
        name: 'a',
        params: [
          { name: 'b', value: '1' },
          { name: 'b', value: '2' },
          { name: 'c', value: 'xy' },
        ],
      },
    ]);
  });

  it.each([
    ['a;', 'expected a parameter name'],
    ['a; =1', 'expected a parameter name'],
    ['a; b=', 'expected a parameter value'],
    ['a; b="1', 'unterminated quoted-string'],
    ['a; b="1 2"', 'not a token'],
    ['a; b=""', 'not a token'],
    ['a; b="x"y', 'expected ","'],
    ['a b', 'expected ","'],
    [';a', 'expected an extension name'],
    ['a; b=1=2', 'expected ","'],
    ['a; b="\u0001"', 'invalid character'],
    ['a; b="\\', 'unterminated'],
  ])('refuses %j (%s) with request-extensions / 400', (value, reason) => {
    let error: unknown;
    try {
      parseExtensionList(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as HandshakeError).code).toBe('request-extensions');
    expect((error as HandshakeError).status).toBe(400);
    expect((error as HandshakeError).message).toContain(reason);
  });

  const param = fc.record({ name: lowerToken, value: fc.option(token, { nil: null }) });
  const offer = fc.record({ name: lowerToken, params: fc.array(param, { maxLength: 4 }) });

  it('format then parse is the identity (property)', () => {
    fc.assert(
      fc.property(fc.array(offer, { maxLength: 5 }), (offers: ExtensionOffer[]) => {
        expect(parseExtensionList(formatExtensionList(offers))).toEqual(offers);
      }),
    );
  });

  it('quoted and token spellings with any OWS parse alike (property)', () => {
    fc.assert(
      fc.property(lowerToken, lowerToken, token, ows, ows, ows, (name, p, v, a, b, c) => {
        const quoted = parseExtensionList(`${name}${a};${b}${p}${c}=${a}"${v}"`);
        expect(quoted).toEqual(parseExtensionList(`${name};${p}=${v}`));
      }),
    );
  });

  it('parse then format then parse is stable for random input (property)', () => {
    fc.assert(
      fc.property(headerish, (s) => {
        let parsed: ExtensionOffer[];
        try {
          parsed = parseExtensionList(s);
        } catch (e) {
          expect(e).toBeInstanceOf(HandshakeError);
          return;
        }
        expect(parseExtensionList(formatExtensionList(parsed))).toEqual(parsed);
      }),
      { numRuns: 3000 },
    );
  });

  it('formatExtensionList refuses non-token names and values', () => {
    expect(() => formatExtensionList([{ name: 'a b', params: [] }])).toThrow(TypeError);
    expect(() =>
      formatExtensionList([{ name: 'a', params: [{ name: 'b', value: 'x y' }] }]),
    ).toThrow(TypeError);
    expect(() => formatExtensionList([{ name: 'a', params: [{ name: '', value: null }] }])).toThrow(
      TypeError,
    );
  });
});

describe('hostile headers: bounded size, linear work', () => {
  const MB = 1 << 20;
  const hostile = (n: number): Record<string, string> => ({
    extensions: 'a;b="'.padEnd(n, 'x'),
    manyParams: 'a'.padEnd(n, ';b=c'),
    manyOffers: ','.repeat(n / 2).padEnd(n, 'a,'),
    quotedPairs: 'a;b="'.padEnd(n, '\\x'),
    spaces: 'a'.padEnd(n - 1, ' ').concat(';'),
    tokens: 'x'.repeat(n),
  });

  it('refuses a 1 MB value by its size, before scanning it (431 on the server side)', () => {
    for (const [name, value] of Object.entries(hostile(MB))) {
      const reads = countCharReads(() => {
        expect(() => parseExtensionList(value)).toThrowError(
          expect.objectContaining({ code: 'request-extensions', status: 431 }),
        );
        expect(() => parseTokenList(value, { code: 'response-connection' })).toThrowError(
          expect.objectContaining({ code: 'response-connection', status: 0 }),
        );
      });
      expect(reads, name).toBe(0);
    }
  });

  it('parses or refuses 1 MB with at most a few reads per byte, 10x the reads of 100 KB', () => {
    const small = hostile(100 * 1024);
    const large = hostile(1000 * 1024);
    for (const name of Object.keys(small)) {
      const work = (value: string): number =>
        countCharReads(() => {
          expectHandshakeErrorOnly(() => parseExtensionList(value, { maxLength: Infinity }));
          expectHandshakeErrorOnly(() => parseTokenList(value, { maxLength: Infinity }));
        });
      const a = work(small[name]!);
      const b = work(large[name]!);
      expect(b / large[name]!.length, name).toBeLessThanOrEqual(6);
      expect(b / a, name).toBeGreaterThan(9);
      expect(b / a, name).toBeLessThan(11);
    }
  });
});
