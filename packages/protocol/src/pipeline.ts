/**
 * The extension pipeline of one connection (RFC 6455 §9; only connections that negotiated an
 * extension have one). It owns the order and backpressure of the transforms:
 *
 * - receiving: frames held while an asynchronous decode works on an earlier one (bounded by
 *   `maxBufferedInput`, counting each held frame's record too), and the decode chain, one
 *   frame at a time, through the extensions in reverse negotiation order;
 * - sending: messages (and the close frame, and prepared messages) waiting behind an
 *   asynchronous encode, and the encode chain, one message at a time, in negotiation order.
 *
 * The connection owns the state machine and plugs in through the abstract hooks (implemented
 * in `connection.ts`, where they can reach its private state). At most one `decode` and one
 * `encode` call are in flight; callbacks may come synchronously or later.
 */
import { CloseCode, Opcode, ProtocolError } from '@strata-ws/codec';
import type { MessageExtension, TransformCallback } from './extension.js';
import { HELD_FRAME_OVERHEAD } from './limits.js';
import type { PreparedMessage } from './prepared.js';

/**
 * `PendingSend.opcode` of a prepared message (`prepared`): its frame bytes are chosen when its
 * turn comes (see `writePrepared`), written as they are.
 */
export const PREPARED_FRAMES = -1;

/** A received frame held until an asynchronous decode before it completes. */
interface HeldFrame {
  /** 1 or 2 on a message's first frame, 0 on continuations, 8 for the close frame. */
  opcode: number;
  fin: boolean;
  /** The RSV bits of the message's first frame (which extensions transformed it). */
  rsv: number;
  payload: Uint8Array;
}

/** A message (or the close frame, or a prepared message) waiting for an encode before it. */
export interface PendingSend {
  /** The frame opcode: 1, 2, 0 (continuation), 8 (close) or {@link PREPARED_FRAMES}. */
  opcode: number;
  fin: boolean;
  /** RSV bits collected from the extensions that transformed it so far. */
  rsv: number;
  /** Bitmask of extension indices still to apply. */
  encodeMask: number;
  data: Uint8Array;
  /** The prepared message of a {@link PREPARED_FRAMES} send, else null. */
  prepared: PreparedMessage | null;
  /** Length accepted from the caller (counted in `pendingLength`). */
  size: number;
  done: (() => void) | undefined;
}

const EMPTY = new Uint8Array(0);

// Shared empty lists: a pipeline gets an array of its own only when it needs one.
const NO_HELD: HeldFrame[] = [];
const NO_SENDS: PendingSend[] = [];

// Bits of ExtensionPipeline#flags.
const DECODING = 1;
const IN_DECODE_CALL = 2;
/** FIN of the frame being decoded. */
const DEC_FIN = 4;
const ENCODING = 8;
const IN_ENCODE_CALL = 16;
/** Held input is over `maxBufferedInput`: the transport should stop reading. */
const INPUT_PAUSED = 32;

/** The order and backpressure of a connection's extension transforms (see the file comment). */
export abstract class ExtensionPipeline {
  readonly #extensions: readonly MessageExtension[];
  readonly #maxBufferedInput: number;
  readonly #maxMessageSize: number;
  #flags = 0;
  #held: HeldFrame[] = NO_HELD;
  #heldHead = 0;
  /** Held payload bytes plus {@link HELD_FRAME_OVERHEAD} per held frame. */
  #heldBytes = 0;
  #decOpcode = 0;
  #decRsv = 0;
  #decNext = -1;
  #decData: Uint8Array = EMPTY;
  #decodeCallback: TransformCallback | null = null;
  #sendQueue: PendingSend[] = NO_SENDS;
  /** Bytes accepted by sends still waiting for an encode. */
  #pendingLength = 0;
  #encodeCallback: TransformCallback | null = null;

