/**
 * The incremental frame parser: bytes in any chunking → frames, all complete frames of a
 * chunk in one pass, no object per frame.
 */
import { CloseCode } from './close-codes.js';
import { ProtocolError } from './errors.js';
import { createFrameHeader, type FrameHeader, readHeader } from './frame-header.js';
import { type MaskFunctions, mask, maskInto } from './mask.js';

/** Receives the frames of a {@link FrameParser}. */
export interface FrameSink {
  /**
   * One frame. `header` is reused between calls: read it, do not keep it. `payload` is
   * still masked (apply `mask(payload, header.maskKey)` when `header.masked`) unless the
   * parser was made with `unmask: true`; it is a view
   * of the pushed chunk when the payload lies in one chunk, otherwise a fresh copy owned by
   * the sink. Return `false` to stop: the rest stays buffered until the next `push`.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: sinks written as `(): void` must fit.
  frame(header: FrameHeader, payload: Uint8Array): boolean | undefined | void;
  /**
   * Optional, with {@link FrameSink.partial}: asked once for each frame whose payload does not
   * lie in the chunk its header came in, right after the header is read. Return `true` to see
   * that payload piece by piece, as it arrives (e.g. to validate UTF-8 before the frame ends).
   */
  wantsPartial?(header: FrameHeader): boolean;
  /**
   * A piece of the payload of a frame that is not complete yet (only for frames
   * `wantsPartial` accepted), in order, unmasked if the parser unmasks. The piece that
   * completes the frame is not reported here: `frame` then receives the whole payload, whose
   * first bytes (the sum of the pieces' lengths) the sink has seen already. `bytes` is a view
   * of the payload being gathered: read it, do not keep it. Return `false` to stop.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: sinks written as `(): void` must fit.
  partial?(header: FrameHeader, bytes: Uint8Array): boolean | undefined | void;
}

/** Options of {@link FrameParser}. */
export interface FrameParserOptions {
  /**
   * The largest payload one frame may announce, in bytes (an integer, or `Infinity`). A
   * larger frame fails with `ProtocolError(1009)` as soon as its header is read, before any
   * of it is buffered. Default {@link DEFAULT_MAX_PAYLOAD} (64 MiB). The same name as the
   * engine's and the facades' option.
   */
  maxPayload?: number;
  /** @deprecated the old name of {@link FrameParserOptions.maxPayload}. */
  maxPayloadLength?: number;
  /**
   * A host masking implementation for this parser's unmasking (see {@link MaskFunctions});
   * default `null`: the codec's portable code.
   */
  masking?: MaskFunctions | null;
  /**
   * Hand masked payloads to the sink already unmasked (default `false`). A frame inside one
   * chunk is unmasked in place in the pushed chunk; a frame gathered across chunks is
   * unmasked while it is copied (one pass). `header.masked` and `header.maskKey` still say
   * how the frame arrived; the sink must not unmask again.
   */
  unmask?: boolean;
  /**
   * The caller gives pushed chunks to the parser and does not modify them afterwards
   * (default `false`). A payload over 64 KiB split across chunks is then gathered as views
   * of the chunks and copied once, at its exact size, when its last byte arrives, instead
   * of growing a buffer step by step (a trickle of small reads falls back to the growing
   * buffer, so views never cost more memory than the bytes they hold).
   */
  retainChunks?: boolean;
  /**
   * Allocates the buffers payloads split across chunks are gathered in; every byte is written
   * before a payload is handed out, so the memory need not be zeroed. Default
   * `new Uint8Array`. A host with a cheaper allocator passes it (the Node facades pass Node's
   * `allocUnsafe`, through the engine's `allocate` option): a zeroed 64 KiB allocation costs
   * several times the copy that fills it.
   */
  allocate?: ((length: number) => Uint8Array) | null;
}

/**
 * Default {@link FrameParserOptions.maxPayload} of a parser used on its own: 64 MiB. The
 * protocol engine always passes its own limit (its per-role table, `LIMIT_DEFAULTS`).
 */
export const DEFAULT_MAX_PAYLOAD: number = 64 * 1024 * 1024;

/**
 * Frames over this size are gathered as views with `retainChunks` (copied once when complete).
 */
const PREALLOCATE_MAX = 65536;

/**
 * Views of retained chunks (`retainChunks`) are checked from this many on: when they hold on
 * average less than {@link RETAIN_MIN_AVERAGE} bytes each, the payload moves to a buffer.
 */
const RETAIN_CHECK_PARTS = 64;
const RETAIN_MIN_AVERAGE = 1024;

/** The longest frame header: 2 + 8 (length) + 4 (mask key). */
const MAX_HEADER_LENGTH = 14;

const EMPTY = new Uint8Array(0);

// Bits of FrameParser#flags.
/** Hand payloads to the sink unmasked (`unmask` option). */
const UNMASK = 1;
/** Gather large split payloads as views of the chunks (`retainChunks` option). */
const RETAIN = 2;
/** The sink sees the pending frame's payload piece by piece (`wantsPartial`). */
const PARTIAL = 4;
/** The retained views were unmasked in place already (for `partial`). */
const PARTS_UNMASKED = 8;
/** The sink stopped delivery during this `push`. */
const STOPPED = 16;
/** An exception left the parser failed (`#failure`). */
const FAILED = 32;

/** The queue of a parser holding nothing (shared; never written to). */
const NO_QUEUE: Uint8Array[] = [];

/**
 * The size of the buffer gathering a payload split across chunks, for `filled` bytes received
 * (and `current`, the size of the buffer so far): the first buffer holds exactly the bytes
 * of the first read (a connection cut there costs those bytes, issue #13: connections reset
 * mid-frame); a larger one is twice what it holds, growing by doubling; the announced `total`
 * once that is at most twice as much. So a header announcing a payload that never comes costs
 * at most four times the bytes that were sent, not what was announced, and a frame arriving
 * in a few large reads is copied into a buffer grown at most three times.
 */
function payloadBufferSize(filled: number, current: number, total: number): number {
  const size = current === 0 ? filled : Math.max(2 * current, 2 * filled);
  return 2 * size >= total ? total : size;
}

function allocateZeroed(length: number): Uint8Array {
  return new Uint8Array(length);
}

/**
 * Splits a byte stream into WebSocket frames (RFC 6455 §5.2), whatever its chunking.
 *
 * Each {@link FrameParser.push} delivers every complete frame to the sink in one pass. A
 * frame whose payload lies inside one chunk is handed out as a view (no copy); a frame split
 * across chunks is gathered into one fresh buffer, growing with the bytes that actually
 * arrive (a header announcing a large payload does not make the parser allocate it).
 * A header split across chunks waits in a 14-byte stash.
 *
 * The parser keeps a reference to a pushed chunk only when the sink stops it mid-chunk
 * (the unread rest is delivered from that chunk on the next `push`).
 *
 * Errors: a header that breaks RFC 6455 throws `ProtocolError(1002)` (see `parseHeader`), a
 * payload over `maxPayload` throws `ProtocolError(1009)`. An exception thrown out of
 * `push` (by the parser or by the sink) leaves the parser failed: every later `push` throws
 * the same error until {@link FrameParser.reset}.
 */
export class FrameParser {
  readonly #maxPayloadLength: number;
  readonly #header: FrameHeader = createFrameHeader();
  /** A header split across chunks (allocated the first time one is). */
  #stash: Uint8Array | null = null;
  #stashLength = 0;
  /** Payload being gathered across chunks (header already parsed into #header), or null. */
  #payload: Uint8Array | null = null;
  /** With `retainChunks`: views of the chunks holding the payload gathered so far, or null. */
  #parts: Uint8Array[] | null = null;
  #payloadFilled = 0;
  /** Boolean state, see the bit constants (UNMASK, RETAIN, PARTIAL, ...): one field. */
  #flags: number;
  readonly #masking: MaskFunctions | null;
  readonly #allocate: (length: number) => Uint8Array;
  /** Chunks (or their unread rest from #queueOffset) held after the sink stopped. */
  #queue: Uint8Array[] = NO_QUEUE;
  #queueOffset = 0;
  #failure: unknown = null;

