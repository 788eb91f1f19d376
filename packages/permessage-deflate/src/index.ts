/**
 * `@strata-ws/permessage-deflate`: RFC 7692 negotiation, portable (no host APIs). The
 * node:zlib engine lives at `@strata-ws/permessage-deflate/node`.
 *
 * @packageDocumentation
 */

export type { ClientDeflateOffer, ClientDeflateOptions } from './client.js';
export { PerMessageDeflateClient } from './client.js';
export type { DeflateAgreement, DeflateParam, DeflateParams } from './params.js';
export { PERMESSAGE_DEFLATE, parseWindowBits } from './params.js';
export type { DeflateSelection, ServerDeflateOptions } from './server.js';
export { PerMessageDeflateServer } from './server.js';
