/**
 * Header grammars of RFC 7230 §3.2.6 / §7 and RFC 6455 §4.3 / §9.1, scanned left to right
 * with lookup tables: every step advances the index, so the cost is linear in the input and
 * no regular expression can backtrack. Values longer than `maxLength` are refused before
 * any scanning.
 */

import { HandshakeError, type HandshakeErrorCode } from './errors.js';
import type { ExtensionOffer, ExtensionParam } from './extension.js';

/** Default bound on one header value handed to a grammar (bytes/characters). */
export const DEFAULT_MAX_HEADER_VALUE_LENGTH = 16_384;

/** Options of the grammar parsers. */
export interface GrammarOptions {
  /** Longest value accepted; longer values are refused with status 431. Default 16 KiB. */
  maxLength?: number;
  /** The error code to throw (which header and side the value came from). */
  code?: HandshakeErrorCode;
}

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const TCHAR = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;
for (const ch of "!#$%&'*+-.^_`|~") TCHAR[ch.charCodeAt(0)] = 1;

const SP = 0x20;
const HTAB = 0x09;
const COMMA = 0x2c;
const SEMI = 0x3b;
const EQ = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/** True when `value` is a non-empty RFC 7230 token. */
export function isToken(value: string): boolean {
  const n = value.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) if (!isTchar(value.charCodeAt(i))) return false;
  return true;
}

/**
 * True when `value` may be sent as a header field value: visible ASCII, obs-text (0x80-0xFF),
 * spaces and tabs inside, no CR/LF/NUL or other controls, no leading or trailing whitespace.
 */
export function isValidHeaderValue(value: string): boolean {
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === SP || c === HTAB) {
      if (i === 0 || i === n - 1) return false;
    } else if (c < 0x21 || c === 0x7f || c > 0xff) {
      return false;
    }
  }
  return true;
}

function statusFor(code: HandshakeErrorCode): number {
  return code.startsWith('request-') ? 400 : 0;
}

function fail(code: HandshakeErrorCode, what: string, message: string, at: number): never {
  throw new HandshakeError(code, `Invalid ${what} header: ${message} at offset ${at}`, {
    status: statusFor(code),
  });
}

function checkLength(
  value: string,
  what: string,
  code: HandshakeErrorCode,
  options: GrammarOptions | undefined,
): void {
  const max = options?.maxLength ?? DEFAULT_MAX_HEADER_VALUE_LENGTH;
  if (value.length > max) {
    throw new HandshakeError(code, `${what} header is too long (${value.length} > ${max})`, {
      status: code.startsWith('request-') ? 431 : 0,
    });
  }
}

function skipOws(s: string, i: number, n: number): number {
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HTAB) break;
    i++;
  }
  return i;
}

function scanToken(s: string, i: number, n: number): number {
  while (i < n && isTchar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Shared list walker for `#element` lists: skips empty elements (RFC 7230 §7), calls `element`
 * at the start of each non-empty one; `element` returns the index after it (before OWS).
 */
function walkList(
  s: string,
  what: string,
  code: HandshakeErrorCode,
  element: (start: number) => number,
): void {
  const n = s.length;
  let i = 0;
  for (;;) {
    i = skipOws(s, i, n);
    if (i >= n) return;
    if (s.charCodeAt(i) === COMMA) {
      i++;
      continue;
    }
    i = skipOws(s, element(i), n);
    if (i < n) {
      if (s.charCodeAt(i) !== COMMA) fail(code, what, 'expected ","', i);
      i++;
    }
  }
}

/**
 * Parses a comma list of tokens (`Connection`, `Sec-WebSocket-Protocol`: RFC 7230 `#token`).
 * Empty elements are ignored; anything but tokens, commas and whitespace is refused.
 * @returns the tokens as written (callers compare case-insensitively where the header is)
 * @throws HandshakeError (`options.code`, default `request-head`)
 */
export function parseTokenList(value: string, options?: GrammarOptions): string[] {
  const what = 'token list';
  const code = options?.code ?? 'request-head';
  checkLength(value, what, code, options);
  const out: string[] = [];
  walkList(value, what, code, (start) => {
    const end = scanToken(value, start, value.length);
    if (end === start) fail(code, what, 'expected a token', start);
    out.push(value.slice(start, end));
    return end;
  });
  return out;
}

/**
 * Parses an `Upgrade` header (RFC 7230 §6.7: `#protocol`, protocol = token ["/" token]).
 * @returns the protocols as written, e.g. `["websocket"]`, `["h2c", "websocket/13"]`
 * @throws HandshakeError (`options.code`, default `request-upgrade`)
 */
export function parseUpgradeList(value: string, options?: GrammarOptions): string[] {
  const what = 'Upgrade';
  const code = options?.code ?? 'request-upgrade';
  checkLength(value, what, code, options);
  const n = value.length;
  const out: string[] = [];
  walkList(value, what, code, (start) => {
    let end = scanToken(value, start, n);
    if (end === start) fail(code, what, 'expected a protocol name', start);
    if (end < n && value.charCodeAt(end) === SLASH) {
      const v = end + 1;
      end = scanToken(value, v, n);
      if (end === v) fail(code, what, 'expected a protocol version', v);
    }
    out.push(value.slice(start, end));
    return end;
  });
  return out;
}

/**
 * Parses `Sec-WebSocket-Protocol` (RFC 6455 §4.3: `1#token`). Subprotocol names are
 * case-sensitive and kept as written. Duplicates are kept (a server may ignore them).
 * @throws HandshakeError (`options.code`, default `request-protocol`)
 */
export function parseProtocolList(value: string, options?: GrammarOptions): string[] {
  return parseTokenList(value, { ...options, code: options?.code ?? 'request-protocol' });
}

/** Reads a quoted-string starting at the opening quote; returns [unescaped, index after]. */
function scanQuoted(
  s: string,
  i: number,
  n: number,
  what: string,
  code: HandshakeErrorCode,
): [string, number] {
  let out = '';
  let run = i + 1;
  let j = i + 1;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c === DQUOTE) return [out + s.slice(run, j), j + 1];
    if (c === BACKSLASH) {
      if (j + 1 >= n) break;
      const e = s.charCodeAt(j + 1);
      if (!(e === HTAB || (e >= SP && e !== 0x7f && e <= 0xff))) {
        fail(code, what, 'invalid quoted-pair', j);
      }
      out += s.slice(run, j) + s[j + 1];
      j += 2;
      run = j;
      continue;
    }
    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
    if (!(c === HTAB || (c >= SP && c !== 0x7f && c <= 0xff))) {
      fail(code, what, 'invalid character in quoted-string', j);
    }
    j++;
  }
  return fail(code, what, 'unterminated quoted-string', i);
}