  constructor(
    extensions: readonly MessageExtension[],
    maxBufferedInput: number,
    maxMessageSize: number,
  ) {
    this.#extensions = extensions;
    this.#maxBufferedInput = maxBufferedInput;
    this.#maxMessageSize = maxMessageSize;
  }

  // ---- hooks: the connection ----------------------------------------------------------

  /** The connection failed: transform results are dropped. */
  protected abstract failed(): boolean;
  /** The transport ended: nothing more can be written. */
  protected abstract ended(): boolean;
  /** A decoded (or untransformed held) data frame's payload, in wire order. */
  protected abstract assemble(opcode: number, fin: boolean, data: Uint8Array): void;
  /** Bytes of the received message reassembled so far (for the decode's `maxSize`). */
  protected abstract messageLength(): number;
  /** A held close frame's turn came. */
  protected abstract closeFrame(payload: Uint8Array): void;
  /** Fail the connection (a decode/encode error, or held input over twice the limit). */
  protected abstract fail(error: ProtocolError): void;
  protected abstract writeFrame(fin: boolean, rsv: number, opcode: number, data: Uint8Array): void;
  /**
   * A prepared message's turn in the send order came: choose its frame bytes now (reading the
   * extension's `sharedEncodingKey` only now, after every earlier message was encoded) and
   * write them.
   */
  protected abstract writePrepared(message: PreparedMessage): void;
  protected abstract writeClose(payload: Uint8Array): void;
  /** Held frames were processed (the connection may finish an ended transport). */
  protected abstract drained(): void;
  /** Held input fell back under the limit: the transport may read again. */
  protected abstract resumeInput(): void;
  /** The send queue was pumped (the connection may dispose its extensions). */
  protected abstract sendsPumped(): void;

  // ---- receiving -----------------------------------------------------------------------

