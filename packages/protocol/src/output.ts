/**
 * The engine's output queue: frames written as bytes, small ones coalesced into one chunk.
 *
 * Small frames (header + payload) are copied into a slab shared by every connection of the
 * process, one after the other, so that many small messages sent in one tick leave in one
 * chunk. A slab region is never written twice: `take()` hands out views of it and the next
 * frames go after them, so the I/O layer may hold the views for as long as its writes take.
 * When a slab is full a new one is allocated; old slabs are freed with the last view. An
 * idle connection holds no buffer of its own.
 *
 * Large payloads are not copied: their header goes into the slab and the payload follows as
 * its own chunk, by reference (unmasked frames only; masked frames need a masked copy).
 * A large masked frame (a client's message over a slab) is masked into a buffer of its own,
 * and that buffer is reused once the host says its write is done ({@link OutputQueue.release}):
 * see {@link FramePool}.
 * Frame layout and masking are the codec's (`writeFrame`, `writeFrameHeader`, `mask`): this
 * file only decides where the bytes go, draws a client's mask keys, and tells the connection's
 * handler when the queue goes from empty to non-empty (`onOutput`).
 *
 * @internal
 */
import {
  frameHeaderLength,
  type MaskFunctions,
  mask,
  writeFrame,
  writeFrameHeader,
} from '@strata-ws/codec';
import { MaskKeySource } from './mask-keys.js';
import { encodeTextInto } from './text.js';

/**
 * Size of a shared slab. Small, like Node's 8 KiB Buffer pool: a view a stalled socket still
 * holds keeps its whole slab alive, so this bounds what one stalled small frame can pin.
 */
const SLAB_SIZE = 16 * 1024;

/** The sealed chunks of a queue holding none (shared; never written to). */
const NO_CHUNKS: Uint8Array[] = [];

/**
 * The current slab of one allocator, shared by every connection using that allocator (one
 * per process in practice: the default, or the Node facades' `allocUnsafe`).
 */
class Slabs {
  slab: Uint8Array = new Uint8Array(0);
  used = 0;
  readonly #allocate: ((length: number) => Uint8Array) | null;
  /** The reused buffers of large masked frames, for the same allocator. */
  readonly frames: FramePool;
  constructor(allocate: ((length: number) => Uint8Array) | null) {
    this.#allocate = allocate;
    this.frames = new FramePool(allocate);
  }
  /** Reserves `n` contiguous bytes of the current slab, replacing it when full. */
  claim(n: number): number {
    if (this.slab.length - this.used < n) {
      const size = Math.max(n, SLAB_SIZE);
      const allocate = this.#allocate;
      this.slab = allocate === null ? new Uint8Array(size) : allocate(size);
      this.used = 0;
    }
    const offset = this.used;
    this.used += n;
    return offset;
  }
}

/** Most idle frame buffers one pool keeps (besides its byte limit). */
const POOL_MAX_FREE = 8;

/** Bytes of idle frame buffers each pool may keep for reuse (see {@link setFramePoolLimit}). */
let framePoolLimit = 4 * 1024 * 1024;

/**
 * Sets how many bytes of finished large-frame buffers the process keeps for reuse (per
 * allocator; default 4 MiB; 0 turns reuse off). Only masked frames larger than a slab (a
 * client's messages over 16 KiB) use these buffers.
 * @param bytes - a non-negative integer or `Infinity`
 */
export function setFramePoolLimit(bytes: number): void {
  if (!(bytes === Number.POSITIVE_INFINITY || (Number.isInteger(bytes) && bytes >= 0))) {
    throw new RangeError(`framePoolLimit must be a non-negative integer, got ${String(bytes)}`);
  }
  framePoolLimit = bytes;
}

