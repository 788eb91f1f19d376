/**
 * The server's permessage-deflate: the `perMessageDeflate` option turned into one
 * negotiator for all handshakes and one engine per negotiated connection, with the window
 * bits of the shared (broadcast) encoding it accepts.
 *
 * Defaults (why: packages/permessage-deflate/README.md, "Choosing the default"): the server
 * keeps its compression context (no `server_no_context_takeover` unless the client asks), and
 * kept compressors live within a byte budget — the process-wide one, or the server's own when
 * `contextBudget` is a number — beyond which the least recently used connections compress
 * each message on its own.
 */
import type { ExtensionParams, ServerExtensionNegotiator } from '@strata-ws/handshake';
import {
  type DeflateAgreement,
  PerMessageDeflateServer,
  type ServerDeflateOptions,
} from '@strata-ws/permessage-deflate';
import {
  createPerMessageDeflate,
  DeflateContextBudget,
  type DeflateEngineOptions,
} from '@strata-ws/permessage-deflate/node';
import type { MessageExtension } from '@strata-ws/protocol';

/** permessage-deflate options of the server: negotiation policy plus engine settings. */
export interface PerMessageDeflateOptions
  extends ServerDeflateOptions,
    Omit<DeflateEngineOptions, 'contextBudget'> {
  /**
   * Bytes of kept compressors (context takeover) for this server's connections: a number
   * gives the server its own budget; a `DeflateContextBudget` is shared with whoever else
   * uses it. Default: the process-wide budget (8 MiB, `sharedContextBudget()`).
   */
  contextBudget?: number | DeflateContextBudget;
}

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
export function createDeflateSupport(perMessageDeflate: PerMessageDeflateOptions): DeflateSupport {
  const negotiator = new PerMessageDeflateServer(perMessageDeflate);
  const budget = perMessageDeflate.contextBudget;
  if (
    budget !== undefined &&
    typeof budget !== 'number' &&
    !(budget instanceof DeflateContextBudget)
  ) {
    throw new TypeError(
      'perMessageDeflate.contextBudget must be a number of bytes or a DeflateContextBudget',
    );
  }
  const options: DeflateEngineOptions = {
    ...perMessageDeflate,
    contextBudget: typeof budget === 'number' ? new DeflateContextBudget(budget) : budget,
  };
  if (options.contextBudget === undefined) delete options.contextBudget;
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
        // A fresh-context frame decodes with or without context takeover; with takeover the
        // engine resets its kept compressor after one (see PerMessageDeflate.sharedEncodingKey).
        sharedWindowBits: agreement.serverMaxWindowBits >= 9 ? agreement.serverMaxWindowBits : 0,
      };
    },
  };
}
