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

  protected abstract readonly tooLargeCode: HandshakeErrorCode;
  protected abstract readonly malformedCode: HandshakeErrorCode;
  protected abstract readonly status: number;
  protected abstract parseStartLine(
    line: string,
  ): Omit<H, keyof HttpHead> & { httpVersion: string };

  protected malformed(message: string): never {
    throw new HandshakeError(this.malformedCode, `Malformed HTTP head: ${message}`, {
      status: this.status ? 400 : 0,
    });
  }

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
      throw new HandshakeError(
        this.tooLargeCode,
        `HTTP head larger than ${this.#maxHeaderBytes} bytes`,
        {
          status: this.status ? 431 : 0,
        },
      );
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
    return { head: this.#parse(latin1Decode(headBytes)), rest: chunk.subarray(end) };
  }

  #parse(text: string): H {
    // text ends with the blank line; every line must end with CRLF
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const lf = text.indexOf('\n', start);
      if (lf < 0) break;
      if (lf === start || text.charCodeAt(lf - 1) !== CR)
        this.malformed('line not terminated by CRLF');
      lines.push(text.slice(start, lf - 1));
      start = lf + 1;
    }
    // the last entry is the empty line
    lines.pop();
    if (lines.length === 0 || lines[0] === '') this.malformed('empty start line');
    const startLine = this.parseStartLine(lines[0]!);
    const headers: Record<string, string> = Object.create(null);
    const rawHeaders: Array<[string, string]> = [];
    for (let l = 1; l < lines.length; l++) {
      const line = lines[l]!;
      const first = line.charCodeAt(0);
      if (first === 0x20 || first === 0x09) this.malformed('obsolete line folding');
      const colon = line.indexOf(':');
      if (colon <= 0) this.malformed('header line without a field name and colon');
      const name = line.slice(0, colon);
      if (!isToken(name))
        this.malformed(`invalid header name ${JSON.stringify(name.slice(0, 64))}`);
      let vs = colon + 1;
      let ve = line.length;
      while (vs < ve && (line.charCodeAt(vs) === 0x20 || line.charCodeAt(vs) === 0x09)) vs++;
      while (ve > vs && (line.charCodeAt(ve - 1) === 0x20 || line.charCodeAt(ve - 1) === 0x09))
        ve--;
      for (let i = vs; i < ve; i++) {
        const c = line.charCodeAt(i);
        if ((c < 0x20 && c !== 0x09) || c === 0x7f)
          this.malformed(`control character in header ${name}`);
      }
      const value = line.slice(vs, ve);
      rawHeaders.push([name, value]);
      const key = name.toLowerCase();
      const prev = headers[key];
      headers[key] = prev === undefined ? value : `${prev}, ${value}`;
    }
    return { ...startLine, headers, rawHeaders } as unknown as H;
  }

  protected parseHttpVersion(text: string): string {
    // HTTP-version = "HTTP/" DIGIT "." DIGIT
    if (
      text.length !== 8 ||
      !text.startsWith('HTTP/') ||
      !isDigit(text.charCodeAt(5)) ||
      text.charCodeAt(6) !== 0x2e ||
      !isDigit(text.charCodeAt(7))
    ) {
      this.malformed(`invalid HTTP version ${JSON.stringify(text.slice(0, 16))}`);
    }
    return text.slice(5);
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Parses the server's answer to an upgrade request from socket bytes (client side).
 * Errors are `response-head` / `response-too-large` with status 0.
 */
export class ResponseHeadParser extends HeadParser<HttpResponseHead> {
  protected readonly tooLargeCode: HandshakeErrorCode = 'response-too-large';
  protected readonly malformedCode: HandshakeErrorCode = 'response-head';
  protected readonly status: number = 0;

  protected parseStartLine(
    line: string,
  ): Omit<HttpResponseHead, keyof HttpHead> & { httpVersion: string } {
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    const httpVersion = this.parseHttpVersion(line.slice(0, 8));
    if (
      line.charCodeAt(8) !== 0x20 ||
      !isDigit(line.charCodeAt(9)) ||
      !isDigit(line.charCodeAt(10)) ||
      !isDigit(line.charCodeAt(11)) ||
      (line.length > 12 && line.charCodeAt(12) !== 0x20)
    ) {
      this.malformed('invalid status line');
    }
    const statusText = line.slice(13);
    for (let i = 0; i < statusText.length; i++) {
      const c = statusText.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09) || c === 0x7f)
        this.malformed('control character in reason phrase');
    }
    return { httpVersion, status: Number(line.slice(9, 12)), statusText };
  }
}

/**
 * Parses a client's request head from socket bytes (server side, for servers not on node:http).
 * Errors are `request-head` (400) and `request-too-large` (431).
 */
export class RequestHeadParser extends HeadParser<HttpRequestHead> {
  protected readonly tooLargeCode: HandshakeErrorCode = 'request-too-large';
  protected readonly malformedCode: HandshakeErrorCode = 'request-head';
  protected readonly status: number = 400;

  protected parseStartLine(
    line: string,
  ): Omit<HttpRequestHead, keyof HttpHead> & { httpVersion: string } {
    // request-line = method SP request-target SP HTTP-version
    const sp1 = line.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 < 0) this.malformed('invalid request line');
    const method = line.slice(0, sp1);
    if (!isToken(method)) this.malformed('invalid method');
    const url = line.slice(sp1 + 1, sp2);
    if (url.length === 0) this.malformed('empty request target');
    for (let i = 0; i < url.length; i++) {
      const c = url.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f) this.malformed('invalid character in request target');
    }
    const httpVersion = this.parseHttpVersion(line.slice(sp2 + 1));
    return { method, url, httpVersion };
  }
}