/**
 * The buffers of large masked frames, reused: a client sending large messages masks each into
 * a buffer whose earlier write is done instead of a fresh one, which on every message would
 * cost an allocation and, at a MiB, the page faults of memory the allocator just returned to
 * the system. A buffer is lent for one frame; it comes back only through
 * {@link FramePool.release} of the very chunk it was lent as (once: a second release finds it
 * no longer lent), which the host calls after that chunk's write finished. What waits for
 * reuse is bounded in bytes ({@link setFramePoolLimit}) and count; a buffer never released
 * (a host that does not call it, a failed write) is simply left to the garbage collector.
 */
class FramePool {
  readonly #free: Uint8Array[] = [];
  #freeBytes = 0;
  /** Lent buffers by their memory (weak: an unreleased one is collected as usual). */
  readonly #lent = new WeakMap<ArrayBufferLike, Uint8Array>();
  readonly #allocate: ((length: number) => Uint8Array) | null;
  constructor(allocate: ((length: number) => Uint8Array) | null) {
    this.#allocate = allocate;
  }

  /** A buffer of exactly `size` bytes for one frame: a reused one when one fits. */
  lend(size: number): Uint8Array {
    const free = this.#free;
    for (let i = free.length - 1; i >= 0; i--) {
      const whole = free[i]!;
      // At most twice the size: a small frame does not pin a large buffer.
      if (whole.length >= size && whole.length <= 2 * size) {
        free[i] = free[free.length - 1]!;
        free.pop();
        this.#freeBytes -= whole.length;
        this.#lent.set(whole.buffer, whole);
        return whole.length === size ? whole : whole.subarray(0, size);
      }
    }
    const allocate = this.#allocate;
    const whole = allocate === null ? new Uint8Array(size) : allocate(size);
    // Only a buffer that is its memory's alone can be reused (not a view of a shared pool).
    if (whole.byteOffset === 0 && whole.byteLength === whole.buffer.byteLength) {
      this.#lent.set(whole.buffer, whole);
    }
    return whole;
  }

  /** Takes back the buffer `chunk` was lent as, if it was one (its write is done). */
  release(chunk: Uint8Array): void {
    const memory = chunk.buffer;
    const whole = this.#lent.get(memory);
    if (whole === undefined) return;
    this.#lent.delete(memory);
    if (this.#free.length >= POOL_MAX_FREE || this.#freeBytes + whole.length > framePoolLimit) {
      return;
    }
    this.#free.push(whole);
    this.#freeBytes += whole.length;
  }
}

const defaultSlabs = new Slabs(null);
const slabsByAllocator = new WeakMap<(length: number) => Uint8Array, Slabs>();

function slabsFor(allocate: ((length: number) => Uint8Array) | null): Slabs {
  if (allocate === null) return defaultSlabs;
  let slabs = slabsByAllocator.get(allocate);
  if (slabs === undefined) {
    slabs = new Slabs(allocate);
    slabsByAllocator.set(allocate, slabs);
  }
  return slabs;
}

/**
 * One connection's queue of outgoing bytes.
 * @internal
 */
export class OutputQueue {
  /** Sealed chunks, in order. */
  #chunks: Uint8Array[] = NO_CHUNKS;
  /** Bytes queued: sealed chunks plus the open region. */
  #length = 0;
  /** The slab of the open region (the frames written since the last seal), if any. */
  #region: Uint8Array | null = null;
  #regionStart = 0;
  #regionEnd = 0;
  /** Payloads up to this length are copied into the slab; larger ones go by reference. */
  readonly #copyLimit: number;
  readonly #handler: { onOutput(): void };
  /** A client's mask keys (every frame masked), null for a server. */
  readonly #masks: MaskKeySource | null;
  readonly #masking: MaskFunctions | null;
  /** The slabs of this queue's allocator. */
  readonly #slabs: Slabs;

