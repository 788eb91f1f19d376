/**
 * One typed error for every broken rule of the opening handshake. `code` names the rule;
 * `status` is the HTTP status a server answers with (0 for failures seen by a client).
 */

/** Codes of failures raised while checking a client's own input (URL, protocol list). The WHATWG
 * standard turns each into a `SyntaxError` DOMException thrown from the constructor. */
export type ClientInputErrorCode =
  | 'invalid-url'
  | 'invalid-url-scheme'
  | 'url-fragment'
  | 'invalid-protocol'
  | 'duplicate-protocol';

/** Codes of failures found in a server's answer (HTTP/1.1 or HTTP/2). The client fails the
 * WebSocket connection (an `error` event, then `close` with code 1006). */
export type ResponseErrorCode =
  | 'response-head'
  | 'response-too-large'
  | 'response-status'
  | 'response-upgrade'
  | 'response-connection'
  | 'response-accept'
  | 'response-protocol'
  | 'response-extensions';

/** Codes of failures found in a client's upgrade request; each carries the HTTP status to answer. */
export type RequestErrorCode =
  | 'request-head'
  | 'request-too-large'
  | 'request-method'
  | 'request-http-version'
  | 'request-host'
  | 'request-upgrade'
  | 'request-connection'
  | 'request-key'
  | 'request-version'
  | 'request-protocol'
  | 'request-extensions'
  | 'request-origin'
  | 'request-pseudo-header'
  | 'request-connect-protocol';

/** Every handshake failure code. */
export type HandshakeErrorCode = ClientInputErrorCode | ResponseErrorCode | RequestErrorCode;

/** Options of {@link HandshakeError}. */
export interface HandshakeErrorOptions {
  /** HTTP status for server-side failures (400, 403, 405, 426, 431); 0 (default) on the client. */
  status?: number;
  /** Extra headers the rejection must carry, e.g. `Sec-WebSocket-Version: 13` with a 426. */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** The underlying cause, if any. */
  cause?: unknown;
}

/**
 * A rule of the opening handshake was broken (RFC 6455 §4, RFC 8441 §4-5, WHATWG WebSockets).
 *
 * - Client input (`invalid-url`, `url-fragment`, ...): throw a `SyntaxError` DOMException.
 * - Response checks (`response-*`): fail the connection; `status` is 0.
 * - Request checks (`request-*`): answer with `status` and `headers`
 *   (see `serializeRejection` / `rejectionHeadersH2`).
 */
export class HandshakeError extends Error {
  /** Which rule broke. */
  readonly code: HandshakeErrorCode;
  /** HTTP status the server answers with; 0 for failures on the client side. */
  readonly status: number;
  /** Headers the rejection response must carry (beyond the usual ones). */
  readonly headers: ReadonlyArray<readonly [string, string]>;

  /**
   * @param code - the broken rule
   * @param message - a short human reason; servers send it as the response body
   * @param options - status, extra headers, cause
   */
  constructor(code: HandshakeErrorCode, message: string, options?: HandshakeErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HandshakeError';
    this.code = code;
    this.status = options?.status ?? 0;
    this.headers = options?.headers ?? [];
  }

  /** True for failures of the client's own input, which the WHATWG API throws as `SyntaxError`. */
  get isSyntaxError(): boolean {
    return (
      this.code === 'invalid-url' ||
      this.code === 'invalid-url-scheme' ||
      this.code === 'url-fragment' ||
      this.code === 'invalid-protocol' ||
      this.code === 'duplicate-protocol'
    );
  }
}
