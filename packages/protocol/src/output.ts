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
 *
 * @internal
 */
import { frameHeaderLength, mask, maskInto, writeFrameHeader } from '@strata-ws/codec';
import { encodeTextInto } from './text.js';

/**
 * Size of a shared slab. Small, like Node's 8 KiB Buffer pool: a view a stalled socket still
 * holds keeps its whole slab alive, so this bounds what one stalled small frame can pin.
 */
const SLAB_SIZE = 16 * 1024;

/** Below this length a masked payload is copied and masked in one byte loop. */
const INLINE_MASK_MAX = 256;

/** Below this length a byte loop copies faster than `TypedArray.prototype.set`. */
const INLINE_COPY_MAX = 64;

let slab: Uint8Array = new Uint8Array(0);

/** The sealed chunks of a queue holding none (shared; never written to). */
const NO_CHUNKS: Uint8Array[] = [];
let slabUsed = 0;

/** Reserves `n` contiguous bytes of the current slab, replacing it when full. */
function claim(n: number): number {
  if (slab.length - slabUsed < n) {
    slab = new Uint8Array(Math.max(n, SLAB_SIZE));
    slabUsed = 0;
  }
  const offset = slabUsed;
  slabUsed += n;
  return offset;
}

/** Copies `source` into `target` at `offset`, XORed with the mask key (RFC 6455 §5.3). */
function copyMasked(source: Uint8Array, target: Uint8Array, offset: number, maskKey: number): void {
  const k0 = maskKey >>> 24;
  const k1 = (maskKey >>> 16) & 0xff;
  const k2 = (maskKey >>> 8) & 0xff;
  const k3 = maskKey & 0xff;
  const length = source.length;
  const end4 = length & ~3;
  let i = 0;
  for (; i < end4; i += 4) {
    target[offset + i] = source[i]! ^ k0;
    target[offset + i + 1] = source[i + 1]! ^ k1;
    target[offset + i + 2] = source[i + 2]! ^ k2;
    target[offset + i + 3] = source[i + 3]! ^ k3;
  }
  if (i < length) {
    target[offset + i] = source[i]! ^ k0;
    if (i + 1 < length) {
      target[offset + i + 1] = source[i + 1]! ^ k1;
      if (i + 2 < length) target[offset + i + 2] = source[i + 2]! ^ k2;
    }
  }
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

  constructor(copyLimit: number) {
    this.#copyLimit = copyLimit;
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
    const offset = claim(n);
    if (this.#region !== slab || this.#regionEnd !== offset) {
      this.#seal();
      this.#region = slab;
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
    if (length < 126 && length <= this.#copyLimit) {
      // The common small frame: a 2-byte header written in place, the payload copied after it.
      const offset = this.#reserve(2 + length);
      const target = slab;
      target[offset] = (fin ? 0x80 : 0) | rsv | opcode;
      target[offset + 1] = length;
      if (length <= INLINE_COPY_MAX) {
        for (let i = 0; i < length; i++) target[offset + 2 + i] = payload[i]!;
      } else {
        target.set(payload, offset + 2);
      }
      return;
    }
    const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
    if (length <= this.#copyLimit) {
      const offset = this.#reserve(headerLength + length);
      writeFrameHeader(slab, offset, fin, rsv, opcode, length);
      if (length !== 0) slab.set(payload, offset + headerLength);
      return;
    }
    const offset = this.#reserve(headerLength);
    writeFrameHeader(slab, offset, fin, rsv, opcode, length);
    this.#seal();
    this.#push(payload);
    this.#length += length;
  }

  /** Appends a frame masked with `maskKey` (the payload is masked into a copy). */
  writeMasked(
    fin: boolean,
    rsv: number,
    opcode: number,
    payload: Uint8Array,
    maskKey: number,
  ): void {
    const length = payload.length;
    const headerLength = frameHeaderLength(length, true);
    const total = headerLength + length;
    let target: Uint8Array;
    let offset: number;
    if (total <= SLAB_SIZE) {
      offset = this.#reserve(total);
      target = slab;
    } else {
      // A large frame gets a buffer of its own rather than a slab it would fill alone.
      this.#seal();
      target = new Uint8Array(total);
      offset = 0;
      this.#push(target);
      this.#length += total;
    }
    writeFrameHeader(target, offset, fin, rsv, opcode, length, maskKey);
    const start = offset + headerLength;
    if (length <= INLINE_MASK_MAX) {
      copyMasked(payload, target, start, maskKey);
    } else {
      // Copy and mask in one pass (32-bit words, WebAssembly SIMD or the host's native seam).
      maskInto(payload, target, start, maskKey);
    }
  }

  /**
   * Appends a text frame whose payload is `text` encoded as UTF-8 straight into the slab (no
   * intermediate buffer), masked with `maskKey` unless it is -1. For strings of at most
   * 21845 UTF-16 units (3 bytes each at most, so the header takes at most 4 + 4 bytes).
   */
  writeString(fin: boolean, opcode: number, text: string, maskKey: number): void {
    const masked = maskKey !== -1;
    const room = 3 * text.length;
    const roomHeader = frameHeaderLength(room, masked);
    const offset = this.#reserve(roomHeader + room);
    const target = slab;
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
    slabUsed -= unused;
    this.#regionEnd -= unused;
    this.#length -= unused;
    if (masked) {
      const start = offset + headerLength;
      maskInPlace(target, start, start + written, maskKey);
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

  /** Drops everything queued. */
  clear(): void {
    this.#chunks = NO_CHUNKS;
    this.#length = 0;
    this.#region = null;
    this.#regionStart = 0;
    this.#regionEnd = 0;
  }
}

/** XORs `target[start..end)` with the mask key in place (short payloads). */
function maskInPlace(target: Uint8Array, start: number, end: number, maskKey: number): void {
  const key = [maskKey >>> 24, (maskKey >>> 16) & 0xff, (maskKey >>> 8) & 0xff, maskKey & 0xff];
  if (end - start > INLINE_MASK_MAX) {
    mask(target.subarray(start, end), maskKey);
    return;
  }
  for (let i = start; i < end; i++) target[i] = target[i]! ^ key[(i - start) & 3]!;
}
