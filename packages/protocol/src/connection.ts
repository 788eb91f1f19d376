/**
 * One WebSocket connection's state machine (RFC 6455), without I/O: bytes in, events out;
 * API calls in, bytes out. The client and server facades both sit on it. This file owns the
 * states, the public API and when each call is allowed, control frames received, the closing
 * handshake, failures and teardown. The receiving side (`receive.ts`), the extension pipeline
 * (`pipeline.ts`) and the send path with its output queue (`send.ts` over `output.ts`) are
 * separate objects made only when needed, wired in below.
 */
import {
  CloseCode,
  decodeClosePayload,
  encodeClosePayload,
  type FailureCloseCode,
  FrameParser,
  failureCloseReason,
  fitCloseReason,
  isValidWireCloseCode,
  type MaskFunctions,
  Opcode,
  ProtocolError,
} from '@strata-ws/codec';
import type { Role } from './limits.js';
import type {
  ConnectionHandler,
  ConnectionOptions,
  ConnectionStateValue,
  SendOptions,
  SendPreparedOptions,
  Settings,
} from './options.js';
import { settingsOf } from './options.js';
import { ExtensionPipeline } from './pipeline.js';
import type { PreparedMessage } from './prepared.js';
import { Receiver } from './receive.js';
import { Sender } from './send.js';
import { encodeText } from './text.js';

export type {
  ConnectionHandler,
  ConnectionOptions,
  ConnectionStateValue,
  SendOptions,
  SendPreparedOptions,
} from './options.js';
export { ConnectionState } from './options.js';

const EMPTY = new Uint8Array(0);

function toBytes(data: string | Uint8Array | undefined): Uint8Array {
  if (data === undefined) return EMPTY;
  return typeof data === 'string' ? encodeText(data) : data;
}

// Bits of Connection#flags.
const CLIENT = 1;
const AUTO_PONG = 2;
const CLOSE_SENT = 4;
/** The close frame itself is in the output (not waiting behind an encode). */
const CLOSE_WRITTEN = 8;
const CLOSE_RECEIVED = 16;
/** Nothing more is parsed: a close frame was seen, the connection failed, or EOF. */
const INPUT_CLOSED = 32;
const FAILED = 64;
const ENDED = 128;
const DISPOSED = 256;

/** Set by the Connection class's static block (where the hooks can reach its private state). */
let ConnectionReceiver: new (connection: Connection, parser: FrameParser) => Receiver;
let ConnectionPipeline: new (connection: Connection, settings: Settings) => ExtensionPipeline;

/**
 * A sans-I/O WebSocket connection (RFC 6455) after the opening handshake.
 *
 * Feed it what the transport reads ({@link Connection.receive}, {@link Connection.receiveEof});
 * it reports messages, pings, pongs, the peer's close and failures to the handler. Call the
 * send methods; take the bytes to write with {@link Connection.takeOutput} whenever the
 * handler's `onOutput` fires (receiving produces output too: pongs, close replies, failures).
 *
 * Peer input never throws: a broken rule becomes a failed connection (`onFail`, a close
 * frame with the RFC 6455 §7.4 code queued). API misuse throws `RangeError` / `TypeError`;
 * options are checked by the constructor only.
 *
 * Order: data messages and the close frame are delivered in wire order, also while an
 * asynchronous extension (inflate) works on an earlier message; pings and pongs are handled
 * the moment they are parsed, so a pong answers promptly even behind a slow inflate.
 * Outgoing messages leave in call order; pings and pongs may overtake messages still being
 * compressed, the close frame never does.
 */
export class Connection {
  // An idle connection is this object alone: the receiving side, the send path (with the
  // output queue), the extension pipeline and the client's mask keys are separate objects
  // made when needed.
  readonly #handler: ConnectionHandler;
  readonly #settings: Settings;
  /** Boolean state, see the bit constants (CLIENT, CLOSE_SENT, ...). */
  #flags: number;
  #state: ConnectionStateValue = 1;
  /** Made on the first received bytes; dropped when input is over. */
  #rx: Receiver | null = null;
  /** The send path and output queue, made on the first send or frame written. */
  #output: Sender | null = null;
  /** Only with negotiated extensions. */
  readonly #ext: ExtensionPipeline | null;