  /** @throws RangeError for a `maxPayload` that is not an integer in 0 .. 2^53 - 1 or `Infinity`. */
  constructor(options?: FrameParserOptions) {
    const name = options?.maxPayload !== undefined ? 'maxPayload' : 'maxPayloadLength';
    let max = options?.maxPayload ?? options?.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD;
    if (max === Number.POSITIVE_INFINITY) max = Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new RangeError(`invalid ${name} ${max}`);
    }
    this.#maxPayloadLength = max;
    this.#flags =
      (options?.unmask === true ? UNMASK : 0) | (options?.retainChunks === true ? RETAIN : 0);
    this.#masking = options?.masking ?? null;
    this.#allocate = options?.allocate ?? allocateZeroed;
  }

  /** Bytes received but not yet delivered as frames. */
  get bufferedLength(): number {
    let length = this.#stashLength + this.#payloadFilled;
    const queue = this.#queue;
    for (let i = 0; i < queue.length; i++) length += queue[i]!.length;
    return length - this.#queueOffset;
  }

  /**
   * Feeds `chunk` (any length, including empty) and delivers every complete frame to `sink`.
   * Bytes held from an earlier stop are delivered first. Returns `false` if the sink stopped
   * delivery (call `push` again, e.g. with an empty chunk, to resume), `true` otherwise.
   *
   * @throws {@link ProtocolError} 1002 or 1009 for a frame that breaks the rules.
   */
  push(chunk: Uint8Array, sink: FrameSink): boolean {
    if ((this.#flags & FAILED) !== 0) throw this.#failure;
    this.#flags &= ~STOPPED;
    try {
      const queue = this.#queue;
      if (queue.length === 0) {
        const offset = this.#feed(chunk, 0, sink);
        if ((this.#flags & STOPPED) === 0) return true;
        if (offset < chunk.length) {
          this.#queue = [chunk];
          this.#queueOffset = offset;
        }
        return false;
      }
      if (chunk.length !== 0) queue.push(chunk);
      while (queue.length !== 0) {
        const head = queue[0]!;
        const offset = this.#feed(head, this.#queueOffset, sink);
        if ((this.#flags & STOPPED) !== 0 && offset < head.length) {
          this.#queueOffset = offset;
          return false;
        }
        queue.shift();
        this.#queueOffset = 0;
        if ((this.#flags & STOPPED) !== 0) {
          if (queue.length === 0) this.#queue = NO_QUEUE;
          return false;
        }
      }
      this.#queue = NO_QUEUE;
      return true;
    } catch (error) {
      this.#flags |= FAILED;
      this.#failure = error;
      throw error;
    }
  }

  /** Drops all buffered bytes and any failure: the parser is as new. */
  reset(): void {
    this.#stashLength = 0;
    this.#payload = null;
    this.#parts = null;
    this.#payloadFilled = 0;
    this.#flags &= UNMASK | RETAIN;
    this.#queue = NO_QUEUE;
    this.#queueOffset = 0;
    this.#failure = null;
  }

  /**
   * Parses `chunk` from `offset`, delivering frames until the chunk is consumed or the sink
   * stops. Returns the offset reached (`chunk.length` when everything was consumed).
   */
  #feed(chunk: Uint8Array, offset: number, sink: FrameSink): number {
    const header = this.#header;
    const length = chunk.length;
    let haveHeader = false;

    if (this.#payload !== null || this.#parts !== null) {
      offset = this.#continuePayload(chunk, offset, sink);
      if (this.#payloadFilled < header.payloadLength) return length;
      const payload = this.#takePayload();
      if (sink.frame(header, payload) === false) {
        this.#flags |= STOPPED;
        return offset;
      }
    } else if (this.#stashLength !== 0) {
      const stash = this.#stash!;
      const had = this.#stashLength;
      const n = Math.min(MAX_HEADER_LENGTH - had, length - offset);
      for (let i = 0; i < n; i++) stash[had + i] = chunk[offset + i]!;
      if (readHeader(stash, 0, had + n, header) === null) {
        // n < room only when the chunk ran out, so all of it is consumed.
        this.#stashLength = had + n;
        return length;
      }
      this.#stashLength = 0;
      offset += header.headerLength - had;
      haveHeader = true;
    }

    const max = this.#maxPayloadLength;
    for (;;) {
      if (!haveHeader) {
        if (offset >= length) return offset;
        if (readHeader(chunk, offset, length, header) === null) {
          let stash = this.#stash;
          if (stash === null) {
            stash = new Uint8Array(MAX_HEADER_LENGTH);
            this.#stash = stash;
          }
          const n = length - offset;
          for (let i = 0; i < n; i++) stash[i] = chunk[offset + i]!;
          this.#stashLength = n;
          return length;
        }
        offset += header.headerLength;
      }
      haveHeader = false;
      const payloadLength = header.payloadLength;
      if (payloadLength > max) {
        throw new ProtocolError(
          CloseCode.MessageTooBig,
          `frame payload of ${payloadLength} bytes over the limit of ${max}`,
        );
      }
      const end = offset + payloadLength;
      if (end <= length) {
        const payload = payloadLength === 0 ? EMPTY : chunk.subarray(offset, end);
        if ((this.#flags & UNMASK) !== 0 && header.masked && payloadLength !== 0) {
          mask(payload, header.maskKey, 0, this.#masking);
        }
        offset = end;
        if (sink.frame(header, payload) === false) {
          this.#flags |= STOPPED;
          return offset;
        }
      } else {
        this.#payloadFilled = 0;
        this.#flags &= ~(PARTIAL | PARTS_UNMASKED);
        if (sink.partial !== undefined && sink.wantsPartial?.(header) === true) {
          this.#flags |= PARTIAL;
        }
        if ((this.#flags & RETAIN) !== 0 && payloadLength > PREALLOCATE_MAX) {
          // Gathered by reference, copied once at the exact size when complete.
          this.#parts = [];
        } else {
          // Nothing allocated before a payload byte arrives.
          const inHand = length - offset;
          this.#payload =
            inHand === 0 ? EMPTY : this.#allocate(payloadBufferSize(inHand, 0, payloadLength));
        }
        this.#continuePayload(chunk, offset, sink);
        return length;
      }
    }
  }

  /**
   * Copies payload bytes of the pending frame from `chunk`; returns the offset reached.
   * Reports the piece to the sink's `partial` when it asked and the frame is not complete.
   */
  #continuePayload(chunk: Uint8Array, offset: number, sink: FrameSink): number {
    const header = this.#header;
    const filled = this.#payloadFilled;
    const total = header.payloadLength;
    const n = Math.min(total - filled, chunk.length - offset);
    let parts = this.#parts;
    if (parts !== null) {
      if (n !== 0) {
        const part = n === chunk.length ? chunk : chunk.subarray(offset, offset + n);
        // The first view gets a list of its own size (a push would reserve 17 slots).
        if (parts.length === 0) {
          parts = [part];
          this.#parts = parts;
        } else {
          parts.push(part);
        }
        if ((this.#flags & PARTIAL) !== 0) {
          // The sink reads the piece now: unmask it in place (the chunk was given up).
          if ((this.#flags & UNMASK) !== 0 && header.masked) {
            mask(part, header.maskKey, filled, this.#masking);
            this.#flags |= PARTS_UNMASKED;
          }
          if (filled + n < total && sink.partial!(header, part) === false) this.#flags |= STOPPED;
        }
      }
      this.#payloadFilled = filled + n;
      if (
        parts.length >= RETAIN_CHECK_PARTS &&
        filled + n < parts.length * RETAIN_MIN_AVERAGE &&
        filled + n < total
      ) {
        // A trickle of small reads: each view would cost more than the bytes it holds.
        this.#partsToBuffer(parts);
      }
      return offset + n;
    }
    let payload = this.#payload!;
    if (filled + n > payload.length) {
      const grown = this.#allocate(payloadBufferSize(filled + n, payload.length, total));
      grown.set(payload.subarray(0, filled));
      payload = grown;
      this.#payload = grown;
    }
    if ((this.#flags & UNMASK) !== 0 && header.masked) {
      maskInto(
        chunk.subarray(offset, offset + n),
        payload,
        filled,
        header.maskKey,
        filled,
        this.#masking,
      );
    } else {
      payload.set(chunk.subarray(offset, offset + n), filled);
    }
    this.#payloadFilled = filled + n;
    if ((this.#flags & PARTIAL) !== 0 && n !== 0 && filled + n < total) {
      if (sink.partial!(header, payload.subarray(filled, filled + n)) === false) {
        this.#flags |= STOPPED;
      }
    }
    return offset + n;
  }

  /** Copies the retained views into one buffer (unmasking if asked), growing from there on. */
  #partsToBuffer(parts: Uint8Array[]): void {
    const filled = this.#payloadFilled;
    const total = this.#header.payloadLength;
    const payload = this.#allocate(payloadBufferSize(filled, filled, total));
    this.#copyParts(parts, payload);
    this.#parts = null;
    this.#flags &= ~PARTS_UNMASKED;
    this.#payload = payload;
  }

  /** Copies `parts` one after the other into `target` from 0, unmasking if asked. */
  #copyParts(parts: Uint8Array[], target: Uint8Array): void {
    const header = this.#header;
    const unmask =
      (this.#flags & UNMASK) !== 0 && header.masked && (this.#flags & PARTS_UNMASKED) === 0;
    let at = 0;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (unmask) maskInto(part, target, at, header.maskKey, at, this.#masking);
      else target.set(part, at);
      at += part.length;
    }
  }

  #takePayload(): Uint8Array {
    const parts = this.#parts;
    if (parts !== null) {
      const whole = this.#allocate(this.#header.payloadLength);
      this.#copyParts(parts, whole);
      this.#parts = null;
      this.#payloadFilled = 0;
      this.#flags &= ~PARTIAL;
      return whole;
    }
    const payload = this.#payload!;
    this.#payload = null;
    this.#payloadFilled = 0;
    this.#flags &= ~PARTIAL;
    return payload;
  }
}
