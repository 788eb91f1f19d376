import { ACCEPT_VECTORS, RFC6455_HANDSHAKE } from '@strata-ws/test-vectors';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WEBSOCKET_GUID } from '../src/accept.js';
import { decodeBase64, encodeBase64 } from '../src/base64.js';
import { computeAccept, generateKey, isValidKey, setSha1, sha1Portable } from '../src/index.js';
import { sha1 } from '../src/sha1.js';
import { bytes, counterFill, toHex } from './helpers.js';

// Reference digests from Python's hashlib over bytes (i * 7 + 3) & 255, covering the padding edges.
const SHA1_VECTORS: ReadonlyArray<[number, string]> = [
  [0, 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  [1, '9842926af7ca0a8cca12604f945414f07b01e13d'],
  [55, 'ddf57317ef34bfee3b6df83d359098930eb278bc'],
  [56, 'a0d492bb0fc889d0eca3bc137066ab6f4f74f369'],
  [57, '11a02dcf95859677a62e75024067c22b165d890f'],
  [63, 'c55856749bef509bdfe6bfebfc7bf4e793e82132'],
  [64, 'bede92be29c3874e1b54ddc77988d606fc857a8e'],
  [65, 'b05a80522b053d6dc7e0a517d0e70212c7dad11f'],
  [119, '504e27376a6e0f0dba8295b85cb25dc4dfa17d23'],
  [120, '82134b02fb3f702491be9bed581eeab59334acb2'],
  [128, 'a09133e6730ffe899efb70204cb5646cd5dc24ee'],
  [1000, '4231a8a50a10fa9758db8ec71fdef855b751048a'],
];

function patterned(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + 3) & 255;
  return out;
}

afterEach(() => setSha1(null));

describe('SHA-1 (FIPS 180-4)', () => {
  it.each(SHA1_VECTORS)('portable digest of %i bytes', (n, hex) => {
    expect(toHex(sha1Portable(patterned(n)))).toBe(hex);
  });

  it('FIPS 180 examples: "abc", the 448-bit message and a million "a"', () => {
    expect(toHex(sha1Portable(bytes('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(
      toHex(sha1Portable(bytes('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    ).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    expect(toHex(sha1Portable(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      '34aa973cd4c4daa4f61eeb2bdbad27316534016f',
    );
  });

  it('setSha1 routes sha1() and computeAccept() through the host function, null restores', () => {
    const seen: Uint8Array[] = [];
    setSha1((d) => {
      seen.push(d);
      return new Uint8Array(20).fill(1);
    });
    expect(computeAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe(
      encodeBase64(new Uint8Array(20).fill(1)),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.length).toBe(24 + 36);
    setSha1(null);
    expect(computeAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(toHex(sha1(bytes('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});

describe('RFC 6455 §1.3 / §4.2.2 Sec-WebSocket-Accept', () => {
  it('uses the RFC GUID', () => {
    expect(WEBSOCKET_GUID).toBe('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
  });

  it.each(ACCEPT_VECTORS)('$name', ({ key, accept }) => {
    expect(computeAccept(key)).toBe(accept);
  });

  it('the RFC sample handshake', () => {
    expect(computeAccept(RFC6455_HANDSHAKE.key)).toBe(RFC6455_HANDSHAKE.accept);
  });
});

describe('RFC 6455 §4.1 Sec-WebSocket-Key', () => {
  it('is base64 of the 16 bytes from randomFill', () => {
    expect(generateKey(counterFill(0))).toBe('AAECAwQFBgcICQoLDA0ODw==');
    const key = generateKey();
    expect(isValidKey(key)).toBe(true);
    expect(decodeBase64(key)).toHaveLength(16);
  });

  it('isValidKey accepts exactly base64 of 16 bytes', () => {
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe(true);
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ=')).toBe(false);
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZQ')).toBe(false);
    expect(isValidKey('dGhlIHNhbXBsZSBub25jZWVl')).toBe(false); // 18 bytes
    expect(isValidKey('dGhlIHNhbXBsZSBub25j*Q==')).toBe(false);
    expect(isValidKey('')).toBe(false);
    expect(isValidKey('AAAAAAAAAAAAAAAAAAAAAAAAAAA=')).toBe(false);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), (b) => {
        expect(isValidKey(encodeBase64(b))).toBe(b.length === 16);
      }),
    );
  });
});

describe('base64 (RFC 4648 §4)', () => {
  it('known encodings (RFC 4648 §10)', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of cases) {
      expect(encodeBase64(bytes(plain))).toBe(encoded);
      expect(decodeBase64(encoded)).toEqual(bytes(plain));
    }
    expect(encodeBase64(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe('+/+/');
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expect(decodeBase64(encodeBase64(b))).toEqual(b);
      }),
    );
  });

  it('refuses bad length, alphabet and misplaced padding; never throws', () => {
    for (const bad of ['Zg', 'Zg=', 'Z===', '=Zg=', 'Zm9v=Zg=', 'Zm-v', 'Zm9\u00e9', 'Zm9v Zg==']) {
      expect(decodeBase64(bad)).toBeNull();
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const out = decodeBase64(s);
        if (out !== null) expect(encodeBase64(out).length).toBe(s.length);
      }),
    );
  });
});
