/**
 * Shared WebSocket test vectors for every Strata layer: RFC 6455 frames, length edges,
 * masks, close payloads, UTF-8 cases, handshake keys and RFC 7692 examples. Computed
 * independently of the code under test (by hand from the RFCs, checked with Python's
 * hashlib and zlib), so they can catch a bug rather than echo it.
 */
export { ascii, concatBytes, hex, patternBytes, toHex } from './bytes.js';
export { CHROMIUM_ARGS, CHROMIUM_EXECUTABLE } from './chromium.js';
export type {
  ClosePayloadVector,
  InvalidClosePayloadVector,
  UnsendableCloseVector,
} from './close.js';
export { CLOSE_PAYLOADS, INVALID_CLOSE_PAYLOADS, UNSENDABLE_CLOSES } from './close.js';
export type {
  ExpectedFrameHeader,
  FrameVector,
  InvalidHeaderVector,
  LengthEdgeVector,
  Rfc6455FrameName,
} from './frames.js';
export {
  INVALID_HEADERS,
  LENGTH_EDGES,
  RFC6455_EXAMPLE_MASK_KEY,
  RFC6455_FRAMES,
} from './frames.js';
export type { AcceptVector } from './handshake.js';
export { ACCEPT_VECTORS, RFC6455_HANDSHAKE, WEBSOCKET_GUID } from './handshake.js';
export type { MaskVector } from './masks.js';
export { MASK_VECTORS } from './masks.js';
export type { DeflateVector, Rfc7692ExampleName } from './rfc7692.js';
export { DEFLATE_TAIL, RFC7692_EXAMPLES } from './rfc7692.js';
export type { Utf8Vector } from './utf8.js';
export { UTF8_VECTORS } from './utf8.js';