  /**
   * @throws TypeError for an unknown role, a limit that is not a number, two extensions
   *   claiming one RSV bit, or a client without a random source; RangeError for a limit that
   *   is not a positive integer or `Infinity` (the rules of `resolveLimits`).
   */
  constructor(handler: ConnectionHandler, options: ConnectionOptions) {
    const role = options.role;
    if (role !== 'client' && role !== 'server') {
      throw new TypeError(`role must be 'client' or 'server', got ${String(role)}`);
    }
    this.#handler = handler;
    const settings = settingsOf(options);
    this.#settings = settings;
    const client = role === 'client';
    this.#flags = (client ? CLIENT : 0) | (settings.autoPong ? AUTO_PONG : 0);
    this.#ext = settings.extensions.length === 0 ? null : new ConnectionPipeline(this, settings);
  }

  /** The host masking implementation this connection uses (`masking` option), or `null`. */
  get masking(): MaskFunctions | null {
    return this.#settings.masking;
  }

  /** `'client'` or `'server'`. */
  get role(): Role {
    return (this.#flags & CLIENT) !== 0 ? 'client' : 'server';
  }

  /** 1 open, 2 closing (close frame sent, waiting for the peer's), 3 closed. */
  get state(): ConnectionStateValue {
    return this.#state;
  }

  /** A close frame from this end was queued (by `close`, as a reply, or by a failure). */
  get closeSent(): boolean {
    return (this.#flags & CLOSE_SENT) !== 0;
  }

  /** The peer's close frame was received and delivered (`onClose`). */
  get closeReceived(): boolean {
    return (this.#flags & CLOSE_RECEIVED) !== 0;
  }

  /** Bytes in the output queue, not yet taken. */
  get outputLength(): number {
    return this.#output === null ? 0 : this.#output.length;
  }

  /**
   * Bytes accepted by `sendText`/`sendBinary`/`sendPrepared` and not yet in the output:
   * waiting on an extension's encode, or (prepared messages) for our fragmented message to end.
   */
  get pendingLength(): number {
    const length = this.#ext === null ? 0 : this.#ext.pendingLength;
    return this.#output === null ? length : length + this.#output.deferredLength;
  }

  /**
   * False while received frames held behind an asynchronous decode exceed
   * `maxBufferedInput`: stop reading until `onResumeInput`.
   */
  get wantsInput(): boolean {
    return this.#ext === null || !this.#ext.inputPaused;
  }

  /**
   * The connection is over (close frames exchanged, failed, or the transport ended) and
   * nothing is left to send: close the transport once the taken output is written.
   */
  get transportShouldClose(): boolean {
    if (this.#state !== 3 || (this.#output !== null && this.#output.length !== 0)) return false;
    return (
      (this.#flags & ENDED) !== 0 || ((this.#flags & CLOSE_WRITTEN) !== 0 && !this.#sendsQueued())
    );
  }

  /**
   * Feeds bytes read from the transport. The connection takes ownership of `chunk` (it
   * unmasks in place and may hand out views of it). Never throws for bad peer input; input
   * after the peer's close frame or a failure is ignored.
   */
  receive(chunk: Uint8Array): void {
    if ((this.#flags & INPUT_CLOSED) !== 0) return;
    try {
      let rx = this.#rx;
      if (rx === null) {
        // The parser unmasks (while copying, for frames split across reads) and may keep
        // views of received chunks until a large frame completes: `receive` owns its chunks.
        const settings = this.#settings;
        rx = new ConnectionReceiver(
          this,
          new FrameParser({
            maxPayload: settings.parserMaxPayload,
            unmask: true,
            retainChunks: true,
            masking: settings.masking,
            allocate: settings.allocate,
          }),
        );
        this.#rx = rx;
      }
      // Input not closed: the parser is there (it goes with INPUT_CLOSED).
      rx.parser!.push(chunk, rx);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.#fail(error);
        return;
      }
      // Not peer input: a handler threw. The parser is unusable; fail, then report it.
      this.#fail(new ProtocolError(CloseCode.InternalError, 'internal error', { cause: error }));
      throw error;
    }
    if ((this.#flags & INPUT_CLOSED) !== 0) this.#dropParser();
  }

  /**
   * The transport ended (EOF or error). Without a close frame from the peer this is an
   * abnormal closure (1006): `state` becomes closed at once and received frames still waiting
   * for an asynchronous decode are dropped. If the peer's close frame was received but waits
   * behind a decode, its messages and `onClose` still follow.
   */
  receiveEof(): void {
    if ((this.#flags & ENDED) !== 0) return;
    this.#flags |= ENDED | INPUT_CLOSED;
    this.#dropParser();
    this.#dropPendingSends();
    if (this.#ext === null || !this.#ext.closeFramePending()) {
      this.#dropHeldInput();
      this.#state = 3;
      this.#dispose();
    }
  }

  /**
   * Sends a text message (a string is encoded as UTF-8; bytes must already be UTF-8).
   * A no-op once a close frame was queued or the transport ended.
   * @throws TypeError while a binary message is being sent in fragments.
   */
  sendText(data: string | Uint8Array, options?: SendOptions): void {
    if ((this.#flags & (CLOSE_SENT | ENDED)) !== 0) return;
    (this.#output ?? this.#sender()).sendText(data, options, this.#ext);
  }

  /**
   * Sends a binary message. The payload is not copied when large (see `coalesceLimit`): do
   * not modify it until it was written. A no-op once a close frame was queued or the
   * transport ended.
   * @throws TypeError while a text message is being sent in fragments.
   */
  sendBinary(data: Uint8Array, options?: SendOptions): void {
    if ((this.#flags & (CLOSE_SENT | ENDED)) !== 0) return;
    (this.#output ?? this.#sender()).send(Opcode.Binary, data, options, this.#ext);
  }

  /**
   * Sends a message prepared once for many connections (see {@link PreparedMessage}), in
   * order with everything else this connection sends: after messages still being compressed,
   * and after the end of a fragmented message of ours still being sent (it waits for the final
   * fragment; a close started before then drops it). A server writes the prepared frame bytes
   * as they are (by reference when over `coalesceLimit`): the shared compressed frame when
   * compression is wanted (`message.compress`, else the extension's `shouldEncode`) and its
   * extension can take it (`sharedEncodingKey`), else the plain one — compression is shared or
   * not done (never one compression per receiver). A client must mask with its own keys: it
   * sends `message.data` as `sendText`/`sendBinary` would. A no-op once a close frame was
   * queued or the transport ended.
   */
  sendPrepared(message: PreparedMessage, options?: SendPreparedOptions): void {
    if ((this.#flags & (CLOSE_SENT | ENDED)) !== 0) return;
    (this.#output ?? this.#sender()).sendPrepared(
      message,
      options?.done,
      this.#ext,
      (this.#flags & CLIENT) !== 0,
    );
  }

  /**
   * Sends a ping. A no-op once a close frame was queued.
   * @throws RangeError for a payload over 125 bytes.
   */
  ping(data?: string | Uint8Array): void {
    this.#sendControl(Opcode.Ping, toBytes(data));
  }

  /**
   * Sends an (unsolicited, or with `autoPong: false` answering) pong. A no-op once a close
   * frame was queued.
   * @throws RangeError for a payload over 125 bytes.
   */
  pong(data?: string | Uint8Array): void {
    this.#sendControl(Opcode.Pong, toBytes(data));
  }

  /**
   * Starts the closing handshake: queues a close frame (after messages still being
   * compressed) and moves to `Closing`; arm the close timer. Messages keep arriving until
   * the peer's close frame. A no-op once a close frame was queued.
   * @throws RangeError for a code that may not be sent (1000, 3000–4999 and the other wire
   *   codes may) or a reason over 123 UTF-8 bytes.
   */
  close(code?: number, reason?: string): void {
    const payload = encodeClosePayload(code, reason);
    if ((this.#flags & CLOSE_SENT) !== 0) return;
    this.#flags |= CLOSE_SENT;
    if (this.#state === 1) this.#state = 2;
    this.#output?.dropDeferred();
    this.#queueClose(payload);
  }

  /**
   * Fails the connection from this end (e.g. 1008 for a policy, 1011 for an internal error):
   * queues a close frame at once (dropping messages still being compressed) and ignores all
   * further input. No `onFail` is reported for a local failure.
   * @throws RangeError for a code that may not be sent.
   */
  fail(code: number, reason?: string): void {
    if (!isValidWireCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
    const payload = encodeClosePayload(code, fitCloseReason(reason ?? ''));
    if ((this.#flags & (FAILED | ENDED)) !== 0) return;
    this.#flags |= FAILED;
    this.#terminate(payload);
  }

  /**
   * Removes and returns the bytes to write, in order. Small frames are coalesced into one
   * chunk; large payloads come as chunks of their own. The chunks are the caller's.
   */
  takeOutput(): Uint8Array[] {
    const output = this.#output;
    return output === null ? [] : output.take();
  }

  /**
   * Optional: `chunks` (from {@link Connection.takeOutput}) were written and nothing holds them
   * any more, so the buffers of large masked frames among them (a client's messages over
   * 16 KiB) are reused for later frames instead of fresh ones. Call it only once the write is
   * done (e.g. from the socket write's callback, without an error).
   */
  releaseOutput(chunks: readonly Uint8Array[]): void {
    this.#output?.release(chunks);
  }

  // ---- receiving: control frames and the end of input -------------------------------------

  /** A ping, pong or close frame from the receiver. Returns false to stop parsing. */
  #onControlFrame(opcode: number, payload: Uint8Array): boolean {
    if (opcode === Opcode.Ping) {
      if ((this.#flags & AUTO_PONG) !== 0 && (this.#flags & CLOSE_SENT) === 0) {
        this.#writeFrame(true, 0, Opcode.Pong, payload);
      }
      this.#handler.onPing(payload);
    } else if (opcode === Opcode.Pong) {
      this.#handler.onPong(payload);
    } else {
      // Close (reserved control opcodes are failed by the codec's parser at the header).
      // Nothing after a close frame is read (RFC 6455 §5.5.1).
      this.#flags |= INPUT_CLOSED;
      const ext = this.#ext;
      if (ext?.decodeBusy) ext.hold(Opcode.Close, true, 0, payload);
      else this.#onCloseFrame(payload);
    }
    return (this.#flags & INPUT_CLOSED) === 0;
  }

  #onCloseFrame(payload: Uint8Array): void {
    let code: number;
    let reason: string;
    try {
      const decoded = decodeClosePayload(payload);
      code = decoded.code;
      reason = decoded.reason;
    } catch (error) {
      this.#fail(
        error instanceof ProtocolError
          ? error
          : new ProtocolError(CloseCode.ProtocolError, 'invalid close frame'),
      );
      return;
    }
    this.#flags |= INPUT_CLOSED | CLOSE_RECEIVED;
    if (this.#rx !== null) this.#rx.resetMessage();
    if ((this.#flags & CLOSE_SENT) === 0) {
      this.#flags |= CLOSE_SENT;
      this.#output?.dropDeferred();
      // Echo the peer's code (RFC 6455 §5.5.1), and its reason with `echoCloseReason`; an
      // empty close is answered with an empty one.
      this.#queueClose(
        code === CloseCode.NoStatusReceived
          ? EMPTY
          : this.#settings.echoCloseReason
            ? payload
            : encodeClosePayload(code),
      );
    }
    this.#state = 3;
    this.#handler.onClose(code, reason);
    this.#disposeWhenIdle();
  }

  #dropHeldInput(): void {
    if (this.#ext !== null) this.#ext.dropInput();
    if (this.#rx !== null) this.#rx.resetMessage();
  }

  /** The peer broke a rule: fail with `code`. */
  #peerError(code: FailureCloseCode, reason: string): void {
    this.#fail(new ProtocolError(code, reason));
  }

  /** _Fail the WebSocket Connection_ (RFC 6455 §7.1.7) for a peer or extension error. */
  #fail(error: ProtocolError): void {
    if ((this.#flags & (FAILED | ENDED)) !== 0) return;
    this.#flags |= FAILED;
    this.#terminate(
      encodeClosePayload(error.closeCode, failureCloseReason(error.closeCode, error.message)),
    );
    this.#handler.onFail(error);
  }

  /** Shared by peer and local failures: close frame now, input off, pending work dropped. */
  #terminate(closePayload: Uint8Array): void {
    this.#flags |= INPUT_CLOSED;
    this.#state = 3;
    this.#dropHeldInput();
    this.#dropParser();
    this.#dropPendingSends();
    if ((this.#flags & CLOSE_WRITTEN) === 0) {
      this.#flags |= CLOSE_SENT;
      this.#writeClose(closePayload);
    }
    this.#dispose();
  }

  // ---- writing frames -------------------------------------------------------------------

  #sendsQueued(): boolean {
    return this.#ext?.sendsQueued === true;
  }

  #sendControl(opcode: number, payload: Uint8Array): void {
    if (payload.length > 125) {
      throw new RangeError(`a control frame carries at most 125 bytes, got ${payload.length}`);
    }
    if ((this.#flags & CLOSE_SENT) !== 0) return;
    this.#writeFrame(true, 0, opcode, payload);
  }

  #queueClose(payload: Uint8Array): void {
    const ext = this.#ext;
    if (ext?.sendsWaiting) ext.queueClose(payload);
    else this.#writeClose(payload);
  }

  #dropPendingSends(): void {
    if (this.#ext !== null) this.#ext.dropSends();
    this.#output?.dropDeferred();
  }

  #writeClose(payload: Uint8Array): void {
    this.#flags |= CLOSE_WRITTEN;
    this.#writeFrame(true, 0, Opcode.Close, payload);
  }

  /** Writes a (server's) prepared message whose turn in the send order came. */
  #writePrepared(message: PreparedMessage): void {
    // After the transport ended there is nowhere to write to.
    if ((this.#flags & ENDED) === 0)
      (this.#output ?? this.#sender()).writePrepared(message, this.#ext);
  }

  #writeFrame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): void {
    if ((this.#flags & ENDED) !== 0) return;
    (this.#output ?? this.#sender()).frame(fin, rsv, opcode, payload);
  }

  // ---- teardown -------------------------------------------------------------------------

  /** Disposes the extensions once the handshake is complete and nothing is in flight. */
  #disposeWhenIdle(): void {
    const ext = this.#ext;
    if (
      this.#state === 3 &&
      (this.#flags & CLOSE_WRITTEN) !== 0 &&
      (ext === null || (!ext.encoding && !ext.decoding && !ext.sendsQueued))
    ) {
      this.#dispose();
    }
  }

  #dispose(): void {
    if ((this.#flags & DISPOSED) !== 0) return;
    this.#flags |= DISPOSED;
    if (this.#ext !== null) this.#ext.dispose();
  }

  #sender(): Sender {
    let output = this.#output;
    if (output === null) {
      output = new Sender(this.#settings, this.#handler, (this.#flags & CLIENT) !== 0);
      this.#output = output;
    }
    return output;
  }

  /**
   * Input is over: the parser (and whatever it buffered) goes. The receiving side stays
   * while an extension still decodes into its message (its fields are reset when dropped).
   */
  #dropParser(): void {
    const rx = this.#rx;
    if (rx === null) return;
    if (this.#ext?.decodeBusy) rx.parser = null;
    else this.#rx = null;
  }

  // ---- the hooks of the receiving side and of the extension pipeline -------------------------

  static {
    ConnectionReceiver = class extends Receiver {
      readonly #connection: Connection;
      constructor(connection: Connection, parser: FrameParser) {
        const client = (connection.#flags & CLIENT) !== 0;
        super(parser, connection.#settings, client, connection.#ext);
        this.#connection = connection;
      }
      protected inputClosed(): boolean {
        return (this.#connection.#flags & INPUT_CLOSED) !== 0;
      }
      protected control(opcode: number, payload: Uint8Array): boolean {
        return this.#connection.#onControlFrame(opcode, payload);
      }
      protected peerError(code: FailureCloseCode, reason: string): void {
        this.#connection.#peerError(code, reason);
      }
      protected deliver(data: Uint8Array, isBinary: boolean): void {
        this.#connection.#handler.onMessage(data, isBinary);
      }
    };

    ConnectionPipeline = class extends ExtensionPipeline {
      readonly #connection: Connection;
      constructor(connection: Connection, settings: Settings) {
        super(settings.extensions, settings.maxBufferedInput, settings.maxMessageSize);
        this.#connection = connection;
      }
      protected failed(): boolean {
        return (this.#connection.#flags & FAILED) !== 0;
      }
      protected ended(): boolean {
        return (this.#connection.#flags & ENDED) !== 0;
      }
      protected assemble(opcode: number, fin: boolean, data: Uint8Array): void {
        // Decoding only happens on received frames: the receiving side exists.
        this.#connection.#rx!.assemble(opcode, fin, data);
      }
      protected messageLength(): number {
        return this.#connection.#rx!.messageLength;
      }
      protected closeFrame(payload: Uint8Array): void {
        this.#connection.#onCloseFrame(payload);
      }
      protected fail(error: ProtocolError): void {
        this.#connection.#fail(error);
      }
      protected writeFrame(fin: boolean, rsv: number, opcode: number, data: Uint8Array): void {
        this.#connection.#writeFrame(fin, rsv, opcode, data);
      }
      protected writePrepared(message: PreparedMessage): void {
        this.#connection.#writePrepared(message);
      }
      protected writeClose(payload: Uint8Array): void {
        this.#connection.#writeClose(payload);
      }
      protected drained(): void {
        const connection = this.#connection;
        if (
          (connection.#flags & ENDED) !== 0 &&
          !this.closeFramePending() &&
          connection.#state !== 3
        ) {
          connection.#state = 3;
          connection.#dispose();
        }
      }
      protected resumeInput(): void {
        this.#connection.#handler.onResumeInput?.();
      }
      protected sendsPumped(): void {
        this.#connection.#disposeWhenIdle();
      }
    };
  }
}