  /** A decode is running or frames wait behind one: new frames must wait too. */
  get decodeBusy(): boolean {
    return (this.#flags & DECODING) !== 0 || this.#heldHead < this.#held.length;
  }

  /** A decode is in flight. */
  get decoding(): boolean {
    return (this.#flags & DECODING) !== 0;
  }

  /** Held input is over `maxBufferedInput`: pause reading. */
  get inputPaused(): boolean {
    return (this.#flags & INPUT_PAUSED) !== 0;
  }

  /** Keeps a frame that arrived while an earlier one is being decoded. */
  hold(opcode: number, fin: boolean, rsv: number, payload: Uint8Array): void {
    if (this.#held === NO_HELD) this.#held = [];
    this.#held.push({ opcode, fin, rsv, payload });
    this.#heldBytes += payload.length + HELD_FRAME_OVERHEAD;
    if (this.#heldBytes > this.#maxBufferedInput) {
      if (this.#heldBytes > 2 * this.#maxBufferedInput) {
        this.fail(
          new ProtocolError(
            CloseCode.PolicyViolation,
            'received data held behind a decode over the input limit',
          ),
        );
        return;
      }
      this.#flags |= INPUT_PAUSED;
    }
  }

  /** Starts the extension chain (in reverse negotiation order) on one received frame. */
  decode(opcode: number, fin: boolean, rsv: number, payload: Uint8Array): void {
    this.#decOpcode = opcode;
    if (fin) this.#flags |= DEC_FIN;
    else this.#flags &= ~DEC_FIN;
    this.#decRsv = rsv;
    this.#decData = payload;
    this.#decNext = this.#extensions.length - 1;
    this.#runDecode();
  }

  /** A close frame was parsed but waits behind a decode. */
  closeFramePending(): boolean {
    const held = this.#held;
    for (let i = this.#heldHead; i < held.length; i++) {
      if (held[i]!.opcode === Opcode.Close) return true;
    }
    return false;
  }

  /** Drops held frames and the decode in progress (input is over); resumes a paused input. */
  dropInput(): void {
    this.#held = NO_HELD;
    this.#heldHead = 0;
    this.#heldBytes = 0;
    this.#decData = EMPTY;
    this.#flags &= ~DECODING;
    if ((this.#flags & INPUT_PAUSED) !== 0) {
      this.#flags &= ~INPUT_PAUSED;
      this.resumeInput();
    }
  }

  /** Runs decode steps until one goes asynchronous or the frame is assembled. */
  #runDecode(): void {
    const extensions = this.#extensions;
    for (;;) {
      if (this.failed()) return;
      let index = this.#decNext;
      while (index >= 0 && (this.#decRsv & extensions[index]!.rsvBit) === 0) index--;
      if (index < 0) {
        const data = this.#decData;
        this.#decData = EMPTY;
        this.assemble(this.#decOpcode, (this.#flags & DEC_FIN) !== 0, data);
        return;
      }
      this.#decNext = index - 1;
      const maxSize = this.#maxMessageSize - (this.#decOpcode !== 0 ? 0 : this.messageLength());
      this.#flags |= DECODING | IN_DECODE_CALL;
      try {
        extensions[index]!.decode(
          this.#decData,
          (this.#flags & DEC_FIN) !== 0,
          maxSize,
          this.#decodeCallback ?? this.#newDecodeCallback(),
        );
      } catch (error) {
        this.#onDecoded(error instanceof Error ? error : new Error(String(error)));
      } finally {
        this.#flags &= ~IN_DECODE_CALL;
      }
      if ((this.#flags & DECODING) !== 0) return; // asynchronous: #onDecoded continues
    }
  }

  #onDecoded(error: Error | null, data?: Uint8Array): void {
    if ((this.#flags & DECODING) === 0 || this.failed()) return;
    this.#flags &= ~DECODING;
    if (error !== null) {
      this.#decData = EMPTY;
      this.fail(
        error instanceof ProtocolError
          ? error
          : new ProtocolError(CloseCode.InternalError, 'extension failed to decode', {
              cause: error,
            }),
      );
      return;
    }
    this.#decData = data ?? EMPTY;
    if ((this.#flags & IN_DECODE_CALL) !== 0) return; // synchronous: #runDecode continues
    this.#runDecode();
    this.#drainHeld();
  }

  /** Processes held frames in order until a decode goes asynchronous. */
  #drainHeld(): void {
    const held = this.#held;
    while ((this.#flags & DECODING) === 0 && !this.failed() && this.#heldHead < held.length) {
      const frame = held[this.#heldHead]!;
      held[this.#heldHead++] = undefined as unknown as HeldFrame;
      this.#heldBytes -= frame.payload.length + HELD_FRAME_OVERHEAD;
      if (frame.opcode === Opcode.Close) this.closeFrame(frame.payload);
      else if (frame.rsv === 0) this.assemble(frame.opcode, frame.fin, frame.payload);
      else this.decode(frame.opcode, frame.fin, frame.rsv, frame.payload);
    }
    if (this.#heldHead === held.length && this.#heldHead !== 0) {
      this.#held = NO_HELD;
      this.#heldHead = 0;
    }
    this.drained();
    if ((this.#flags & INPUT_PAUSED) !== 0 && this.#heldBytes <= this.#maxBufferedInput) {
      this.#flags &= ~INPUT_PAUSED;
      this.resumeInput();
    }
  }

  #newDecodeCallback(): TransformCallback {
    const callback: TransformCallback = (error, data) => this.#onDecoded(error, data);
    this.#decodeCallback = callback;
    return callback;
  }

  // ---- sending -------------------------------------------------------------------------

  /** An encode is in flight. */
  get encoding(): boolean {
    return (this.#flags & ENCODING) !== 0;
  }

  /** An encode is running or sends wait for one: a new send must queue behind them. */
  get sendsWaiting(): boolean {
    return (this.#flags & ENCODING) !== 0 || this.#sendQueue.length !== 0;
  }

  /** Sends (or the close frame) still queued. */
  get sendsQueued(): boolean {
    return this.#sendQueue.length !== 0;
  }

  /** Bytes accepted by sends still waiting for an encode. */
  get pendingLength(): number {
    return this.#pendingLength;
  }

  /**
   * Which extensions transform an outgoing message: a bitmask of extension indices (0 for
   * none). `compress` forces the choice; otherwise each extension's `shouldEncode` decides.
   */
  encodeMaskFor(size: number, isBinary: boolean, compress: boolean | undefined): number {
    if (compress === false) return 0;
    const extensions = this.#extensions;
    let encodeMask = 0;
    for (let i = 0; i < extensions.length; i++) {
      if (compress === true || extensions[i]!.shouldEncode(size, isBinary)) encodeMask |= 1 << i;
    }
    return encodeMask;
  }

  /** Queues a send (behind an encode, or to be encoded) and pumps the queue. */
  queue(item: PendingSend): void {
    if (this.#sendQueue === NO_SENDS) this.#sendQueue = [];
    this.#sendQueue.push(item);
    this.#pendingLength += item.size;
    if ((this.#flags & ENCODING) === 0) this.#pumpSends();
  }

  /** Queues the close frame behind the sends waiting (never encoded). */
  queueClose(payload: Uint8Array): void {
    this.queue({
      opcode: Opcode.Close,
      fin: true,
      rsv: 0,
      encodeMask: 0,
      data: payload,
      prepared: null,
      size: 0,
      done: undefined,
    });
  }

  /** Drops every queued send (failure or end of transport); their `done` is never called. */
  dropSends(): void {
    this.#sendQueue = NO_SENDS;
    this.#pendingLength = 0;
    this.#flags &= ~ENCODING;
  }

  /** Writes queued sends in order, starting encodes; stops while one is asynchronous. */
  #pumpSends(): void {
    const queue = this.#sendQueue;
    const extensions = this.#extensions;
    while (
      queue.length !== 0 &&
      (this.#flags & ENCODING) === 0 &&
      !this.failed() &&
      !this.ended()
    ) {
      const item = queue[0]!;
      if (item.encodeMask !== 0) {
        const index = 31 - Math.clz32(item.encodeMask & -item.encodeMask);
        item.encodeMask &= item.encodeMask - 1;
        item.rsv |= extensions[index]!.rsvBit;
        this.#flags |= ENCODING | IN_ENCODE_CALL;
        try {
          extensions[index]!.encode(item.data, this.#encodeCallback ?? this.#newEncodeCallback());
        } catch (error) {
          this.#onEncoded(error instanceof Error ? error : new Error(String(error)));
        } finally {
          this.#flags &= ~IN_ENCODE_CALL;
        }
        continue;
      }
      queue.shift();
      this.#pendingLength -= item.size;
      if (item.opcode === Opcode.Close) {
        this.writeClose(item.data);
      } else if (item.opcode === PREPARED_FRAMES) {
        this.writePrepared(item.prepared!);
        item.done?.();
      } else {
        this.writeFrame(item.fin, item.rsv, item.opcode, item.data);
        item.done?.();
      }
    }
    this.sendsPumped();
  }

  #onEncoded(error: Error | null, data?: Uint8Array): void {
    if ((this.#flags & ENCODING) === 0 || this.failed() || this.ended()) return;
    this.#flags &= ~ENCODING;
    if (error !== null) {
      this.fail(
        error instanceof ProtocolError
          ? error
          : new ProtocolError(CloseCode.InternalError, 'extension failed to encode', {
              cause: error,
            }),
      );
      return;
    }
    this.#sendQueue[0]!.data = data ?? EMPTY;
    if ((this.#flags & IN_ENCODE_CALL) === 0) this.#pumpSends();
  }

  #newEncodeCallback(): TransformCallback {
    const callback: TransformCallback = (error, data) => this.#onEncoded(error, data);
    this.#encodeCallback = callback;
    return callback;
  }

  /** Releases every extension (the connection is over). */
  dispose(): void {
    for (const extension of this.#extensions) extension.dispose();
  }
}
