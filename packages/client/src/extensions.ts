/**
 * Extension plumbing: the negotiators the client offers and the runtime extensions built from
 * what the server accepted. permessage-deflate (RFC 7692) is the only one; its rules live in
 * `@strata-ws/permessage-deflate`.
 */

import type { ClientExtensionNegotiator, NegotiatedExtension } from '@strata-ws/handshake';
import {
  createPerMessageDeflate,
  PERMESSAGE_DEFLATE,
  PerMessageDeflateClient,
} from '@strata-ws/permessage-deflate/node';
import type { MessageExtension } from '@strata-ws/protocol';
import type { ClientDeflateOptions, NormalizedOptions } from './options.js';

// Negotiators are stateless: one per options object serves every connection made with it.
const negotiators = new WeakMap<ClientDeflateOptions, PerMessageDeflateClient>();

function deflateNegotiator(options: ClientDeflateOptions): PerMessageDeflateClient {
  let negotiator = negotiators.get(options);
  if (negotiator === undefined) {
    negotiator = new PerMessageDeflateClient(options);
    negotiators.set(options, negotiator);
  }
  return negotiator;
}

/**
 * The negotiators to offer, in order (checked when the socket is created, so that an invalid
 * option throws from the constructor).
 */
export function clientNegotiators(options: NormalizedOptions): ClientExtensionNegotiator[] {
  const deflate = options.perMessageDeflate;
  return deflate === null ? [] : [deflateNegotiator(deflate)];
}

/** Runtime extensions for the accepted negotiation results, in response order. */
export function buildExtensions(
  negotiated: readonly NegotiatedExtension<ClientExtensionNegotiator>[],
  options: NormalizedOptions,
): MessageExtension[] {
  const out: MessageExtension[] = [];
  for (const entry of negotiated) {
    if (entry.name === PERMESSAGE_DEFLATE && options.perMessageDeflate !== null) {
      const negotiator = entry.negotiator as PerMessageDeflateClient;
      out.push(
        createPerMessageDeflate(negotiator.agreement(entry.params), options.perMessageDeflate),
      );
    }
  }
  return out;
}
