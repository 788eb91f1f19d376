/**
 * The public surface of `@strata-ws/handshake` (one page; README "API" lists it with the
 * reason each name is public). Values are grouped by who calls them; every exported type names
 * a parameter, option or result of one of these values. Everything else in src/ (base64, the
 * token and list grammars other than the extension list, header helpers, the SHA-1 in use,
 * defaults) is internal: tests import it from its module.
 */

// The key and its answer (RFC 6455 §1.3, §4.1), with the host's SHA-1 when it has one.
export { computeAccept, generateKey, isValidKey, type RandomFill } from './accept.js';

// Client side: the WHATWG constructor's checks, the request, the response.
export {
  type ClientHandshake,
  type ClientHandshakeOptions,
  type ClientHandshakeResult,
  createClientHandshake,
  type HandshakeResponse,
  parseWebSocketUrl,
  serializeUpgradeRequest,
  validateHandshakeResponse,
  validateProtocols,
  type WebSocketUrl,
} from './client.js';
// Errors: one class, the broken rule as `code`, the HTTP answer as `status`.
export {
  type ClientInputErrorCode,
  HandshakeError,
  type HandshakeErrorCode,
  type HandshakeErrorOptions,
  type RequestErrorCode,
  type ResponseErrorCode,
} from './errors.js';
// Extensions: the negotiator seam (permessage-deflate implements it) and the header grammar.
export type {
  ClientExtensionNegotiator,
  ExtensionOffer,
  ExtensionParam,
  ExtensionParams,
  NegotiatedExtension,
  ServerExtensionNegotiator,
} from './extension.js';
export { formatExtensionList, type GrammarOptions, parseExtensionList } from './grammar.js';
export {
  getHeader,
  type HeaderList,
  type HeaderRecord,
  type HeadersInit,
  type HeaderValue,
} from './headers.js';
// HTTP/1.1 heads on a raw byte stream (both directions).
export {
  type HeadParseResult,
  type HeadParserOptions,
  type HttpHead,
  type HttpRequestHead,
  type HttpResponseHead,
  parseRequestHead,
  RequestHeadParser,
  ResponseHeadParser,
} from './http-head.js';
export { createOriginPolicy, type OriginPolicy, type OriginPolicyOptions } from './origin.js';
// Server side: validate (before the application's hooks), negotiate (after them), answer.
// acceptUpgrade/acceptExtendedConnect = validate + negotiate in one call, for hosts without hooks.
export {
  acceptExtendedConnect,
  acceptUpgrade,
  type NegotiationOptions,
  negotiateUpgrade,
  type ProtocolSelector,
  type RejectionOptions,
  type RequestValidationOptions,
  rejectionH2,
  responseHeadersH2,
  type ServerHandshake,
  type ServerHandshakeOptions,
  serializeRejection,
  serializeSwitchingProtocols,
  type UpgradeRequest,
  type ValidatedUpgradeRequest,
  validateExtendedConnect,
  validateUpgradeRequest,
} from './server.js';
export { allowsExtendedConnect, type PeerSettings } from './settings.js';
export { type Sha1Function, setSha1, sha1Portable } from './sha1.js';
