/**
 * Incremental, strict HTTP/1.1 head parsers (RFC 9112) for the bytes of a socket: `push` chunks
 * until the blank line arrives; each byte is looked at once while searching for it and once more
 * when the completed head is parsed, and the head may not exceed `maxHeaderBytes`.
 * Refused: bare LF line endings, obs-fold continuation lines, whitespace before the colon,
 * control characters in values, malformed start lines.
 */

import { HandshakeError, type HandshakeErrorCode } from './errors.js';
import { isToken } from './grammar.js';
import { latin1Decode } from './headers.js';

/** Default limit of a head's size in bytes (start line, headers and the blank line); Node's default too. */
export const DEFAULT_MAX_HEADER_BYTES = 16_384;

/** Options of the head parsers. */
export interface HeadParserOptions {
  /** Largest head accepted, in bytes. Default 16 KiB. Larger: `*-too-large` (431 on a server). */
  maxHeaderBytes?: number;
}

/** Fields common to request and response heads. */
export interface HttpHead {
  /** `major.minor`, e.g. `1.1`. */
  readonly httpVersion: string;
  /** Header fields keyed by lower-case name; repeated fields joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** Header fields in order, names as received. */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
}

/** A parsed response head. */
export interface HttpResponseHead extends HttpHead {
  readonly status: number;
  readonly statusText: string;
}

/** A parsed request head. */
export interface HttpRequestHead extends HttpHead {
  readonly method: string;
  /** The request target as sent, e.g. `/chat?room=1`. */
  readonly url: string;
}

/** A completed head and the bytes that followed it in the same chunk (e.g. the first frames). */
export interface HeadParseResult<H extends HttpHead> {
  readonly head: H;
  /** Bytes after the blank line (a view of the last pushed chunk; may be empty). */
  readonly rest: Uint8Array;
}

const LF = 0x0a;
const CR = 0x0d;

/** How one kind of head (request or response) is parsed and refused. */
interface HeadSyntax<H extends HttpHead> {
  readonly tooLargeCode: HandshakeErrorCode;
  readonly malformedCode: HandshakeErrorCode;
  /** The HTTP status of a refusal (400 on a server; 0 on a client, which answers nothing). */
  readonly status: number;
  parseStartLine(line: string): Omit<H, keyof HttpHead> & { httpVersion: string };
}

function malformed(syntax: HeadSyntax<HttpHead>, message: string): never {
  throw new HandshakeError(syntax.malformedCode, `Malformed HTTP head: ${message}`, {
    status: syntax.status ? 400 : 0,
  });
}

function tooLarge(syntax: HeadSyntax<HttpHead>, maxHeaderBytes: number): HandshakeError {
  return new HandshakeError(syntax.tooLargeCode, `HTTP head larger than ${maxHeaderBytes} bytes`, {
    status: syntax.status ? 431 : 0,
  });
}

/** Parses a complete head (ending with the blank line) decoded as latin1: one pass over lines. */
function parseHeadText<H extends HttpHead>(text: string, syntax: HeadSyntax<H>): H {
  let start = text.indexOf('\n');
  if (start <= 0 || text.charCodeAt(start - 1) !== CR)
    malformed(syntax, start === 0 ? 'empty start line' : 'line not terminated by CRLF');
  if (start === 1) malformed(syntax, 'empty start line');
  const startLine = syntax.parseStartLine(text.slice(0, start - 1));
  start++;
  const headers: Record<string, string> = Object.create(null);
  const rawHeaders: Array<[string, string]> = [];
  for (;;) {
    const lf = text.indexOf('\n', start);
    if (lf < 0) malformed(syntax, 'head not terminated by an empty line');
    if (lf === start || text.charCodeAt(lf - 1) !== CR)
      malformed(syntax, 'line not terminated by CRLF');
    const end = lf - 1;
    if (end === start) {
      // The blank line: it must be the last one.
      if (lf + 1 !== text.length) malformed(syntax, 'bytes after the empty line');
      break;
    }
    const first = text.charCodeAt(start);
    if (first === 0x20 || first === 0x09) malformed(syntax, 'obsolete line folding');
    const colon = text.indexOf(':', start);
    if (colon <= start || colon > end)
      malformed(syntax, 'header line without a field name and colon');
    const name = text.slice(start, colon);
    if (!isToken(name))
      malformed(syntax, `invalid header name ${JSON.stringify(name.slice(0, 64))}`);
    let vs = colon + 1;
    let ve = end;
    while (vs < ve && (text.charCodeAt(vs) === 0x20 || text.charCodeAt(vs) === 0x09)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 0x20 || text.charCodeAt(ve - 1) === 0x09)) ve--;
    for (let i = vs; i < ve; i++) {
      const c = text.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f)
        malformed(syntax, `control character in header ${name}`);
    }
    const value = text.slice(vs, ve);
    rawHeaders.push([name, value]);
    const key = name.toLowerCase();
    const prev = headers[key];
    headers[key] = prev === undefined ? value : `${prev}, ${value}`;
    start = lf + 1;
  }
  const head = startLine as Omit<H, keyof HttpHead> & {
    httpVersion: string;
    headers?: Record<string, string>;
    rawHeaders?: Array<[string, string]>;
  };
  head.headers = headers;
  head.rawHeaders = rawHeaders;
  return head as unknown as H;
}

abstract class HeadParser<H extends HttpHead> {
  readonly #maxHeaderBytes: number;
  #chunks: Uint8Array[] = [];
  #length = 0;
  #lineBytes = 0;
  #lastWasCr = false;
  #done = false;

