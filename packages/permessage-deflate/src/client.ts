/**
 * Client side of RFC 7692 negotiation: build the offers, then check the server's answer
 * strictly (a bad answer fails the connection, RFC 7692 §5 and §7.1).
 */

import {
  checkWindowBitsOption,
  type DeflateAgreement,
  type DeflateParam,
  type DeflateParams,
  formatParams,
  type ParsedParams,
  PERMESSAGE_DEFLATE,
  parseParams,
} from './params.js';

/** One offer a client makes. */
export interface ClientDeflateOffer {
  /** Ask the server to reset its compressor after every message. Default `false`. */
  serverNoContextTakeover?: boolean;
  /**
   * Announce that this client resets its compressor after every message (so the server can
   * drop the client's history). Default `false`.
   */
  clientNoContextTakeover?: boolean;
  /** Ask the server to compress with a window of at most this many bits (8..15). Default: no limit. */
  serverMaxWindowBits?: number;
  /**
   * `true` (default): announce support for `client_max_window_bits` without a value, letting the
   * server limit our window; a number (8..15): promise to compress with at most that window;
   * `false`: leave the parameter out. A window of 8 bits means this client sends every message
   * uncompressed (zlib cannot compress within 256 bytes).
   */
  clientMaxWindowBits?: number | boolean;
}

/** Client negotiation options: one offer, or several in order of preference. */
export interface ClientDeflateOptions extends ClientDeflateOffer {
  /** Several offers, most preferred first; when given, the single-offer fields are ignored. */
  offers?: readonly ClientDeflateOffer[];
}

function normalizeOffer(offer: ClientDeflateOffer): ParsedParams {
  const serverBits = offer.serverMaxWindowBits ?? null;
  if (serverBits !== null) checkWindowBitsOption('serverMaxWindowBits', serverBits, 8);
  const clientOption = offer.clientMaxWindowBits ?? true;
  let clientBits: number | true | null;
  if (clientOption === true) clientBits = true;
  else if (clientOption === false) clientBits = null;
  else {
    checkWindowBitsOption('clientMaxWindowBits', clientOption, 8);
    clientBits = clientOption;
  }
  return {
    serverNoContextTakeover: offer.serverNoContextTakeover ?? false,
    clientNoContextTakeover: offer.clientNoContextTakeover ?? false,
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  };
}

/**
 * Why `response` cannot be the acceptance of `offer`, or null when it can (RFC 7692 §7.1).
 */
function mismatch(offer: ParsedParams, response: ParsedParams): string | null {
  if (offer.serverNoContextTakeover && !response.serverNoContextTakeover) {
    return 'server_no_context_takeover was requested but not acknowledged';
  }
  if (offer.serverMaxWindowBits !== null) {
    if (response.serverMaxWindowBits === null) {
      return 'server_max_window_bits was requested but not acknowledged';
    }
    if (response.serverMaxWindowBits > offer.serverMaxWindowBits) {
      return `server_max_window_bits=${response.serverMaxWindowBits} exceeds the requested ${offer.serverMaxWindowBits}`;
    }
  }
  const responseClientBits = response.clientMaxWindowBits as number | null; // responses always carry a value
  if (responseClientBits !== null) {
    if (offer.clientMaxWindowBits === null) return 'client_max_window_bits was not offered';
    if (offer.clientMaxWindowBits !== true && responseClientBits > offer.clientMaxWindowBits) {
      return `client_max_window_bits=${responseClientBits} exceeds the offered ${offer.clientMaxWindowBits}`;
    }
  }
  return null;
}

/**
 * The client's permessage-deflate negotiator. It plugs into `@strata-ws/handshake` as a
 * `ClientExtensionNegotiator` (same shape): {@link offer} gives the parameter sets to send,
 * {@link checkResponse} refuses an answer that is malformed (unknown, repeated or invalid
 * parameters, a value out of range) or that accepts none of the offers; the client then
 * fails the connection. {@link agreement} turns an accepted answer into the engine's input.
 */
export class PerMessageDeflateClient {
  /** The extension token, `permessage-deflate`. */
  readonly name: string = PERMESSAGE_DEFLATE;
  readonly #offers: ParsedParams[];
  readonly #params: DeflateParam[][];

  /**
   * @param options - one offer, or `offers` (most preferred first)
   * @throws RangeError for window bits out of range or an empty offer list
   */
  constructor(options: ClientDeflateOptions = {}) {
    const list = options.offers ?? [options];
    if (list.length === 0) throw new RangeError('offers must not be empty');
    this.#offers = list.map(normalizeOffer);
    this.#params = this.#offers.map((o) =>
      formatParams(
        o.serverNoContextTakeover,
        o.clientNoContextTakeover,
        o.serverMaxWindowBits,
        o.clientMaxWindowBits,
      ),
    );
  }

  /** @returns the parameter sets to offer, most preferred first (handshake seam) */
  offer(): readonly DeflateParams[] {
    return this.#params;
  }

  /**
   * Checks the parameters of the server's `permessage-deflate` response element (handshake seam).
   * @returns null when acceptable, otherwise why not (the connection must then fail)
   */
  checkResponse(params: DeflateParams): string | null {
    const result = this.#match(params);
    return typeof result === 'string' ? result : null;
  }

  /**
   * The agreement a response stands for.
   * @throws TypeError (with the reason {@link checkResponse} gives) when it is not acceptable
   */
  agreement(params: DeflateParams): DeflateAgreement {
    const result = this.#match(params);
    if (typeof result === 'string')
      throw new TypeError(`Invalid permessage-deflate response: ${result}`);
    return result;
  }

  #match(params: DeflateParams): DeflateAgreement | string {
    const response = parseParams(params, true);
    if (typeof response === 'string') return response;
    let firstReason = '';
    for (let i = 0; i < this.#offers.length; i++) {
      const offer = this.#offers[i] as ParsedParams;
      const reason = mismatch(offer, response);
      if (reason !== null) {
        if (i === 0) firstReason = reason;
        continue;
      }
      let clientBits = 15;
      if (response.clientMaxWindowBits !== null)
        clientBits = response.clientMaxWindowBits as number;
      else if (offer.clientMaxWindowBits !== null && offer.clientMaxWindowBits !== true) {
        clientBits = offer.clientMaxWindowBits; // our own promise holds even if not echoed
      }
      return {
        role: 'client',
        serverNoContextTakeover: response.serverNoContextTakeover,
        // Keep our own promise even if the server did not echo it.
        clientNoContextTakeover: response.clientNoContextTakeover || offer.clientNoContextTakeover,
        serverMaxWindowBits: response.serverMaxWindowBits ?? 15,
        clientMaxWindowBits: clientBits,
      };
    }
    return this.#offers.length === 1
      ? firstReason
      : `the response matches none of the offers (first: ${firstReason})`;
  }
}
