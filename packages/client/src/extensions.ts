/**
 * Extension plumbing: the negotiators the client offers and the runtime extensions built from
 * what the server accepted. permessage-deflate is the only one (RFC 7692).
 */

import type { ClientExtensionNegotiator, NegotiatedExtension } from '@strata-ws/handshake';
import type { MessageExtension } from '@strata-ws/protocol';
import type { NormalizedOptions } from './options.js';

/** The negotiators to offer, in order. */
export function clientNegotiators(_options: NormalizedOptions): ClientExtensionNegotiator[] {
  return [];
}

/** Runtime extensions for the accepted negotiation results, in response order. */
export function buildExtensions(
  negotiated: readonly NegotiatedExtension<ClientExtensionNegotiator>[],
  _options: NormalizedOptions,
): MessageExtension[] {
  if (negotiated.length > 0) throw new Error('No extension was offered');
  return [];
}
