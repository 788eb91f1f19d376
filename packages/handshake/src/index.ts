export {
  computeAccept,
  defaultRandomFill,
  generateKey,
  isValidKey,
  type RandomFill,
  WEBSOCKET_GUID,
} from './accept.js';
export { decodeBase64, encodeBase64 } from './base64.js';
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
export {
  type ClientInputErrorCode,
  HandshakeError,
  type HandshakeErrorCode,
  type HandshakeErrorOptions,
  type RequestErrorCode,
  type ResponseErrorCode,
} from './errors.js';
export type {
  ClientExtensionNegotiator,
  ExtensionOffer,
  ExtensionParam,
  ExtensionParams,
  NegotiatedExtension,
  ServerExtensionNegotiator,
} from './extension.js';
export {
  DEFAULT_MAX_HEADER_VALUE_LENGTH,
  formatExtensionList,
  formatProtocolList,
  type GrammarOptions,
  isToken,
  isValidHeaderValue,
  listContainsToken,
  parseExtensionList,
  parseProtocolList,
  parseTokenList,
  parseUpgradeList,
} from './grammar.js';
export {
  getHeader,
  type HeaderList,
  type HeaderRecord,
  type HeadersInit,
  type HeaderValue,
} from './headers.js';
export {
  DEFAULT_MAX_HEADER_BYTES,
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
  statusText,
  type UpgradeRequest,
  type ValidatedUpgradeRequest,
  validateExtendedConnect,
  validateUpgradeRequest,
} from './server.js';
export {
  allowsExtendedConnect,
  type PeerSettings,
  SETTINGS_ENABLE_CONNECT_PROTOCOL,
} from './settings.js';
export { type Sha1Function, setSha1, sha1, sha1Portable } from './sha1.js';