  constructor(options?: HeadParserOptions) {
    this.#maxHeaderBytes = options?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** Bytes buffered so far (less than `maxHeaderBytes`). */
  get bufferedLength(): number {
    return this.#length;
  }

  protected abstract readonly syntax: HeadSyntax<H>;

  /**
   * Feeds bytes.
   * @returns the head and the bytes after it once the blank line has arrived, else null
   * @throws HandshakeError when the head is malformed or larger than `maxHeaderBytes`
   *   (request side: status 400 / 431)
   */
  push(chunk: Uint8Array): HeadParseResult<H> | null {
    if (this.#done) throw new TypeError('This head parser has already produced its head');
    const n = chunk.length;
    let lineBytes = this.#lineBytes;
    let lastWasCr = this.#lastWasCr;
    let end = -1;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (b === LF) {
        if (lineBytes === 0 || (lineBytes === 1 && lastWasCr)) {
          end = i + 1;
          break;
        }
        lineBytes = 0;
        lastWasCr = false;
      } else {
        lineBytes++;
        lastWasCr = b === CR;
      }
    }
    const used = end < 0 ? n : end;
    if (this.#length + used > this.#maxHeaderBytes) {
      this.#done = true;
      this.#chunks = [];
      throw tooLarge(this.syntax, this.#maxHeaderBytes);
    }
    if (end < 0) {
      if (n > 0) this.#chunks.push(chunk.slice());
      this.#length += n;
      this.#lineBytes = lineBytes;
      this.#lastWasCr = lastWasCr;
      return null;
    }
    this.#done = true;
    const headBytes = new Uint8Array(this.#length + end);
    let o = 0;
    for (const c of this.#chunks) {
      headBytes.set(c, o);
      o += c.length;
    }
    headBytes.set(chunk.subarray(0, end), o);
    this.#chunks = [];
    return { head: parseHeadText(latin1Decode(headBytes), this.syntax), rest: chunk.subarray(end) };
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function parseHttpVersion(syntax: HeadSyntax<HttpHead>, text: string): string {
  // HTTP-version = "HTTP/" DIGIT "." DIGIT
  if (
    text.length !== 8 ||
    !text.startsWith('HTTP/') ||
    !isDigit(text.charCodeAt(5)) ||
    text.charCodeAt(6) !== 0x2e ||
    !isDigit(text.charCodeAt(7))
  ) {
    malformed(syntax, `invalid HTTP version ${JSON.stringify(text.slice(0, 16))}`);
  }
  return text.slice(5);
}

const responseSyntax: HeadSyntax<HttpResponseHead> = {
  tooLargeCode: 'response-too-large',
  malformedCode: 'response-head',
  status: 0,
  parseStartLine(line) {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    const httpVersion = parseHttpVersion(responseSyntax, line.slice(0, 8));
    if (
      line.charCodeAt(8) !== 0x20 ||
      !isDigit(line.charCodeAt(9)) ||
      !isDigit(line.charCodeAt(10)) ||
      !isDigit(line.charCodeAt(11)) ||
      (line.length > 12 && line.charCodeAt(12) !== 0x20)
    ) {
      malformed(responseSyntax, 'invalid status line');
    }
    const statusText = line.slice(13);
    for (let i = 0; i < statusText.length; i++) {
      const c = statusText.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f)
        malformed(responseSyntax, 'control character in reason phrase');
    }
    return { httpVersion, status: Number(line.slice(9, 12)), statusText };
  },
};

const requestSyntax: HeadSyntax<HttpRequestHead> = {
  tooLargeCode: 'request-too-large',
  malformedCode: 'request-head',
  status: 400,
  parseStartLine(line) {
    // request-line = method SP request-target SP HTTP-version
    const sp1 = line.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0) malformed(requestSyntax, 'invalid request line');
    const method = line.slice(0, sp1);
    if (!isToken(method)) malformed(requestSyntax, 'invalid method');
    const url = line.slice(sp1 + 1, sp2);
    if (url.length === 0) malformed(requestSyntax, 'empty request target');
    for (let i = 0; i < url.length; i++) {
      const c = url.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f) malformed(requestSyntax, 'invalid character in request target');
    }
    const httpVersion = parseHttpVersion(requestSyntax, line.slice(sp2 + 1));
    return { method, url, httpVersion };
  },
};

/**
 * Parses the server's answer to an upgrade request from socket bytes (client side).
 * Errors are `response-head` / `response-too-large` with status 0.
 */
export class ResponseHeadParser extends HeadParser<HttpResponseHead> {
  protected readonly syntax: HeadSyntax<HttpResponseHead> = responseSyntax;
}

/**
 * Parses a client's request head from socket bytes (server side, for servers not on node:http).
 * Errors are `request-head` (400) and `request-too-large` (431).
 */
export class RequestHeadParser extends HeadParser<HttpRequestHead> {
  protected readonly syntax: HeadSyntax<HttpRequestHead> = requestSyntax;
}

/**
 * Parses a complete request head that is already text: the bytes from the request line up
 * to and including the blank line (`\r\n\r\n`), one character per byte (latin1), with
 * nothing after it. The same rules as {@link RequestHeadParser}, for hosts that find the
 * blank line and decode latin1 natively (Node's `Buffer#indexOf` and `latin1Slice`).
 * @throws HandshakeError `request-head` (400) when malformed, `request-too-large` (431)
 *   when longer than `maxHeaderBytes`
 */
export function parseRequestHead(text: string, options?: HeadParserOptions): HttpRequestHead {
  const max = options?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (text.length > max) throw tooLarge(requestSyntax, max);
  return parseHeadText(text, requestSyntax);
}
