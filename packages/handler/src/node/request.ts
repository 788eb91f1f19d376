/**
 * The Node adapter's HTTP edges: an `IncomingMessage` seen as the WHATWG `Request` the
 * `upgrade` hook receives, and the hook's refusal `Response` turned into the rejection
 * `@strata-ws/server` writes (status, headers, body read up to a bound).
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { UpgradeRejection } from '@strata-ws/server';

/** Largest refusal body sent; a longer `Response` body is cut there (a refusal stays bounded). */
export const MAX_REFUSAL_BODY: number = 64 * 1024;

/** Headers of a refusal that the HTTP writer owns (framing and the connection's fate). */
const FRAMING: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
]);

/**
 * The upgrade request as a WHATWG `Request`: `http(s)://<Host><url>`, the method, every header
 * in order (a field `Headers` refuses is left out rather than failing the upgrade). Its body is empty.
 */
export function toRequest(req: IncomingMessage, secure: boolean): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // an invalid field for the Fetch standard (the handshake already checked what matters)
    }
  }
  const host = headers.get('host') ?? 'localhost';
  const path = req.url ?? '/';
  let url: string;
  try {
    url = new URL(
      path.startsWith('/') ? path : `/${path}`,
      `${secure ? 'https' : 'http'}://${host}`,
    ).href;
  } catch {
    url = new URL(path.startsWith('/') ? path : '/', `${secure ? 'https' : 'http'}://localhost`)
      .href;
  }
  return new Request(url, { method: req.method ?? 'GET', headers });
}

/** Reads at most `limit` bytes of a body (the rest is cancelled). */
async function readBounded(response: Response, limit: number): Promise<Uint8Array> {
  const body = response.body;
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(Math.min(length, limit));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, out.length - offset);
    out.set(part, offset);
    offset += part.length;
    if (offset === out.length) break;
  }
  return out;
}

/**
 * A refusal `Response` as `@strata-ws/server`'s `{ reject }`: its status (400-599), its headers
 * except the framing ones, its body (UTF-8, at most {@link MAX_REFUSAL_BODY} bytes; an empty
 * body stays empty). Its `content-type` replaces the server's default `text/plain`.
 */
export async function toRejection(response: Response): Promise<UpgradeRejection> {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of response.headers) {
    if (FRAMING.has(name) || name === 'set-cookie') continue;
    headers[name] = value;
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const bytes = await readBounded(response, MAX_REFUSAL_BODY);
  return { status: response.status, headers, body: new TextDecoder().decode(bytes) };
}

/** Headers for the 101 as Node's `OutgoingHttpHeaders` (`set-cookie` kept as a list). */
export function toOutgoing(headers: Headers): OutgoingHttpHeaders | undefined {
  let out: OutgoingHttpHeaders | undefined;
  for (const [name, value] of headers) {
    if (FRAMING.has(name) || name === 'set-cookie') continue;
    out ??= {};
    out[name] = value;
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) {
    out ??= {};
    out['set-cookie'] = cookies;
  }
  return out;
}
