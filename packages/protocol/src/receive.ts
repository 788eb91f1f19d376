/**
 * The receiving side of one connection, made on its first received bytes: the codec's frame
 * parser, the rules on the sequence of frames (masking per role, continuations, RSV bits,
 * message size, the opt-in fragment count), reassembly of fragmented messages into one
 * growing buffer as each fragment arrives (a fragment costs its bytes, whatever their count),
 * and UTF-8 validation as the bytes arrive, also inside one frame split across reads (fail
 * fast, RFC 6455 §8.1). Control frames, extensions (held frames, decoding) and delivery go
 * to the connection through the abstract hooks, implemented in `connection.ts`.
 */
import {
  CloseCode,
  type FailureCloseCode,
  type FrameHeader,
  type FrameParser,
  type FrameSink,
  isValidUtf8,
  Opcode,
  Utf8Validator,
} from '@strata-ws/codec';
import type { ExtensionPipeline } from './pipeline.js';

const EMPTY = new Uint8Array(0);

/** The first buffer of a fragmented message holds at least this many bytes. */
const MIN_MESSAGE_BUFFER = 1024;

/** What the receiving side needs of the connection's settings. */
export interface ReceiveLimits {
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  /** RSV bits claimed by the negotiated extensions. */
  readonly allowedRsv: number;
  /** The host's allocator (the `allocate` option), or null: `new Uint8Array`. */
  readonly allocate: ((length: number) => Uint8Array) | null;
}

/** The frame sequence, reassembly and UTF-8 of one connection's input (see the file comment). */
export abstract class Receiver implements FrameSink {
  /** Null once input is over while a message still decodes. */
  parser: FrameParser | null;
  readonly #limits: ReceiveLimits;
  /** Frames from the server must be unmasked (client role), from a client masked. */
  readonly #client: boolean;
  /** The connection's extension pipeline (decodes, frames held behind one), if any. */
  readonly #pipeline: ExtensionPipeline | null;
  // Parse stage: the sequence of data frames as they arrive.
  /** Opcode of the message being received (1 or 2), 0 between messages. */
  #rxOpcode = 0;
  #rxRsv = 0;
  #rxFragments = 0;
  /** Wire bytes of the message so far (uncompressed messages). */
  #rxLength = 0;
  /** Bytes of the frame being gathered already validated as UTF-8 through `partial`. */
  #rxValidated = 0;
  // Delivery stage: reassembly and UTF-8 across fragments.
  #msgOpcode = 0;
  /** The fragmented message's buffer (grows by doubling, bounded by `maxMessageSize`). */
  #msgBuffer: Uint8Array = EMPTY;
  #msgLength = 0;
  /** Made for the first text message validated piecewise. */
  #utf8: Utf8Validator | null = null;

  constructor(
    parser: FrameParser,
    limits: ReceiveLimits,
    client: boolean,
    pipeline: ExtensionPipeline | null,
  ) {
    this.parser = parser;
    this.#limits = limits;
    this.#client = client;
    this.#pipeline = pipeline;
  }

  // ---- hooks: the connection ----------------------------------------------------------

  /** Input is over (a close frame, a failure, EOF): stop parsing. */
  protected abstract inputClosed(): boolean;
  /** A ping, pong or close frame (RSV bits already checked). Returns false to stop parsing. */
  protected abstract control(opcode: number, payload: Uint8Array): boolean;
  /** The peer broke a rule: fail the connection with `code`. */
  protected abstract peerError(code: FailureCloseCode, reason: string): void;
  /** A complete message. */
  protected abstract deliver(data: Uint8Array, isBinary: boolean): void;

  /** Bytes of the message reassembled so far. */
  get messageLength(): number {
    return this.#msgLength;
  }

  /** Forgets the message being reassembled (input is over). */
  resetMessage(): void {
    this.#msgOpcode = 0;
    this.#msgLength = 0;
    this.#msgBuffer = EMPTY;
  }

  // ---- parse stage (the parser's sink) --------------------------------------------------

