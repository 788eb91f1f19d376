/**
 * Server side of RFC 7692 negotiation: pick the first offer it can honour, in the client's
 * order of preference, and answer with the parameters both sides will use.
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

/** Server negotiation options. Every one is a policy; none makes an offer fail the handshake. */
export interface ServerDeflateOptions {
  /**
   * Answer every accepted offer with `server_no_context_takeover`, so the server keeps no
   * compression state between messages (RFC 7692 §7.1.1.1 lets it do so unasked). Default
   * `false`: the server may keep its context (unless the client asks it not to), which is what
   * makes similar messages small; the engine's memory budget decides which connections
   * actually keep one (the others compress each message on its own, which the client decodes
   * either way).
   */
  serverNoContextTakeover?: boolean;
  /**
   * Answer every accepted offer with `client_no_context_takeover`, so the server need not keep
   * the client's history between messages. Default `false`: it is sent only when the client
   * offered it (the server then releases its inflater after each message).
   */
  clientNoContextTakeover?: boolean;
  /**
   * Largest window (bits, 9..15) the server compresses with; answered as
   * `server_max_window_bits` when below 15 or when the client asked for a limit. Default 15.
   * (8 is refused: zlib cannot compress with a 256-byte window.)
   */
  serverMaxWindowBits?: number;
  /**
   * Largest window (bits, 8..15) the client may compress with, answered as
   * `client_max_window_bits` when the client announced support for that parameter. A smaller
   * window shrinks the history the server keeps for a client using context takeover. Default:
   * whatever the client offered.
   */
  clientMaxWindowBits?: number;
}

/** The result of {@link PerMessageDeflateServer.select}: the response and what it means. */
export interface DeflateSelection {
  /** Index of the accepted offer in the list given. */
  readonly offerIndex: number;
  /** Parameters to send back in `Sec-WebSocket-Extensions`. */
  readonly response: DeflateParam[];
  /** The agreed parameters, to build the engine with. */
  readonly agreement: DeflateAgreement;
}

/**
 * The server's permessage-deflate negotiator. It plugs into `@strata-ws/handshake` as a
 * `ServerExtensionNegotiator` (same shape): stateless, one instance serves every connection.
 *
 * Rules (RFC 7692 §5, §7.1): offers are tried in the client's order; an offer with an unknown,
 * repeated or malformed parameter is declined and the next one considered; the handshake never
 * fails because of an offer. A client asking for `server_max_window_bits=8` is accepted, and
 * the server then sends every message uncompressed (zlib cannot compress within a 256-byte
 * window, and sending uncompressed keeps the promise exactly).
 */
export class PerMessageDeflateServer {
  /** The extension token, `permessage-deflate`. */
  readonly name: string = PERMESSAGE_DEFLATE;
  readonly #serverNoContextTakeover: boolean;
  readonly #clientNoContextTakeover: boolean;
  readonly #serverMaxWindowBits: number;
  readonly #clientMaxWindowBits: number | null;

  /**
   * @param options - negotiation policy (see {@link ServerDeflateOptions})
   * @throws RangeError for window bits out of range
   */
  constructor(options: ServerDeflateOptions = {}) {
    this.#serverNoContextTakeover = options.serverNoContextTakeover ?? false;
    this.#clientNoContextTakeover = options.clientNoContextTakeover ?? false;
    this.#serverMaxWindowBits = options.serverMaxWindowBits ?? 15;
    checkWindowBitsOption('serverMaxWindowBits', this.#serverMaxWindowBits, 9);
    this.#clientMaxWindowBits = options.clientMaxWindowBits ?? null;
    if (this.#clientMaxWindowBits !== null) {
      checkWindowBitsOption('clientMaxWindowBits', this.#clientMaxWindowBits, 8);
    }
  }

  /**
   * Picks the first acceptable offer (handshake seam).
   * @param offers - every `permessage-deflate` offer's parameters, most preferred first
   * @returns the response parameters, or null to decline the extension
   */
  negotiate(offers: readonly DeflateParams[]): DeflateParam[] | null {
    return this.select(offers)?.response ?? null;
  }

  /**
   * Like {@link negotiate}, and also returns the agreement and which offer won.
   * @param offers - every `permessage-deflate` offer's parameters, most preferred first
   */
  select(offers: readonly DeflateParams[]): DeflateSelection | null {
    for (let i = 0; i < offers.length; i++) {
      const parsed = parseParams(offers[i] as DeflateParams, false);
      if (typeof parsed === 'string') continue; // declined: consider the next offer
      return this.#accept(parsed, i);
    }
    return null;
  }

  /**
   * The agreement a response produced by this negotiator stands for (for a facade that only
   * kept the response parameters, as the handshake's `NegotiatedExtension` does).
   * @throws TypeError when `response` is not a valid response
   */
  agreement(response: DeflateParams): DeflateAgreement {
    const parsed = parseParams(response, true);
    if (typeof parsed === 'string')
      throw new TypeError(`Not a permessage-deflate response: ${parsed}`);
    return {
      role: 'server',
      serverNoContextTakeover: parsed.serverNoContextTakeover,
      clientNoContextTakeover: parsed.clientNoContextTakeover,
      serverMaxWindowBits: parsed.serverMaxWindowBits ?? 15,
      clientMaxWindowBits: (parsed.clientMaxWindowBits as number | null) ?? 15,
    };
  }

  #accept(offer: ParsedParams, offerIndex: number): DeflateSelection {
    const serverNoContextTakeover = offer.serverNoContextTakeover || this.#serverNoContextTakeover;
    // Echo the client's hint: it makes the promise binding and lets us drop its history.
    const clientNoContextTakeover = offer.clientNoContextTakeover || this.#clientNoContextTakeover;

    const serverBits = Math.min(offer.serverMaxWindowBits ?? 15, this.#serverMaxWindowBits);
    // Accepting a server_max_window_bits offer requires answering it (§7.1.2.1).
    const serverParam = offer.serverMaxWindowBits !== null || serverBits < 15 ? serverBits : null;

    let clientBits = 15;
    let clientParam: number | null = null;
    const offered = offer.clientMaxWindowBits;
    if (offered !== null) {
      clientBits = offered === true ? 15 : offered;
      if (this.#clientMaxWindowBits !== null && this.#clientMaxWindowBits < clientBits) {
        clientBits = this.#clientMaxWindowBits;
      }
      // Answer explicitly whenever a limit applies, so the response alone states the agreement.
      if (offered !== true || clientBits < 15) clientParam = clientBits;
    }

    return {
      offerIndex,
      response: formatParams(
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverParam,
        clientParam,
      ),
      agreement: {
        role: 'server',
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: serverBits,
        clientMaxWindowBits: clientBits,
      },
    };
  }
}
