/**
 * Header input and output: records with lower-case names as Node's `req.headers` gives them,
 * header lists as `[name, value]` pairs, and HTTP/1.1 heads serialized to bytes.
 */

import { isToken, isValidHeaderValue } from './grammar.js';

/** A header value in a record: Node joins repeated fields with ", " except a few that stay arrays. */
export type HeaderValue = string | readonly string[] | undefined;

/** Received headers keyed by lower-case name, e.g. Node's `IncomingMessage.headers`. */
export type HeaderRecord = Readonly<Record<string, HeaderValue>>;

/** An ordered list of header fields, e.g. `[['Origin', 'https://a.example']]`. */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/** Headers a caller adds to a request or response: a record (any case) or a list of pairs. */
export type HeadersInit =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | HeaderList;

/**
 * The value of `name` (lower case) in a record; arrays are joined with ", " as list fields are.
 * @returns undefined when the field is absent
 */
export function getHeader(headers: HeaderRecord, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.join(', ');
}

/**
 * Normalizes caller-supplied headers to a list, checking names (tokens) and values
 * (no CR, LF, NUL or other controls, Latin-1 only) so that nothing can be smuggled into a head.
 * @throws TypeError for an invalid name or value
 */
export function headerListFrom(init: HeadersInit | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (init === undefined) return out;
  const add = (name: string, value: string): void => {
    if (!isToken(name)) throw new TypeError(`Invalid header name: ${JSON.stringify(name)}`);
    const v = value.trim();
    if (!isValidHeaderValue(v)) {
      throw new TypeError(`Invalid value for header ${name}: ${JSON.stringify(value)}`);
    }
    out.push([name, v]);
  };
  if (Array.isArray(init)) {
    for (const [name, value] of init as HeaderList) add(name, String(value));
  } else {
    const rec = init as Readonly<Record<string, string | readonly string[] | undefined>>;
    for (const name of Object.keys(rec)) {
      const value = rec[name];
      if (value === undefined) continue;
      if (typeof value === 'string') add(name, value);
      else for (const item of value) add(name, String(item));
    }
  }
  return out;
}

/** Encodes a string of Latin-1 characters (already validated) byte per character. */
export function latin1Encode(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Decodes bytes as Latin-1 (one character per byte), the safe reading of an HTTP head. */
export function latin1Decode(bytes: Uint8Array, start = 0, end: number = bytes.length): string {
  let out = '';
  const step = 4096;
  for (let i = start; i < end; i += step) {
    out += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(i + step, end)) as unknown as number[],
    );
  }
  return out;
}

/** UTF-8 encoding of any string (lone surrogates become U+FFFD), without TextEncoder typings. */
export function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else {
      out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
  }
  return Uint8Array.from(out);
}

/** Serializes a start line and header list (+ optional body) as an HTTP/1.1 message. */
export function serializeHead(
  startLine: string,
  headers: HeaderList,
  body?: Uint8Array,
): Uint8Array {
  // Bytes written straight from the strings (Latin-1, already validated): no joined string.
  let size = startLine.length + 4;
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    size += field[0].length + field[1].length + 4;
  }
  const bodyLength = body === undefined ? 0 : body.length;
  const out = new Uint8Array(size + bodyLength);
  let o = writeLatin1(out, 0, startLine);
  out[o++] = 0x0d;
  out[o++] = 0x0a;
  for (let i = 0; i < headers.length; i++) {
    const field = headers[i]!;
    o = writeLatin1(out, o, field[0]);
    out[o++] = 0x3a;
    out[o++] = 0x20;
    o = writeLatin1(out, o, field[1]);
    out[o++] = 0x0d;
    out[o++] = 0x0a;
  }
  out[o++] = 0x0d;
  out[o++] = 0x0a;
  if (bodyLength !== 0) out.set(body!, o);
  return out;
}

function writeLatin1(target: Uint8Array, offset: number, text: string): number {
  for (let i = 0; i < text.length; i++) target[offset + i] = text.charCodeAt(i);
  return offset + text.length;
}
