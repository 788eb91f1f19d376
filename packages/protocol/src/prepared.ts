/**
 * Prepared messages: a message framed once (by the codec) for many connections — the
 * broadcast/publish send path. Owns the frame bytes, the per-encoding compressed frames,
 * the choice of which bytes a connection can write as they are ({@link sharedFrames}), and
 * the messages waiting for a connection's own fragmented message to end.
 */
import { frameHeaderLength, Opcode, writeFrame } from '@strata-ws/codec';
import type { MessageExtension } from './extension.js';

/** A compressed variant of a prepared message: the key it was built for and its frame. */
interface SharedFrame {
  readonly key: number;
  readonly frame: Uint8Array;
}

const NO_SHARED: SharedFrame[] = [];

/** Allocates a buffer for frame bytes (every byte is written before use). */
export type Allocate = (length: number) => Uint8Array;

/** Options of a {@link PreparedMessage}. */
export interface PreparedMessageOptions {
  /**
   * Allocates the frames' buffers; default `new Uint8Array`. A Node server passes
   * Node's `allocUnsafe`, so that sockets take the shared frame without converting it to a
   * `Buffer` once per receiver.
   */
  allocate?: Allocate;
}

const defaultAllocate: Allocate = (length) => new Uint8Array(length);

/** One whole unmasked final frame in a new buffer: header, then `payload` copied once. */
function frameOnce(
  payload: Uint8Array,
  opcode: number,
  rsv: number,
  allocate: Allocate,
): Uint8Array {
  const bytes = allocate(frameHeaderLength(payload.length, false) + payload.length);
  writeFrame(bytes, 0, true, rsv, opcode, payload);
  return bytes;
}

/**
 * A message framed once for many connections (topics, broadcast). Immutable once built:
 * never modify {@link PreparedMessage.frame} or {@link PreparedMessage.data}.
 *
 * The uncompressed frame is built at construction (the payload is copied once into it, so the
 * caller may reuse its buffer at once). A compressed frame is built at most once per shared
 * encoding (see `MessageExtension.sharedEncodingKey`), the first time a connection that can
 * take it is sent the message. Every connection then writes the same bytes: no per-recipient
 * copy of the payload (frames over the connection's `coalesceLimit` go out by reference).
 */
export class PreparedMessage {
  /** Binary (opcode 2) or text (opcode 1; `data` must be UTF-8). */
  readonly isBinary: boolean;
  /**
   * `true`: compress for every receiver whose extension can take a shared compressed frame;
   * `false`: never; `undefined`: each receiver's extension decides (`shouldEncode`).
   */
  readonly compress: boolean | undefined;
  /** The complete uncompressed frame: unmasked, final, RSV bits clear. */
  readonly frame: Uint8Array;
  /** The uncompressed payload: a view of {@link PreparedMessage.frame}'s own copy. */
  readonly data: Uint8Array;
  #shared: SharedFrame[] = NO_SHARED;
  readonly #allocate: Allocate;

  /**
   * @param data - the payload (text as UTF-8 bytes); copied once
   * @param isBinary - binary (true) or text (false)
   * @param compress - see {@link PreparedMessage.compress}
   * @param options - `allocate`: the frames' buffers (see {@link PreparedMessageOptions})
   */
  constructor(
    data: Uint8Array,
    isBinary: boolean,
    compress?: boolean,
    options?: PreparedMessageOptions,
  ) {
    this.isBinary = isBinary;
    this.compress = compress;
    const allocate = options?.allocate ?? defaultAllocate;
    this.#allocate = allocate;
    const frame = frameOnce(data, isBinary ? Opcode.Binary : Opcode.Text, 0, allocate);
    this.frame = frame;
    this.data = frame.subarray(frame.length - data.length);
  }

  /**
   * The frame for a connection using `extension`: the payload compressed by
   * `extension.encodeShared` with `extension.rsvBit` set, built once per
   * `extension.sharedEncodingKey` and cached. `null` when the extension cannot take a shared
   * frame (no key, or no `encodeShared`).
   */
  frameFor(extension: MessageExtension): Uint8Array | null {
    const key = extension.sharedEncodingKey;
    if (key === undefined || key === 0 || extension.encodeShared === undefined) return null;
    const shared = this.#shared;
    for (let i = 0; i < shared.length; i++) {
      if (shared[i]!.key === key) return shared[i]!.frame;
    }
    const payload = extension.encodeShared(this.data);
    const opcode = this.isBinary ? Opcode.Binary : Opcode.Text;
    const frame = frameOnce(payload, opcode, extension.rsvBit, this.#allocate);
    if (this.#shared === NO_SHARED) this.#shared = [{ key, frame }];
    else this.#shared.push({ key, frame });
    return frame;
  }
}

/**
 * The bytes a connection writes for `message`: the shared compressed frame when compression
 * is wanted (`encodeMask` non-zero) and the connection's one extension can take it, else the
 * plain frame — compression is shared or not done, so a broadcast costs at most one
 * compression per encoding, never one per receiver. `null` for a client, which masks every
 * frame with a fresh key and so sends `message.data` through its own send path.
 * @internal
 */
export function sharedFrames(
  message: PreparedMessage,
  client: boolean,
  encodeMask: number,
  extensions: readonly MessageExtension[],
): Uint8Array | null {
  if (client) return null;
  if (encodeMask === 0 || extensions.length !== 1) return message.frame;
  return message.frameFor(extensions[0]!) ?? message.frame;
}

/** A prepared message waiting for a connection's own fragmented message to end. */
interface Deferred {
  message: PreparedMessage;
  done: (() => void) | undefined;
}

/**
 * Prepared messages waiting for their connection's fragmented message to end, by owner (the
 * connection's sender; rare: kept off that object, whose idle size matters).
 * @internal
 */
export class DeferredPrepared<K extends object> {
  readonly #waiting = new WeakMap<K, Deferred[]>();

  add(owner: K, message: PreparedMessage, done: (() => void) | undefined): void {
    const list = this.#waiting.get(owner);
    if (list === undefined) this.#waiting.set(owner, [{ message, done }]);
    else list.push({ message, done });
  }

  /** Bytes of the frames waiting for `owner`. */
  length(owner: K): number {
    const list = this.#waiting.get(owner);
    let length = 0;
    if (list !== undefined)
      for (let i = 0; i < list.length; i++) length += list[i]!.message.frame.length;
    return length;
  }

  /** Removes and returns what waits for `owner`, in order. */
  take(owner: K): readonly Deferred[] {
    const list = this.#waiting.get(owner);
    this.#waiting.delete(owner);
    return list ?? [];
  }
}
