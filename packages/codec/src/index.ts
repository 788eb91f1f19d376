/**
 * `@strata-ws/codec`: the WebSocket wire format (RFC 6455) as portable building blocks —
 * frame headers and whole-frame writing, the incremental parser, masking (with a
 * per-parser/per-connection host seam), UTF-8 validation, close payloads, and the tables of
 * opcodes and close codes every layer above names its decisions with.
 */
export type { CloseCodeValue } from './close-codes.js';
export { CloseCode, closeCodeName, isValidWireCloseCode } from './close-codes.js';
export type { ClosePayload } from './close-payload.js';
export {
  decodeClosePayload,
  encodeClosePayload,
  failureCloseReason,
  fitCloseReason,
} from './close-payload.js';
export type { FailureCloseCode } from './errors.js';
export { ProtocolError } from './errors.js';
export type { FrameHeader, FrameToEncode } from './frame-header.js';
export {
  encodeFrame,
  frameHeaderLength,
  parseHeader,
  writeFrame,
  writeFrameHeader,
} from './frame-header.js';
export type { FrameParserOptions, FrameSink } from './frame-parser.js';
export { DEFAULT_MAX_PAYLOAD, FrameParser } from './frame-parser.js';
export type { MaskFunctions, MaskImplementation, MaskIntoImplementation } from './mask.js';
export {
  mask,
  maskInto,
  processMaskImplementation,
  setMaskImplementation,
  setMaskIntoImplementation,
} from './mask.js';
export type { OpcodeValue } from './opcodes.js';
export { isControlOpcode, isReservedOpcode, Opcode, opcodeName } from './opcodes.js';
export type { Utf8ValidatorFunction } from './utf8.js';
export { isValidUtf8, setUtf8Validator, Utf8Validator } from './utf8.js';
