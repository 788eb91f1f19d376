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

import { constants, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';

/** The native handle of a node:zlib stream, as far as this module uses it. */
interface NativeHandle {
  params?(level: number, strategy: number): void;
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

function hasHandle(stream: DeflateRaw | InflateRaw): boolean {
  const s = stream as unknown as StreamInternals;
  return (
    typeof s._handle?.writeSync === 'function' &&
    s._writeState instanceof Uint32Array &&
    s._writeState.length >= 2
  );
}

let reportsErrors: boolean | null = null;

/**
 * Whether a zlib error in `writeSync` shows at once (the stream destroyed before the call
 * returns), as in Node and Bun; Deno reports it a tick later, too late to refuse the message.
 * Checked once, with invalid data on a throwaway decompressor.
 */
function errorsReportedSynchronously(): boolean {
  if (reportsErrors === null) {
    const probe = createInflateRaw();
    probe.on('error', () => {});
    reportsErrors = false;
    if (hasHandle(probe)) {
      const s = probe as unknown as StreamInternals;
      const bad = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x01, 0x02]);
      try {
        (s._handle as NativeHandle).writeSync(
          constants.Z_SYNC_FLUSH,
          bad,
          0,
          bad.length,
          new Uint8Array(64),
          0,
          64,
        );
      } catch {
        // a throw is a report too
      }
      reportsErrors = probe.destroyed;
    }
    probe.destroy();
  }
  return reportsErrors;
}

/**
 * True when `stream` can be driven synchronously: its runtime exposes the native handle and
 * reports zlib errors before `writeSync` returns.
 */
export function canWriteSync(stream: DeflateRaw | InflateRaw): boolean {
  return hasHandle(stream) && errorsReportedSynchronously();
}

/** Thrown by {@link writeSync} when the output passes its limit (the stream is then unusable). */
export class OutputLimitError extends Error {
  constructor() {
    super('zlib output limit exceeded');
    this.name = 'OutputLimitError';
  }
}

/**
 * Changes a kept compressor's level between messages (zlib's `deflateParams` on the native
 * handle, synchronous). Only between levels that share zlib's compression function (4..9, or
 * 1..3), so nothing is pending to flush. False where the runtime has no such call.
 */
export function setLevel(stream: DeflateRaw, level: number): boolean {
  const handle = (stream as unknown as StreamInternals)._handle;
  if (typeof handle?.params !== 'function') return false;
  try {
    handle.params(level, constants.Z_DEFAULT_STRATEGY);
  } catch {
    return false; // keep the level it has: any level gives a valid stream
  }
  return true;
}

// One scratch output buffer for every synchronous call of the thread (calls never overlap):
// the result is copied out at its exact size, so no per-message allocation of a guessed size.
let scratch: Uint8Array | null = null;

/**
 * Processes all of `input` with a sync flush on a kept stream and returns the output (with
 * the `00 00 ff ff` tail a sync flush writes) in a new array of its exact size. Only call when
 * {@link canWriteSync} is true and no asynchronous job runs on the stream.
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
  scratch ??= new Uint8Array(CHUNK);
  let out = scratch;
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
    const grown = new Uint8Array(out.length * 2);
    grown.set(out.subarray(0, filled));
    out = grown;
  }
  return out.slice(0, filled);
}
