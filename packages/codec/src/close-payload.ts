/**
 * Close frame payloads (RFC 6455 §5.5.1, §7.4): an optional 2-byte code, then an optional
 * UTF-8 reason, 125 bytes in all.
 */
import { CloseCode, isValidWireCloseCode } from './close-codes.js';
import { ProtocolError } from './errors.js';
import { decodeUtf8, encodeUtf8, isValidUtf8 } from './utf8.js';

/** The longest close reason in UTF-8 bytes: 125 bytes of control payload minus the code. */
const MAX_REASON_BYTES = 123;

/** A decoded close frame payload. */
export interface ClosePayload {
  /** The close code; 1005 (no status received) when the payload was empty. */
  code: number;
  /** The reason, '' when absent. */
  reason: string;
}

/**
 * Encodes the payload of a close frame. No code (and no reason) gives an empty payload.
 *
 * @throws RangeError for a code that may not be sent (anything outside 1000–1003,
 *   1007–1014 and 3000–4999), a reason without a code, or a reason over 123 UTF-8 bytes.
 */
export function encodeClosePayload(code?: number, reason = ''): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new RangeError('a close reason needs a close code');
    return new Uint8Array(0);
  }
  if (!(Number.isInteger(code) && isValidWireCloseCode(code))) {
    throw new RangeError(`close code ${code} may not be sent`);
  }
  // Every UTF-16 code unit takes at least one UTF-8 byte: reject long strings before encoding.
  if (reason.length > MAX_REASON_BYTES) {
    throw new RangeError(`close reason over ${MAX_REASON_BYTES} bytes`);
  }
  const reasonBytes = encodeUtf8(reason);
  if (reasonBytes.length > MAX_REASON_BYTES) {
    throw new RangeError(`close reason over ${MAX_REASON_BYTES} bytes`);
  }
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

/**
 * Decodes a received close frame payload.
 *
 * An empty payload gives `{ code: 1005, reason: '' }`.
 *
 * @throws {@link ProtocolError} 1002 for a 1-byte payload, a payload over 125 bytes or a code
 *   that may not be sent; 1007 for a reason that is not valid UTF-8.
 */
export function decodeClosePayload(payload: Uint8Array): ClosePayload {
  const length = payload.length;
  if (length === 0) return { code: CloseCode.NoStatusReceived, reason: '' };
  if (length === 1) throw new ProtocolError(CloseCode.ProtocolError, 'close payload of 1 byte');
  if (length > 125) {
    throw new ProtocolError(CloseCode.ProtocolError, 'close payload over 125 bytes');
  }
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidWireCloseCode(code)) {
    throw new ProtocolError(CloseCode.ProtocolError, `invalid close code ${code}`);
  }
  if (length === 2) return { code, reason: '' };
  const reasonBytes = payload.subarray(2);
  if (!isValidUtf8(reasonBytes)) {
    throw new ProtocolError(CloseCode.InvalidPayloadData, 'close reason is not valid UTF-8');
  }
  return { code, reason: decodeUtf8(payload, 2, length) };
}

/**
 * The reason to send in the close frame of a failed connection: `''` for 1011 (internal
 * error), whose message describes this end's internals and stays off the wire (the one place
 * this rule lives); otherwise `message` cut at a character boundary to fit a close frame
 * (123 UTF-8 bytes).
 */
export function failureCloseReason(code: number, message: string): string {
  if (code === CloseCode.InternalError) return '';
  return fitCloseReason(message);
}

/** `reason` cut at a UTF-8 character boundary to at most 123 bytes (a close frame's room). */
export function fitCloseReason(reason: string): string {
  if (reason.length <= MAX_REASON_BYTES / 3) return reason;
  const bytes = encodeUtf8(reason);
  if (bytes.length <= MAX_REASON_BYTES) return reason;
  let end = MAX_REASON_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return decodeUtf8(bytes, 0, end);
}