  frame(header: FrameHeader, payload: Uint8Array): boolean {
    const validated = this.#rxValidated;
    this.#rxValidated = 0;
    if (this.inputClosed()) return false;
    if (header.masked === this.#client) {
      return this.#stop(
        CloseCode.ProtocolError,
        this.#client ? 'masked frame from the server' : 'unmasked frame from the client',
      );
    }
    // The payload is unmasked already (the parser's `unmask` option).
    const opcode = header.opcode;
    if (opcode >= 8) {
      if (header.rsv !== 0)
        return this.#stop(CloseCode.ProtocolError, 'RSV bits set on a control frame');
      return this.control(opcode, payload);
    }
    // Reserved opcodes never get here: the codec's parser fails them at the header.
    if (!this.#checkDataHeader(header)) return false;
    const rsv = this.#rxRsv;
    if (rsv === 0) {
      // Uncompressed: the wire size is the message size, so fail before buffering more.
      const length = this.#rxLength + payload.length;
      if (length > this.#limits.maxMessageSize) {
        return this.#stop(
          CloseCode.MessageTooBig,
          `message over the limit of ${this.#limits.maxMessageSize} bytes`,
        );
      }
      this.#rxLength = length;
    }
    const fin = header.fin;
    if (fin) this.#rxOpcode = 0;
    const pipeline = this.#pipeline;
    if (pipeline?.decodeBusy) pipeline.hold(opcode, fin, rsv, payload);
    else if (rsv === 0) this.#assemble(opcode, fin, payload, validated);
    else pipeline!.decode(opcode, fin, rsv, payload); // RSV bits are only allowed with extensions
    return !this.inputClosed();
  }

  /**
   * A frame split across reads: validate its text as it arrives when it belongs to an
   * uncompressed text message that nothing is held before. Sequence rules and the message
   * size are checked here already, at the header, before its payload is buffered.
   */
  wantsPartial(header: FrameHeader): boolean {
    const opcode = header.opcode;
    if (opcode >= 8 || this.inputClosed() || header.masked === this.#client) return false;
    // A broken sequence is failed by `frame` (with its own code); compressed messages are
    // measured after decoding.
    if (header.rsv !== 0) return false;
    if (opcode === 0 ? this.#rxOpcode === 0 || this.#rxRsv !== 0 : this.#rxOpcode !== 0) {
      return false;
    }
    const base = opcode === 0 ? this.#rxLength : 0;
    if (base + header.payloadLength > this.#limits.maxMessageSize) {
      this.#stop(
        CloseCode.MessageTooBig,
        `message over the limit of ${this.#limits.maxMessageSize} bytes`,
      );
      return false;
    }
    const text = opcode === Opcode.Text || (opcode === 0 && this.#rxOpcode === Opcode.Text);
    if (!text || this.#pipeline?.decodeBusy === true) return false;
    if (opcode === Opcode.Text) this.#textValidator().reset();
    return true;
  }

  partial(_header: FrameHeader, bytes: Uint8Array): boolean {
    if (this.inputClosed()) return false;
    if (!this.#utf8!.push(bytes, false)) {
      return this.#stop(CloseCode.InvalidPayloadData, 'invalid UTF-8 in a text message');
    }
    this.#rxValidated += bytes.length;
    return true;
  }

  /** Checks a data frame's place in the message sequence and starts a new message. */
  #checkDataHeader(header: FrameHeader): boolean {
    if (header.opcode === 0) {
      if (this.#rxOpcode === 0) {
        return this.#stop(
          CloseCode.ProtocolError,
          'continuation frame without a message to continue',
        );
      }
      if (header.rsv !== 0) {
        return this.#stop(CloseCode.ProtocolError, 'RSV bits set on a continuation frame');
      }
      if (++this.#rxFragments > this.#limits.maxFragments) {
        return this.#stop(
          CloseCode.PolicyViolation,
          `message of more than ${this.#limits.maxFragments} fragments`,
        );
      }
      return true;
    }
    if (this.#rxOpcode !== 0) {
      return this.#stop(CloseCode.ProtocolError, 'new message started inside an unfinished one');
    }
    if ((header.rsv & ~this.#limits.allowedRsv) !== 0) {
      return this.#stop(CloseCode.ProtocolError, 'RSV bits set without a negotiated extension');
    }
    this.#rxOpcode = header.opcode;
    this.#rxRsv = header.rsv;
    this.#rxFragments = 1;
    this.#rxLength = 0;
    return true;
  }

  #stop(code: FailureCloseCode, reason: string): false {
    this.peerError(code, reason);
    return false;
  }

  #textValidator(): Utf8Validator {
    let utf8 = this.#utf8;
    if (utf8 === null) {
      utf8 = new Utf8Validator();
      this.#utf8 = utf8;
    }
    return utf8;
  }

  // ---- delivery stage -------------------------------------------------------------------

  /** A decoded (or untransformed) data frame's payload, in wire order. */
  assemble(opcode: number, fin: boolean, data: Uint8Array): void {
    this.#assemble(opcode, fin, data, 0);
  }

  /**
   * Adds a data frame's payload to the message (its first `validated` bytes were validated
   * as UTF-8 already); delivers the message on its last frame.
   */
  #assemble(opcode: number, fin: boolean, data: Uint8Array, validated: number): void {
    const maxMessageSize = this.#limits.maxMessageSize;
    if (opcode !== 0) {
      if (fin) {
        // A single-frame message: validated whole, delivered as it is (no copy).
        if (data.length > maxMessageSize) {
          this.peerError(
            CloseCode.MessageTooBig,
            `message over the limit of ${maxMessageSize} bytes`,
          );
          return;
        }
        if (
          opcode === Opcode.Text &&
          !(validated === 0 ? isValidUtf8(data) : this.#utf8!.push(data.subarray(validated), true))
        ) {
          this.peerError(CloseCode.InvalidPayloadData, 'invalid UTF-8 in a text message');
          return;
        }
        this.deliver(data, opcode === Opcode.Binary);
        return;
      }
      this.#msgOpcode = opcode;
      this.#msgLength = 0;
      if (opcode === Opcode.Text && validated === 0) this.#textValidator().reset();
    }
    const length = this.#msgLength + data.length;
    if (length > maxMessageSize) {
      this.peerError(CloseCode.MessageTooBig, `message over the limit of ${maxMessageSize} bytes`);
      return;
    }
    // Across fragments, validate as the bytes arrive: fail at the first bad fragment.
    if (
      this.#msgOpcode === Opcode.Text &&
      !this.#utf8!.push(validated === 0 ? data : data.subarray(validated), fin)
    ) {
      this.peerError(CloseCode.InvalidPayloadData, 'invalid UTF-8 in a text message');
      return;
    }
    if (data.length !== 0) this.#append(data, length, fin);
    this.#msgLength = length;
    if (!fin) return;
    const message = length === 0 ? EMPTY : this.#msgBuffer.subarray(0, length);
    const isBinary = this.#msgOpcode === Opcode.Binary;
    this.resetMessage();
    this.deliver(message, isBinary);
  }

  /**
   * Copies a fragment into the message's buffer, growing it by doubling (bounded by
   * `maxMessageSize`; to the exact size on the last fragment), so the message costs its bytes
   * and no record per fragment.
   */
  #append(data: Uint8Array, length: number, fin: boolean): void {
    let buffer = this.#msgBuffer;
    if (length > buffer.length) {
      const size = fin
        ? length
        : Math.min(
            this.#limits.maxMessageSize,
            Math.max(length, 2 * buffer.length, MIN_MESSAGE_BUFFER),
          );
      const allocate = this.#limits.allocate;
      const grown = allocate === null ? new Uint8Array(size) : allocate(size);
      if (this.#msgLength !== 0) grown.set(buffer.subarray(0, this.#msgLength));
      buffer = grown;
      this.#msgBuffer = grown;
    }
    buffer.set(data, this.#msgLength);
  }
}
