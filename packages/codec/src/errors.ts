/**
 * The one error family of Strata: a rule broken by the peer, carrying the close code
 * RFC 6455 §7.4 assigns to it.
 */

import type { CloseCode } from './close-codes.js';

/** Close codes a {@link ProtocolError} may carry (the ones a connection can fail with). */
export type FailureCloseCode =
  | typeof CloseCode.ProtocolError
  | typeof CloseCode.InvalidPayloadData
  | typeof CloseCode.PolicyViolation
  | typeof CloseCode.MessageTooBig
  | typeof CloseCode.MandatoryExtension
  | typeof CloseCode.InternalError;

/**
 * A rule of the protocol broken by the peer (or an internal failure, 1011). Every layer
 * from the codec up throws or reports this type; the protocol engine turns it into a
 * failed connection that sends a close frame with {@link ProtocolError.closeCode}.
 */
export class ProtocolError extends Error {
  /** The close code to send: 1002, 1007, 1008, 1009, 1010 or 1011. */
  readonly closeCode: FailureCloseCode;

  /**
   * @param closeCode - the close code RFC 6455 §7.4 assigns to the broken rule
   * @param message - a short reason; it is sent as the close reason (at most 123 bytes),
   *   except for 1011, whose reason stays empty on the wire
   */
  constructor(closeCode: FailureCloseCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.closeCode = closeCode;
  }
}
