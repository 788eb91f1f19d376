/**
 * The server's permessage-deflate: the `perMessageDeflate` option turned into one
 * negotiator for all handshakes and one engine per negotiated connection, with the window
 * bits of the shared (broadcast) encoding it accepts.
 */
import type { ExtensionParams, ServerExtensionNegotiator } from '@strata-ws/handshake';
import {
  type DeflateAgreement,
  PerMessageDeflateServer,
  type ServerDeflateOptions,
} from '@strata-ws/permessage-deflate';
import {
  createPerMessageDeflate,
  type DeflateEngineOptions,
} from '@strata-ws/permessage-deflate/node';
import type { MessageExtension } from '@strata-ws/protocol';

/** permessage-deflate options of the server: negotiation policy plus engine settings. */
export interface PerMessageDeflateOptions extends ServerDeflateOptions, DeflateEngineOptions {}

/** One negotiated connection's engine, and what a shared (topic) frame may use. */
export interface DeflateEngine {
  readonly extension: MessageExtension;
  /** Window bits of a fresh-context compressed frame this connection accepts, 0 for none. */
  readonly sharedWindowBits: number;
}

/** The server's permessage-deflate: one negotiator for all, one engine per connection. */
export interface DeflateSupport {
  readonly negotiator: ServerExtensionNegotiator;
  createEngine(response: ExtensionParams): DeflateEngine;
}

/**
 * Builds the negotiator and engine factory from the `perMessageDeflate` option.
 * @throws RangeError/TypeError for bad options (the engine options too: checked here, at the
 *   server's construction, by building one engine, not at the first handshake)
 */
export function createDeflateSupport(options: PerMessageDeflateOptions): DeflateSupport {
  const negotiator = new PerMessageDeflateServer(options);
  createPerMessageDeflate(
    {
      role: 'server',
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    },
    options,
  ).dispose();
  return {
    negotiator,
    createEngine(response) {
      const agreement: DeflateAgreement = negotiator.agreement(response);
      return {
        extension: createPerMessageDeflate(agreement, options),
        sharedWindowBits:
          agreement.serverNoContextTakeover && agreement.serverMaxWindowBits >= 9
            ? agreement.serverMaxWindowBits
            : 0,
      };
    },
  };
}