/**
 * Parses `Sec-WebSocket-Extensions` (RFC 6455 §9.1):
 * `1#extension`, extension = token *( ";" param ), param = token [ "=" (token | quoted-string) ].
 * Names and parameter names are lower-cased (they are case-insensitive); a quoted value must be
 * a token once unquoted, as §9.1 requires. Duplicate extensions and parameters are kept.
 * @throws HandshakeError (`options.code`, default `request-extensions`)
 */
export function parseExtensionList(value: string, options?: GrammarOptions): ExtensionOffer[] {
  const what = 'Sec-WebSocket-Extensions';
  const code = options?.code ?? 'request-extensions';
  checkLength(value, what, code, options);
  const n = value.length;
  const out: ExtensionOffer[] = [];
  walkList(value, what, code, (start) => {
    let i = scanToken(value, start, n);
    if (i === start) fail(code, what, 'expected an extension name', start);
    const name = value.slice(start, i).toLowerCase();
    const params: ExtensionParam[] = [];
    for (;;) {
      const j = skipOws(value, i, n);
      if (j >= n || value.charCodeAt(j) !== SEMI) break;
      const ps = skipOws(value, j + 1, n);
      i = scanToken(value, ps, n);
      if (i === ps) fail(code, what, 'expected a parameter name', ps);
      const pname = value.slice(ps, i).toLowerCase();
      let pvalue: string | null = null;
      const k = skipOws(value, i, n);
      if (k < n && value.charCodeAt(k) === EQ) {
        const vs = skipOws(value, k + 1, n);
        if (vs < n && value.charCodeAt(vs) === DQUOTE) {
          const [unquoted, after] = scanQuoted(value, vs, n, what, code);
          if (!isToken(unquoted)) fail(code, what, 'quoted parameter value is not a token', vs);
          pvalue = unquoted;
          i = after;
        } else {
          i = scanToken(value, vs, n);
          if (i === vs) fail(code, what, 'expected a parameter value', vs);
          pvalue = value.slice(vs, i);
        }
      }
      params.push({ name: pname, value: pvalue });
    }
    out.push({ name, params });
    return i;
  });
  return out;
}

/**
 * Formats extension offers or responses for `Sec-WebSocket-Extensions`
 * (`name; param=value, name2`). Values are written as tokens, the only form RFC 6455 §9.1 allows.
 * @throws TypeError when a name or value is not a token
 */
export function formatExtensionList(extensions: readonly ExtensionOffer[]): string {
  let out = '';
  for (let e = 0; e < extensions.length; e++) {
    const ext = extensions[e]!;
    if (!isToken(ext.name))
      throw new TypeError(`Invalid extension name: ${JSON.stringify(ext.name)}`);
    if (e > 0) out += ', ';
    out += ext.name;
    for (const p of ext.params) {
      if (!isToken(p.name)) {
        throw new TypeError(`Invalid extension parameter name: ${JSON.stringify(p.name)}`);
      }
      out += `; ${p.name}`;
      if (p.value !== null) {
        if (!isToken(p.value)) {
          throw new TypeError(`Invalid extension parameter value: ${JSON.stringify(p.value)}`);
        }
        out += `=${p.value}`;
      }
    }
  }
  return out;
}

/**
 * Formats a `Sec-WebSocket-Protocol` list (`a, b`).
 * @throws TypeError when an element is not a token
 */
export function formatProtocolList(protocols: readonly string[]): string {
  for (const p of protocols) {
    if (!isToken(p)) throw new TypeError(`Invalid subprotocol: ${JSON.stringify(p)}`);
  }
  return protocols.join(', ');
}

/** True when the comma list `value` contains `token` (ASCII case-insensitive). Malformed lists are false. */
export function listContainsToken(
  value: string | undefined,
  token: string,
  parse: (v: string, o?: GrammarOptions) => string[] = parseTokenList,
  options?: GrammarOptions,
): boolean {
  if (value === undefined) return false;
  let items: string[];
  try {
    items = parse(value, options);
  } catch {
    return false;
  }
  const want = token.toLowerCase();
  for (const item of items) if (item.toLowerCase() === want) return true;
  return false;
}
