/**
 * The constructor's argument checks: Web IDL conversions here, the rules themselves (URL
 * parsing, scheme mapping, fragments, subprotocol tokens) in `@strata-ws/handshake`. Its
 * `HandshakeError`s become the `SyntaxError` DOMException the standard throws.
 */

import {
  HandshakeError,
  parseWebSocketUrl,
  validateProtocols,
  type WebSocketUrl,
} from '@strata-ws/handshake';
import { domException } from './dom.js';

/** A parsed client URL: the handshake's view plus the serialized origin for `MessageEvent`. */
export interface ClientUrl extends WebSocketUrl {
  /** The serialization of the URL's origin, e.g. `ws://example.com:8080`. */
  readonly origin: string;
}

function rethrow(error: unknown): never {
  if (error instanceof HandshakeError && error.isSyntaxError) {
    throw domException('SyntaxError', error.message);
  }
  throw error;
}

/**
 * Parses `url` as `new WebSocket(url)` does.
 * @throws SyntaxError DOMException for an invalid URL, a scheme other than ws/wss/http/https, a fragment
 */
export function parseClientUrl(url: string): ClientUrl {
  let parsed: WebSocketUrl;
  try {
    parsed = parseWebSocketUrl(url);
  } catch (error) {
    rethrow(error);
  }
  return { ...parsed, origin: new URL(parsed.href).origin };
}

/**
 * Converts the `protocols` argument (Web IDL `(DOMString or sequence<DOMString>)`, default
 * `[]`) and checks it.
 * @throws SyntaxError DOMException for an invalid or repeated token; TypeError for a
 *   non-iterable where a sequence is required
 */
export function parseProtocolList(protocols: unknown): string[] {
  let list: string[];
  if (protocols === undefined) {
    list = [];
  } else if (
    typeof protocols === 'object' &&
    protocols !== null &&
    typeof (protocols as Iterable<unknown>)[Symbol.iterator] === 'function'
  ) {
    list = Array.from(protocols as Iterable<unknown>, (p) => String(p));
  } else {
    list = [String(protocols)];
  }
  try {
    return validateProtocols(list);
  } catch (error) {
    rethrow(error);
  }
}
