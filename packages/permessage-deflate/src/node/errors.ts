/**
 * The engine's small shared pieces: the errors it reports (each with its close code from
 * `@strata-ws/codec`), the output ceiling, and the buffer helpers both directions use.
 */

import { CloseCode, ProtocolError } from '@strata-ws/codec';

/** The largest output a zlib call may produce (node:zlib's buffer limit). @internal */
export const MAX_OUTPUT: number = 2 ** 31 - 1;

/** 1009: the decompressed message passes the connection's limit. @internal */
export function tooBig(limit: number): ProtocolError {
  return new ProtocolError(CloseCode.MessageTooBig, `Decompressed message exceeds ${limit} bytes`);
}

/** 1007: the peer's compressed data is invalid. @internal */
export function invalidData(error: unknown): ProtocolError {
  const message = error instanceof Error ? error.message : String(error);
  return new ProtocolError(CloseCode.InvalidPayloadData, `Invalid compressed data: ${message}`, {
    cause: error,
  });
}

/** 1011: our own compression failed. @internal */
export function compressionFailed(error: unknown): ProtocolError {
  return new ProtocolError(CloseCode.InternalError, 'Compression failed', { cause: error });
}

/** True for node:zlib's "output passes maxOutputLength" error. @internal */
export function isTooLarge(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

/** The error of work asked of (or pending in) a disposed extension. @internal */
export const disposedError = (): Error => new Error('permessage-deflate extension disposed');

/** A right-sized copy unless `out` already owns its buffer (decompressed messages go to users). @internal */
export function ownBuffer(out: Uint8Array): Uint8Array {
  return out.byteOffset === 0 && out.buffer.byteLength === out.length ? out : out.slice();
}

/** The last `cap` bytes of `history` followed by `data`, as a new array. @internal */
export function appendHistory(
  history: Uint8Array | null,
  data: Uint8Array,
  cap: number,
): Uint8Array {
  const n = data.length;
  if (n >= cap) return data.slice(n - cap);
  const keep = history === null ? 0 : Math.min(history.length, cap - n);
  const out = new Uint8Array(keep + n);
  if (history !== null && keep > 0) out.set(history.subarray(history.length - keep));
  out.set(data, keep);
  return out;
}
