/**
 * Test helpers shared by the suites that decode our output with real peers: `ws`'s own
 * permessage-deflate (from npm, as a peer keeping its window) and promise forms of our engine's
 * `encode` / `decode`.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DeflateAgreement } from '../src/index.js';
import type { PerMessageDeflate } from '../src/node/index.js';

type Callback = (error: Error | null, data?: Buffer) => void;

/** The part of `ws`'s PerMessageDeflate these tests use. */
export interface WsPerMessageDeflate {
  accept(configurations: Record<string, unknown>[]): Record<string, unknown>;
  decompress(data: Uint8Array, fin: boolean, callback: Callback): void;
  cleanup(): void;
}

/**
 * A server that keeps its context (no `server_no_context_takeover`) with a client that offered
 * `client_no_context_takeover`, as the benchmark's client does; 15-bit windows.
 */
export const AGREEMENT: DeflateAgreement = {
  role: 'server',
  serverNoContextTakeover: false,
  clientNoContextTakeover: true,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

const require = createRequire(import.meta.url);

/** `ws`'s PerMessageDeflate class (its lib file: `ws` does not export it). */
export const WsDeflate = require(
  join(dirname(require.resolve('ws/package.json')), 'lib/permessage-deflate.js'),
) as new (
  options: Record<string, unknown>,
) => WsPerMessageDeflate;

/** Compresses one message with our engine. */
export function encode(ext: PerMessageDeflate, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    ext.encode(data, (e, out) => (e ? reject(e) : resolve(out as Uint8Array))),
  );
}

/** Decompresses one whole message with our engine. */
export function decode(ext: PerMessageDeflate, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) =>
    ext.decode(data, true, 1 << 24, (e, out) => (e ? reject(e) : resolve(out as Uint8Array))),
  );
}

/** Decompresses one whole message with `ws`'s PerMessageDeflate. */
export function wsDecode(ext: WsPerMessageDeflate, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    ext.decompress(data, true, (e, out) => (e ? reject(e) : resolve(out as Buffer))),
  );
}