  /**
   * @param settings - `coalesceLimit`, the connection's host `masking`, and (client) the
   *   random source of mask keys
   * @param handler - told `onOutput()` when the queue goes from empty to non-empty
   * @param client - mask every frame
   */
  constructor(
    settings: {
      readonly coalesceLimit: number;
      readonly masking: MaskFunctions | null;
      readonly randomFill: ((bytes: Uint8Array) => void) | null;
      readonly allocate: ((length: number) => Uint8Array) | null;
    },
    handler: { onOutput(): void },
    client: boolean,
  ) {
    this.#copyLimit = settings.coalesceLimit;
    this.#handler = handler;
    this.#masking = settings.masking;
    this.#slabs = slabsFor(settings.allocate);
    this.#masks = client ? new MaskKeySource(settings.randomFill!) : null;
  }

  /** Appends a frame (masked with a fresh key for a client). */
  frame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): void {
    const wasEmpty = this.#length === 0;
    const masks = this.#masks;
    if (masks === null) this.write(fin, rsv, opcode, payload);
    else this.writeMasked(fin, rsv, opcode, payload, masks.next(), this.#masking);
    if (wasEmpty) this.#handler.onOutput();
  }

  /** Appends a text frame encoding `text` straight into the output (see `writeString`). */
  text(fin: boolean, opcode: number, text: string): void {
    const wasEmpty = this.#length === 0;
    const masks = this.#masks;
    this.writeString(fin, opcode, text, masks === null ? -1 : masks.next(), this.#masking);
    if (wasEmpty) this.#handler.onOutput();
  }

  /** Appends whole frames (a prepared message). */
  frames(bytes: Uint8Array): void {
    const wasEmpty = this.#length === 0;
    this.writeFrames(bytes);
    if (wasEmpty) this.#handler.onOutput();
  }

  /** Every frame is masked (a client's queue). */
  get masked(): boolean {
    return this.#masks !== null;
  }

  /** Bytes queued and not yet taken. */
  get length(): number {
    return this.#length;
  }

  /**
   * Reserves `n` bytes at the end of the queue and returns their offset in the current
   * slab. Extends the open region when the slab still continues it.
   */
  #reserve(n: number): number {
    const slabs = this.#slabs;
    const offset = slabs.claim(n);
    if (this.#region !== slabs.slab || this.#regionEnd !== offset) {
      this.#seal();
      this.#region = slabs.slab;
      this.#regionStart = offset;
    }
    this.#regionEnd = offset + n;
    this.#length += n;
    return offset;
  }

  #push(chunk: Uint8Array): void {
    if (this.#chunks === NO_CHUNKS) this.#chunks = [chunk];
    else this.#chunks.push(chunk);
  }

  /** Moves the open region to the sealed chunks. */
  #seal(): void {
    if (this.#regionEnd > this.#regionStart) {
      this.#push(this.#region!.subarray(this.#regionStart, this.#regionEnd));
      this.#regionStart = this.#regionEnd;
    }
  }

  /** Appends an unmasked frame. */
  write(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): void {
    const length = payload.length;
    if (length <= this.#copyLimit) {
      // Header and payload next to each other in the slab (small frames leave in one chunk).
      const offset = this.#reserve(frameHeaderLength(length, false) + length);
      writeFrame(this.#slabs.slab, offset, fin, rsv, opcode, payload);
      return;
    }
    const offset = this.#reserve(frameHeaderLength(length, false));
    writeFrameHeader(this.#slabs.slab, offset, fin, rsv, opcode, length);
    this.#seal();
    this.#push(payload);
    this.#length += length;
  }

  /**
   * Appends a frame masked with `maskKey` (the payload is masked into a copy, with `masking`
   * when given).
   */
  writeMasked(
    fin: boolean,
    rsv: number,
    opcode: number,
    payload: Uint8Array,
    maskKey: number,
    masking: MaskFunctions | null,
  ): void {
    const length = payload.length;
    const total = frameHeaderLength(length, true) + length;
    if (total <= SLAB_SIZE) {
      const offset = this.#reserve(total); // may replace the slab: read `slab` after it
      writeFrame(this.#slabs.slab, offset, fin, rsv, opcode, payload, maskKey, masking);
      return;
    }
    // A large frame gets a buffer of its own rather than a slab it would fill alone: one
    // whose earlier write is done when there is one (see `release`).
    this.#seal();
    const target = this.#slabs.frames.lend(total);
    this.#push(target);
    this.#length += total;
    writeFrame(target, 0, fin, rsv, opcode, payload, maskKey, masking);
  }

  /**
   * Appends bytes that are whole frames already (a prepared message, shared by many
   * connections and never modified): copied into the slab only when small and the slab still
   * continues this queue's open region (so they leave in one chunk with the frames before);
   * by reference otherwise — a broadcast writes to many queues in turn, whose regions are
   * never contiguous, and a copy there would cost a copy and a view per receiver.
   */
  writeFrames(bytes: Uint8Array): void {
    const length = bytes.length;
    const slabs = this.#slabs;
    if (
      length <= this.#copyLimit &&
      this.#region === slabs.slab &&
      this.#regionEnd === slabs.used &&
      slabs.slab.length - slabs.used >= length
    ) {
      const offset = this.#reserve(length);
      slabs.slab.set(bytes, offset);
      return;
    }
    this.#seal();
    this.#push(bytes);
    this.#length += length;
  }

  /**
   * Appends a text frame whose payload is `text` encoded as UTF-8 straight into the slab (no
   * intermediate buffer), masked with `maskKey` unless it is -1. For strings of at most
   * 21845 UTF-16 units (3 bytes each at most, so the header takes at most 4 + 4 bytes).
   */
  writeString(
    fin: boolean,
    opcode: number,
    text: string,
    maskKey: number,
    masking: MaskFunctions | null,
  ): void {
    const masked = maskKey !== -1;
    const room = 3 * text.length;
    const roomHeader = frameHeaderLength(room, masked);
    const offset = this.#reserve(roomHeader + room);
    const target = this.#slabs.slab;
    const bodyStart = offset + roomHeader;
    const written =
      room === 0 ? 0 : encodeTextInto(text, target.subarray(bodyStart, bodyStart + room));
    const headerLength = frameHeaderLength(written, masked);
    if (headerLength < roomHeader) {
      target.copyWithin(offset + headerLength, bodyStart, bodyStart + written);
    }
    if (masked) writeFrameHeader(target, offset, fin, 0, opcode, written, maskKey);
    else writeFrameHeader(target, offset, fin, 0, opcode, written);
    // Give the unused tail back: nothing was claimed after it (all of this is synchronous).
    const unused = roomHeader + room - headerLength - written;
    this.#slabs.used -= unused;
    this.#regionEnd -= unused;
    this.#length -= unused;
    if (masked && written !== 0) {
      const start = offset + headerLength;
      mask(target.subarray(start, start + written), maskKey, 0, masking);
    }
  }

  /** Removes and returns every queued chunk, in order. */
  take(): Uint8Array[] {
    this.#seal();
    const chunks = this.#chunks;
    this.#chunks = NO_CHUNKS;
    this.#length = 0;
    // Everything was handed out: an idle queue keeps no slab alive.
    this.#region = null;
    return chunks === NO_CHUNKS ? [] : chunks;
  }

  /**
   * The host finished writing `chunks` (from {@link OutputQueue.take}; the write succeeded,
   * nothing holds them any more): the buffers of large masked frames among them are reused for
   * later frames. Optional: chunks never released are garbage collected as usual. Must not be
   * called before the write is done or for chunks still in use.
   */
  release(chunks: readonly Uint8Array[]): void {
    const frames = this.#slabs.frames;
    for (let i = 0; i < chunks.length; i++) frames.release(chunks[i]!);
  }

  /** Drops everything queued. */
  clear(): void {
    this.#chunks = NO_CHUNKS;
    this.#length = 0;
    this.#region = null;
    this.#regionStart = 0;
    this.#regionEnd = 0;
  }
}
