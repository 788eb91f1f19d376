/**
 * The seam between the handshake and extensions such as permessage-deflate (RFC 7692):
 * the handshake parses `Sec-WebSocket-Extensions`, groups the offers by name and asks one
 * negotiator per name; the negotiator knows what its parameters mean.
 */

/** One extension parameter: `name` lower-cased, `value` unquoted, or null when it had no value. */
export interface ExtensionParam {
  readonly name: string;
  readonly value: string | null;
}

/** The parameters of one offer or one response element, in the order they appeared.
 * Duplicates are kept, so a negotiator can refuse them (RFC 7692 §5). */
export type ExtensionParams = readonly ExtensionParam[];

/** One element of a `Sec-WebSocket-Extensions` list: an extension name (lower-cased) and its parameters. */
export interface ExtensionOffer {
  readonly name: string;
  readonly params: ExtensionParams;
}

/**
 * Server side of one extension: given every offer the client made for {@link name}, in the
 * client's order of preference, pick one and return the response parameters, or null to
 * decline the extension (the connection goes on without it). Invalid offers are simply
 * declined (RFC 7692 §5.1); a negotiator must not throw for peer input.
 */
export interface ServerExtensionNegotiator {
  /** The extension name, lower case, e.g. `permessage-deflate`. */
  readonly name: string;
  /** @returns the parameters to send back in the response (possibly empty), or null to decline */
  negotiate(offers: readonly ExtensionParams[]): ExtensionParams | null;
}

/**
 * Client side of one extension: the offers to send (several parameter sets are fallbacks, most
 * preferred first) and the check of the server's response parameters.
 */
export interface ClientExtensionNegotiator {
  /** The extension name, lower case, e.g. `permessage-deflate`. */
  readonly name: string;
  /** @returns one or more parameter sets to offer, most preferred first */
  offer(): readonly ExtensionParams[];
  /**
   * Checks the parameters the server accepted.
   * @returns null when they are acceptable, otherwise the reason they are not (the client
   *   then fails the connection)
   */
  checkResponse(params: ExtensionParams): string | null;
}

/** An extension both sides agreed on, in the order of the response (the order of application). */
export interface NegotiatedExtension<N = ServerExtensionNegotiator | ClientExtensionNegotiator> {
  /** The extension name, lower case. */
  readonly name: string;
  /** The response parameters: what the server accepted. */
  readonly params: ExtensionParams;
  /** The negotiator that accepted them; the facade uses it to build the runtime extension. */
  readonly negotiator: N;
}
