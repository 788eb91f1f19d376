/**
 * Synchronous work on a KEPT node:zlib stream: one native call per output chunk on the
 * calling thread, no thread-pool round trip and no new stream object per message (which is
 * what `deflateRawSync` costs: it builds and destroys a whole stream each call).
 *
 * node:zlib has no public API for this, so it uses the native handle every node:zlib stream
 * is built on (`_handle.writeSync` and the `_writeState` pair it reports into, the same calls
 * `zlib.deflateRawSync` makes internally since Node 10). It is feature-detected: where a
 * runtime's node:zlib lacks them, {@link canWriteSync} is false and the engine takes the
 * thread-pool path instead, with the same bytes on the wire.
 */

import { constants, type DeflateRaw, type InflateRaw } from 'node:zlib';

/** The native handle of a node:zlib stream, as far as this module uses it. */
interface NativeHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
}

interface StreamInternals {
  _handle?: NativeHandle | null;
  _writeState?: Uint32Array;
}

const CHUNK = 64 * 1024;

/** True when `stream` can be driven synchronously (its runtime exposes the native handle). */
export function canWriteSync(stream: DeflateRaw | InflateRaw): boolean {
  const s = stream as unknown as StreamInternals;
  return (
    typeof s._handle?.writeSync === 'function' &&
    s._writeState instanceof Uint32Array &&
    s._writeState.length >= 2
  );
}

/** Thrown by {@link writeSync} when the output passes its limit (the stream is then unusable). */
export class OutputLimitError extends Error {
  constructor() {
    super('zlib output limit exceeded');
    this.name = 'OutputLimitError';
  }
}

/**
 * Processes all of `input` with a sync flush on a kept stream and returns the output (with
 * the `00 00 ff ff` tail a sync flush writes). Only call when {@link canWriteSync} is true
 * and no asynchronous job runs on the stream.
 * @throws OutputLimitError past `limit` output bytes; the zlib error for invalid input
 */
export function writeSync(
  stream: DeflateRaw | InflateRaw,
  input: Uint8Array,
  limit: number,
): Uint8Array {
  const s = stream as unknown as StreamInternals;
  const handle = s._handle as NativeHandle;
  const state = s._writeState as Uint32Array;
  let out = new Uint8Array(Math.min(CHUNK, Math.max(64, input.length + (input.length >>> 3) + 64)));
  let filled = 0;
  let inOffset = 0;
  let available = input.length;
  for (;;) {
    const room = out.length - filled;
    handle.writeSync(constants.Z_SYNC_FLUSH, input, inOffset, available, out, filled, room);
    // A zlib error destroys the stream synchronously (node:zlib's onerror handler).
    if (stream.destroyed) throw new Error('zlib error: the stream was destroyed');
    const outLeft = state[0] as number;
    const inLeft = state[1] as number;
    filled += room - outLeft;
    inOffset += available - inLeft;
    available = inLeft;
    if (filled > limit) throw new OutputLimitError();
    // Output space left over means zlib is done with this input (or reached a final block).
    if (outLeft !== 0) break;
    const grown = new Uint8Array(Math.min(out.length * 2, out.length + 4 * CHUNK));
    grown.set(out.subarray(0, filled));
    out = grown;
  }
  return out.length - filled > 1024 && out.length > 2 * filled
    ? out.slice(0, filled)
    : out.subarray(0, filled);
}
