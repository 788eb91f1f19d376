import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HandshakeError,
  parseRequestHead,
  RequestHeadParser,
  ResponseHeadParser,
} from '../src/index.js';
import { bytes, countCharReads, thrown } from './helpers.js';

const RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-A: 1\r\nx-a:  2 \r\n\r\n';

describe('RFC 9112 response head (client side)', () => {
  it('parses status, headers (joined, lower-case keys), raw headers and the rest', () => {
    const frame = [0x81, 0x02, 0x68, 0x69];
    const out = new ResponseHeadParser().push(Uint8Array.from([...bytes(RESPONSE), ...frame]))!;
    expect(out.head).toMatchObject({
      httpVersion: '1.1',
      status: 101,
      statusText: 'Switching Protocols',
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
        'x-a': '1, 2',
      },
    });
    expect(out.head.rawHeaders).toEqual([
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Accept', 's3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
      ['X-A', '1'],
      ['x-a', '2'],
    ]);
    expect([...out.rest]).toEqual(frame);
  });

  it('returns null until the blank line, byte by byte, and gives the same head (property: any split)', () => {
    const whole = new ResponseHeadParser().push(bytes(RESPONSE))!.head;
    const p = new ResponseHeadParser();
    const b = bytes(RESPONSE);
    for (let i = 0; i < b.length - 1; i++) expect(p.push(b.subarray(i, i + 1))).toBeNull();
    expect(p.push(b.subarray(b.length - 1))!.head).toEqual(whole);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: b.length - 1 }), { maxLength: 6 }),
        (cuts) => {
          cuts.sort((x, y) => x - y);
          const parser = new ResponseHeadParser();
          let start = 0;
          for (const cut of cuts) {
            expect(parser.push(b.subarray(start, cut))).toBeNull();
            start = cut;
          }
          const done = parser.push(b.subarray(start))!;
          expect(done.head).toEqual(whole);
          expect(done.rest).toHaveLength(0);
        },
      ),
    );
  });

  it('a status line without reason phrase, other statuses and versions', () => {
    expect(new ResponseHeadParser().push(bytes('HTTP/1.1 404\r\n\r\n'))!.head).toMatchObject({
      status: 404,
      statusText: '',
    });
    expect(
      new ResponseHeadParser().push(bytes('HTTP/1.0 400 Bad Request\r\n\r\n'))!.head,
    ).toMatchObject({
      httpVersion: '1.0',
      status: 400,
    });
  });

  it.each([
    ['bare LF', 'HTTP/1.1 101 OK\nUpgrade: websocket\n\n'],
    ['bare LF in a header', 'HTTP/1.1 101 OK\r\nUpgrade: websocket\n\r\n'],
    ['obs-fold', 'HTTP/1.1 101 OK\r\nUpgrade: web\r\n socket\r\n\r\n'],
    ['space before colon', 'HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n'],
    ['no colon', 'HTTP/1.1 101 OK\r\nUpgrade websocket\r\n\r\n'],
    ['empty name', 'HTTP/1.1 101 OK\r\n: websocket\r\n\r\n'],
    ['NUL in value', 'HTTP/1.1 101 OK\r\nX: a\u0000b\r\n\r\n'],
    ['CR in value', 'HTTP/1.1 101 OK\r\nX: a\rb\r\n\r\n'],
    ['not HTTP', 'ICY 200 OK\r\n\r\n'],
    ['two-digit status', 'HTTP/1.1 10 OK\r\n\r\n'],
    ['four-digit status', 'HTTP/1.1 1010 OK\r\n\r\n'],
    ['version 1.11', 'HTTP/1.11 101 OK\r\n\r\n'],
    ['leading empty line', '\r\nHTTP/1.1 101 OK\r\n\r\n'],
  ])('refuses %s (response-head)', (_name, head) => {
    const e = thrown(() => new ResponseHeadParser().push(bytes(head)));
    expect(e.code).toBe('response-head');
    expect(e.status).toBe(0);
  });

  it('refuses a head over maxHeaderBytes without waiting for its end, buffering at most the limit', () => {
    const p = new ResponseHeadParser({ maxHeaderBytes: 64 });
    expect(p.push(bytes('HTTP/1.1 101 OK\r\nX: '))).toBeNull();
    expect(thrown(() => p.push(new Uint8Array(100).fill(0x61))).code).toBe('response-too-large');
    expect(p.bufferedLength).toBeLessThanOrEqual(64);
    expect(() => p.push(bytes('\r\n\r\n'))).toThrow(TypeError);
    // exactly at the limit is fine
    const head = bytes('HTTP/1.1 101 OK\r\n\r\n');
    expect(new ResponseHeadParser({ maxHeaderBytes: head.length }).push(head)).not.toBeNull();
    expect(
      thrown(() => new ResponseHeadParser({ maxHeaderBytes: head.length - 1 }).push(head)).code,
    ).toBe('response-too-large');
  });

  it('a hostile megabyte stream is refused at 16 KiB by default', () => {
    const p = new ResponseHeadParser();
    const chunk = new Uint8Array(4096).fill(0x41);
    let error: HandshakeError | undefined;
    for (let i = 0; i < 256 && error === undefined; i++) {
      try {
        p.push(chunk);
      } catch (e) {
        error = e as HandshakeError;
      }
    }
    expect(error?.code).toBe('response-too-large');
    expect(p.bufferedLength).toBeLessThanOrEqual(16_384);
  });

  it('random bytes: null, a head, or a HandshakeError (property)', () => {
    const unit = fc.constantFrom(...'HTP/1. 0\r\n:aX\t\u0000\u00ff'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 80 }), (s) => {
        try {
          new ResponseHeadParser({ maxHeaderBytes: 60 }).push(bytes(s));
        } catch (e) {
          expect(e).toBeInstanceOf(HandshakeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('RFC 9112 request head (server side)', () => {
  it('parses the request line', () => {
    const out = new RequestHeadParser().push(bytes('GET /chat?x=1 HTTP/1.1\r\nHost: h\r\n\r\n'))!;
    expect(out.head).toMatchObject({
      method: 'GET',
      url: '/chat?x=1',
      httpVersion: '1.1',
      headers: { host: 'h' },
    });
  });

  it.each([
    ['GET /chat\r\n\r\n'],
    ['GET  /chat HTTP/1.1\r\n\r\n'],
    ['GET /chat HTTP/1.1 \r\n\r\n'],
    ['G(T /chat HTTP/1.1\r\n\r\n'],
    ['GET /ch\u00e9t HTTP/1.1\r\n\r\n'],
    ['GET /chat HTTP/1.1\r\nHost : h\r\n\r\n'],
  ])('refuses %j with 400', (head) => {
    const e = thrown(() => new RequestHeadParser().push(bytes(head)));
    expect(e).toMatchObject({ code: 'request-head', status: 400 });
  });

  it('answers an oversized head with 431', () => {
    const e = thrown(() =>
      new RequestHeadParser({ maxHeaderBytes: 32 }).push(
        bytes(`GET / HTTP/1.1\r\nX: ${'a'.repeat(40)}\r\n\r\n`),
      ),
    );
    expect(e).toMatchObject({ code: 'request-too-large', status: 431 });
  });
});

describe('parseRequestHead (a complete head as latin1 text)', () => {
  /** The incremental parser's answer: the head, or the error code and status. */
  function incremental(s: string): unknown {
    try {
      const out = new RequestHeadParser({ maxHeaderBytes: 96 }).push(bytes(s));
      return out === null ? null : out.head;
    } catch (e) {
      return { code: (e as HandshakeError).code, status: (e as HandshakeError).status };
    }
  }
  function whole(s: string): unknown {
    try {
      return parseRequestHead(s, { maxHeaderBytes: 96 });
    } catch (e) {
      expect(e).toBeInstanceOf(HandshakeError);
      return { code: (e as HandshakeError).code, status: (e as HandshakeError).status };
    }
  }

  it('gives the head the incremental parser gives', () => {
    const head =
      'GET /chat?x=1 HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nX-A: 1\r\nx-a:  2 \r\n\r\n';
    expect(parseRequestHead(head)).toEqual(new RequestHeadParser().push(bytes(head))!.head);
    expect(parseRequestHead(head).headers['x-a']).toBe('1, 2');
  });

  it.each([
    ['GET /chat\r\n\r\n'],
    ['GET /chat HTTP/1.1\r\nHost : h\r\n\r\n'],
    ['GET /chat HTTP/1.1\r\nHost: h\r\n'],
    ['GET /chat HTTP/1.1\r\n\r\nGET'],
    ['GET /chat HTTP/1.1\nHost: h\r\n\r\n'],
    ['\r\n\r\n'],
  ])('refuses %j with 400', (head) => {
    expect(thrown(() => parseRequestHead(head))).toMatchObject({
      code: 'request-head',
      status: 400,
    });
  });

  it('answers a head over maxHeaderBytes with 431', () => {
    const head = `GET / HTTP/1.1\r\nX: ${'a'.repeat(40)}\r\n\r\n`;
    expect(thrown(() => parseRequestHead(head, { maxHeaderBytes: 32 }))).toMatchObject({
      code: 'request-too-large',
      status: 431,
    });
    expect(parseRequestHead(head, { maxHeaderBytes: head.length }).url).toBe('/');
  });

  it('agrees with the incremental parser on every head that ends with CRLF CRLF (property)', () => {
    const unit = fc.constantFrom(...'GET /1.HTP\r\n:aX\t \u0000\u00ff'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 90 }), (body) => {
        const s = `${body}\r\n\r\n`;
        const first = s.indexOf('\r\n\r\n');
        // The incremental parser stops at the first blank line (bare LF included); compare
        // only where that is the end of the text.
        const incrementalEnd = /\n\r?\n/.exec(s);
        if (incrementalEnd === null || incrementalEnd.index + incrementalEnd[0].length !== s.length)
          return;
        if (first + 4 !== s.length) return;
        expect(whole(s)).toEqual(incremental(s));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('hostile heads: linear work', () => {
  function head(size: number, line: string): Uint8Array {
    const start = 'HTTP/1.1 101 Switching Protocols\r\n';
    const lines = line.repeat(Math.floor((size - start.length - 2) / line.length));
    return bytes(`${start}${lines}\r\n`);
  }

  it.each([
    ['many repeated fields', 'X-A: a\r\n'],
    ['many distinct-looking fields', 'Sec-WebSocket-Extensions: a; b="c", d\r\n'],
    ['long values', `X-Long: ${'v'.repeat(4000)}\r\n`],
  ])('%s: 1 MB costs 10x the reads of 100 KB, a few per byte', (_name, line) => {
    const work = (size: number): number => {
      const b = head(size, line);
      return countCharReads(() => {
        expect(new ResponseHeadParser({ maxHeaderBytes: Infinity }).push(b)).not.toBeNull();
      });
    };
    const small = work(100 * 1024);
    const large = work(1000 * 1024);
    expect(large / (1000 * 1024)).toBeLessThanOrEqual(4);
    expect(large / small).toBeGreaterThan(9);
    expect(large / small).toBeLessThan(11);
  });
});
