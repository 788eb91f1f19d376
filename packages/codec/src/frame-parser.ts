/**
 * The incremental frame parser: bytes in any chunking → frames, all complete frames of a
 * chunk in one pass, no object per frame.
 */
import { ProtocolError } from './errors.js';
import { createFrameHeader, type FrameHeader, readHeader } from './frame-header.js';

/** Receives the frames of a {@link FrameParser}. */
export interface FrameSink {
  /**
   * One frame. `header` is reused between calls: read it, do not keep it. `payload` is
   * still masked (apply `mask(payload, header.maskKey)` when `header.masked`); it is a view
   * of the pushed chunk when the payload lies in one chunk, otherwise a fresh copy owned by
   * the sink. Return `false` to stop: the rest stays buffered until the next `push`.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: sinks written as `(): void` must fit.
  frame(header: FrameHeader, payload: Uint8Array): boolean | undefined | void;
}

/** Options of {@link FrameParser}. */
export interface FrameParserOptions {
  /**
   * The largest payload one frame may announce, in bytes. A larger frame fails with
   * `ProtocolError(1009)` as soon as its header is read, before any of it is buffered.
   * Default 64 MiB (67 108 864).
   */
  maxPayloadLength?: number;
}

/** Default {@link FrameParserOptions.maxPayloadLength}: 64 MiB. */
const DEFAULT_MAX_PAYLOAD_LENGTH = 64 * 1024 * 1024;

/** Payloads up to this size are allocated whole at their header; larger ones grow with the data. */
const PREALLOCATE_MAX = 65536;

/** The longest frame header: 2 + 8 (length) + 4 (mask key). */
const MAX_HEADER_LENGTH = 14;

const EMPTY = new Uint8Array(0);

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
 * payload over `maxPayloadLength` throws `ProtocolError(1009)`. An exception thrown out of
 * `push` (by the parser or by the sink) leaves the parser failed: every later `push` throws
 * the same error until {@link FrameParser.reset}.
 */
export class FrameParser {
  readonly #maxPayloadLength: number;
  readonly #header: FrameHeader = createFrameHeader();
  readonly #stash: Uint8Array = new Uint8Array(MAX_HEADER_LENGTH);
  #stashLength = 0;
  /** Payload being gathered across chunks (header already parsed into #header), or null. */
  #payload: Uint8Array | null = null;
  #payloadFilled = 0;
  /** Chunks (or their unread rest from #queueOffset) held after the sink stopped. */
  #queue: Uint8Array[] = [];
  #queueOffset = 0;
  #stopped = false;
  #failure: unknown = null;
  #failed = false;

  /** @throws RangeError for a `maxPayloadLength` that is not an integer in 0 .. 2^53 - 1. */
  constructor(options?: FrameParserOptions) {
    const max = options?.maxPayloadLength ?? DEFAULT_MAX_PAYLOAD_LENGTH;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new RangeError(`invalid maxPayloadLength ${max}`);
    }
    this.#maxPayloadLength = max;
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
    if (this.#failed) throw this.#failure;
    this.#stopped = false;
    try {
      const queue = this.#queue;
      if (queue.length === 0) {
        const offset = this.#feed(chunk, 0, sink);
        if (!this.#stopped) return true;
        if (offset < chunk.length) {
          queue.push(chunk);
          this.#queueOffset = offset;
        }
        return false;
      }
      if (chunk.length !== 0) queue.push(chunk);
      while (queue.length !== 0) {
        const head = queue[0]!;
        const offset = this.#feed(head, this.#queueOffset, sink);
        if (this.#stopped && offset < head.length) {
          this.#queueOffset = offset;
          return false;
        }
        queue.shift();
        this.#queueOffset = 0;
        if (this.#stopped) return false;
      }
      return true;
    } catch (error) {
      this.#failed = true;
      this.#failure = error;
      throw error;
    }
  }

  /** Drops all buffered bytes and any failure: the parser is as new. */
  reset(): void {
    this.#stashLength = 0;
    this.#payload = null;
    this.#payloadFilled = 0;
    this.#queue = [];
    this.#queueOffset = 0;
    this.#stopped = false;
    this.#failed = false;
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

    if (this.#payload !== null) {
      offset = this.#continuePayload(chunk, offset);
      if (this.#payloadFilled < header.payloadLength) return length;
      const payload = this.#takePayload();
      if (sink.frame(header, payload) === false) {
        this.#stopped = true;
        return offset;
      }
    } else if (this.#stashLength !== 0) {
      const stash = this.#stash;
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
          const stash = this.#stash;
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
          1009,
          `frame payload of ${payloadLength} bytes over the limit of ${max}`,
        );
      }
      const end = offset + payloadLength;
      if (end <= length) {
        const payload = payloadLength === 0 ? EMPTY : chunk.subarray(offset, end);
        offset = end;
        if (sink.frame(header, payload) === false) {
          this.#stopped = true;
          return offset;
        }
      } else {
        this.#payload = new Uint8Array(
          payloadLength <= PREALLOCATE_MAX
            ? payloadLength
            : Math.min(payloadLength, Math.max(PREALLOCATE_MAX, 2 * (length - offset))),
        );
        this.#payloadFilled = 0;
        this.#continuePayload(chunk, offset);
        return length;
      }
    }
  }

  /** Copies payload bytes of the pending frame from `chunk`; returns the offset reached. */
  #continuePayload(chunk: Uint8Array, offset: number): number {
    let payload = this.#payload!;
    const filled = this.#payloadFilled;
    const total = this.#header.payloadLength;
    const n = Math.min(total - filled, chunk.length - offset);
    if (filled + n > payload.length) {
      const grown = new Uint8Array(Math.min(total, Math.max(2 * payload.length, filled + n)));
      grown.set(payload.subarray(0, filled));
      payload = grown;
      this.#payload = grown;
    }
    payload.set(chunk.subarray(offset, offset + n), filled);
    this.#payloadFilled = filled + n;
    return offset + n;
  }

  #takePayload(): Uint8Array {
    const payload = this.#payload!;
    this.#payload = null;
    this.#payloadFilled = 0;
    return payload;
  }
}
