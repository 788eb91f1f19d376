/**
 * HTTP/1.1 around the upgrade for the `strata` modes (a raw TCP connection, no HTTP server of
 * the runtime's): the parsed request head turned into the WHATWG `Request` the `upgrade` hook
 * sees, and a `Response` (a refusal) turned into the bytes of an HTTP/1.1 answer. The head
 * itself is read and checked by `@strata-ws/handshake` (`RequestHeadParser`,
 * `validateUpgradeRequest`). Portable.
 */
import type { HttpRequestHead } from '@strata-ws/handshake';

const encoder = new TextEncoder();

/** Headers a refusal must not copy from the application's `Response` (we frame the body ourselves). */
const HOP_BY_HOP = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
]);

/** Largest refusal body written; a larger `Response` body is cut (the answer must stay bounded). */
export const MAX_REFUSAL_BODY: number = 64 * 1024;

/**
 * The WHATWG `Request` for a validated upgrade head: `http://<Host><target>` (an absolute-form
 * target is kept as it is), the method and every header field in order. Its body is empty.
 *
 * @throws TypeError when a header field is not acceptable to `Headers` (the caller answers 400)
 */
export function requestFromHead(head: HttpRequestHead, host: string, secure: boolean): Request {
  const headers = new Headers();
  for (const [name, value] of head.rawHeaders) headers.append(name, value);
  const url = new URL(head.url, `${secure ? 'https' : 'http'}://${host}`);
  return new Request(url, { method: head.method, headers });
}

/**
 * The HTTP/1.1 bytes of a refusal from the application's `Response`: its status (a status
 * below 400 becomes 403: a refusal is never a success), its headers except the hop-by-hop
 * ones, `Connection: close`, `Content-Length`, and its body (at most
 * {@link MAX_REFUSAL_BODY} bytes).
 */
export async function serializeResponse(response: Response): Promise<Uint8Array> {
  const status = response.status >= 400 && response.status <= 599 ? response.status : 403;
  const body = await readBounded(response);
  let head = `HTTP/1.1 ${status} ${statusText(status, response.statusText)}\r\n`;
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) head += `${name}: ${value}\r\n`;
  });
  head += `connection: close\r\ncontent-length: ${body.length}\r\n\r\n`;
  const bytes = encoder.encode(head);
  const out = new Uint8Array(bytes.length + body.length);
  out.set(bytes, 0);
  out.set(body, bytes.length);
  return out;
}

/** A reason phrase: the response's own when it is a safe token sequence, else a generic one. */
function statusText(status: number, given: string): string {
  if (given !== '' && /^[\t !-~]{1,64}$/.test(given)) return given;
  return STATUS_TEXT[status] ?? (status < 500 ? 'Client Error' : 'Server Error');
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The body of a response, cut at {@link MAX_REFUSAL_BODY} bytes (the rest is not read). */
async function readBounded(response: Response): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < MAX_REFUSAL_BODY) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = MAX_REFUSAL_BODY - total;
      const part = value.length > room ? value.subarray(0, room) : value;
      parts.push(part);
      total += part.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
