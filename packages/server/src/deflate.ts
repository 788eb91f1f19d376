import type { ExtensionParams, ServerExtensionNegotiator } from '@strata-ws/handshake';
import type { MessageExtension } from '@strata-ws/protocol';
// TEMPORARY while permessage-deflate lands (swapped for /tmp/deflate.real.ts)
export interface PerMessageDeflateOptions { threshold?: number }
export interface DeflateEngine { readonly extension: MessageExtension; readonly sharedWindowBits: number }
export interface DeflateSupport { readonly negotiator: ServerExtensionNegotiator; createEngine(response: ExtensionParams): DeflateEngine }
export function createDeflateSupport(_options: PerMessageDeflateOptions): DeflateSupport {
  throw new Error('permessage-deflate not available yet');
}
