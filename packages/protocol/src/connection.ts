/**
 * One WebSocket connection's state machine (RFC 6455), without I/O: bytes in, events out;
 * API calls in, bytes out. The client and server facades both sit on it.
 */
import {
  CloseCode,
  decodeClosePayload,
  encodeClosePayload,
  type FailureCloseCode,
  type FrameHeader,
  FrameParser,
  type FrameSink,
  failureCloseReason,
  fitCloseReason,
  isValidUtf8,
  isValidWireCloseCode,
  type MaskFunctions,
  Opcode,
  ProtocolError,
  Utf8Validator,
} from '@strata-ws/codec';
import type { MessageExtension, TransformCallback } from './extension.js';
import { checkLimit, LIMIT_DEFAULTS, type LimitOptions, type Role } from './limits.js';
import { OutputQueue } from './output.js';
import type { PreparedMessage } from './prepared.js';
import { encodeText } from './text.js';

export type { Role } from './limits.js';

/**
 * The states of a connection; the numbers match `WebSocket.readyState`.
 *
 * - `Open`: messages flow both ways.
 * - `Closing`: this end sent its close frame and waits for the peer's (arm the close timer).
 * - `Closed`: the closing handshake is complete, the connection failed, or the transport
 *   ended. Close the transport once {@link Connection.transportShouldClose} is true.
 */
export const ConnectionState = { Open: 1, Closing: 2, Closed: 3 } as const;

/** A value of {@link ConnectionState}. */
export type ConnectionStateValue = 1 | 2 | 3;

/**
 * Options of a {@link Connection}. The receive limits ({@link LimitOptions}: `maxPayload`,
 * `maxMessageSize`, `maxFragments`, `maxBufferedInput`) have per-role defaults from
 * `LIMIT_DEFAULTS` and are checked by the same rules as `resolveLimits`.
 */
export interface ConnectionOptions extends LimitOptions {
  /** `'server'` requires masked frames and sends unmasked ones; `'client'` the reverse. */
  role: Role;
  /** @deprecated the old name of `maxPayload` (used when `maxPayload` is not given). */
  maxPayloadLength?: number;
  /**
   * A host masking implementation (e.g. `bufferutil`) for this connection only: unmasking
   * received frames and masking sent ones. Default `null`: the codec's portable code (or the
   * codec's process-wide seam, if the host installed one). Other connections are unaffected.
   */
  masking?: MaskFunctions | null;
  /** Answer pings with a pong carrying the same payload. Default `true`. */
  autoPong?: boolean;
  /** The negotiated extensions, in the order of the `Sec-WebSocket-Extensions` response. */
  extensions?: readonly MessageExtension[];
  /**
   * Fills a buffer with cryptographically strong random bytes, for client mask keys (drawn
   * from a pool refilled in blocks). Default `globalThis.crypto.getRandomValues`.
   */
  randomFill?: (bytes: Uint8Array) => void;
  /**
   * Outgoing payloads up to this many bytes are copied next to their header in a shared
   * output buffer, so that small frames leave in one chunk; larger payloads follow their
   * header by reference (unmasked frames). `0` disables copying. Default 1024.
   */
  coalesceLimit?: number;
}

/**
 * What a {@link Connection} reports, called synchronously from inside its methods. One
 * object per connection: no closure or event object is allocated per message.
 * Handlers must not call {@link Connection.receive} re-entrantly.
 */
export interface ConnectionHandler {
  /**
   * A complete message. Text is already validated as UTF-8 (decode it with a
   * non-fatal `TextDecoder`). `data` may be a view of a received chunk; it stays valid.
   */
  onMessage(data: Uint8Array, isBinary: boolean): void;
  /** A ping arrived; with `autoPong` the pong is already queued. */
  onPing(data: Uint8Array): void;
  /** A pong arrived. */
  onPong(data: Uint8Array): void;
  /**
   * The peer's close frame arrived (`code` 1005 when it carried none). The reply (echoing
   * the code) is already queued unless this end had sent its close frame first.
   */
  onClose(code: number, reason: string): void;
  /**
   * The peer broke a rule (or an extension failed): a close frame with `error.closeCode` is
   * queued and input is ignored from now on. Flush the output, then close the transport.
   */
  onFail(error: ProtocolError): void;
  /** The output queue went from empty to non-empty: schedule a flush ({@link Connection.takeOutput}). */
  onOutput(): void;
  /** {@link Connection.wantsInput} became true again: resume reading. */
  onResumeInput?(): void;
}

/** Options of one `sendText` / `sendBinary` call. */
export interface SendOptions {
  /**
   * Default `true`. `false` sends a fragment: the next call of the same kind continues the
   * message. Fragmented messages are never compressed.
   */
  fin?: boolean;
  /** Transform with the extensions (compress); default: ask each one (`shouldEncode`). */
  compress?: boolean;
  /** Called once the message's frames are in the output queue (not called if dropped). */
  done?: () => void;
}

/** Options of {@link Connection.sendPrepared}. */
export interface SendPreparedOptions {
  /** Called once the message's frames are in the output queue (not called if dropped). */
  done?: () => void;
}

const DEFAULT_COALESCE_LIMIT = 1024;

/** Mask keys drawn per refill of the random pool. */
const MASK_KEY_POOL_BYTES = 256;

/** `PendingSend.opcode` of a prepared message: `data` is whole frames, written as they are. */
const PREPARED_FRAMES = -1;

/** A prepared message waiting for our own fragmented message to end. */
interface DeferredPrepared {
  message: PreparedMessage;
  done: (() => void) | undefined;
}

/** Prepared messages waiting for a fragmented send to end (rare: kept off the connection). */
const deferredPrepared = new WeakMap<Connection, DeferredPrepared[]>();

const EMPTY = new Uint8Array(0);

/** A received frame held until an asynchronous decode before it completes. */
interface HeldFrame {
  /** 1 or 2 on a message's first frame, 0 on continuations, 8 for the close frame. */
  opcode: number;
  fin: boolean;
  /** The RSV bits of the message's first frame (which extensions transformed it). */
  rsv: number;
  payload: Uint8Array;
}

/** A message (or the close frame) waiting for an asynchronous encode before it. */
interface PendingSend {
  /** The frame opcode: 1, 2, 0 (continuation) or 8 (close). */
  opcode: number;
  fin: boolean;
  /** RSV bits collected from the extensions that transformed it so far. */
  rsv: number;
  /** Bitmask of extension indices still to apply. */
  encodeMask: number;
  data: Uint8Array;
  /** Length accepted from the caller (counted in `pendingLength`). */
  size: number;
  done: (() => void) | undefined;
}

/** A non-negative integer option (`coalesceLimit`). */
function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

function defaultRandomFill(): (bytes: Uint8Array) => void {
  const crypto = (
    globalThis as { crypto?: { getRandomValues?: (bytes: Uint8Array) => Uint8Array } }
  ).crypto;
  if (typeof crypto?.getRandomValues !== 'function') {
    throw new TypeError('no randomFill option and no globalThis.crypto.getRandomValues');
  }
  return (bytes) => {
    crypto.getRandomValues!(bytes);
  };
}

function toBytes(data: string | Uint8Array | undefined): Uint8Array {
  if (data === undefined) return EMPTY;
  return typeof data === 'string' ? encodeText(data) : data;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    out.set(part, offset);
    offset += part.length;
  }
  return out;
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
const INPUT_PAUSED = 512;
const DECODING = 1024;
const IN_DECODE_CALL = 2048;
const ENCODING = 4096;
const IN_ENCODE_CALL = 8192;
/** FIN of the frame being decoded. */
const DEC_FIN = 16384;
/** Prepared messages wait in `deferredPrepared` for our fragmented message to end. */
const DEFERRED = 32768;

// Shared empty lists: a connection gets an array of its own only when it needs one.
// They are never written to (every push site swaps in a fresh array first).
const NO_PARTS: Uint8Array[] = [];
const NO_HELD: HeldFrame[] = [];
const NO_SENDS: PendingSend[] = [];

/** What a connection derives from its options; shared by connections of one frozen options object. */
interface Settings {
  readonly maxMessageSize: number;
  readonly maxFragments: number;
  readonly maxBufferedInput: number;
  /** The parser's frame limit (without an extension, a frame is never larger than its message). */
  readonly parserMaxPayload: number;
  readonly coalesceLimit: number;
  /** Strings up to this length are encoded straight into the output. */
  readonly shortStringMax: number;
  readonly extensions: readonly MessageExtension[];
  /** RSV bits claimed by the negotiated extensions. */
  readonly allowedRsv: number;
  readonly autoPong: boolean;
  readonly masking: MaskFunctions | null;
}

const NO_EXTENSIONS: readonly MessageExtension[] = Object.freeze([]);

/** Settings of frozen, extension-free options objects (a server passes one to every connection). */
const settingsCache = new WeakMap<ConnectionOptions, Settings>();

function settingsOf(options: ConnectionOptions): Settings {
  const extensions = options.extensions ?? NO_EXTENSIONS;
  const cacheable = extensions.length === 0 && Object.isFrozen(options);
  if (cacheable) {
    const cached = settingsCache.get(options);
    if (cached !== undefined) return cached;
  }
  const defaults = LIMIT_DEFAULTS[options.role];
  const maxPayload =
    options.maxPayload === undefined && options.maxPayloadLength !== undefined
      ? checkLimit('maxPayloadLength', options.maxPayloadLength, defaults.maxPayload)
      : checkLimit('maxPayload', options.maxPayload, defaults.maxPayload);
  const maxMessageSize = checkLimit(
    'maxMessageSize',
    options.maxMessageSize,
    defaults.maxMessageSize,
  );
  const maxFragments = checkLimit('maxFragments', options.maxFragments, defaults.maxFragments);
  const maxBufferedInput = checkLimit(
    'maxBufferedInput',
    options.maxBufferedInput,
    defaults.maxBufferedInput,
  );
  const coalesceLimit = checkCount('coalesceLimit', options.coalesceLimit, DEFAULT_COALESCE_LIMIT);
  let allowedRsv = 0;
  for (const extension of extensions) {
    const bit = extension.rsvBit;
    if ((bit !== 0x40 && bit !== 0x20 && bit !== 0x10) || (allowedRsv & bit) !== 0) {
      throw new TypeError(`extension ${extension.name} claims an unavailable RSV bit`);
    }
    allowedRsv |= bit;
  }
  const settings: Settings = {
    maxMessageSize,
    maxFragments,
    maxBufferedInput,
    parserMaxPayload: extensions.length === 0 ? Math.min(maxPayload, maxMessageSize) : maxPayload,
    coalesceLimit,
    // A string of n UTF-16 units takes at most 3n bytes: encode directly when that fits.
    shortStringMax: Math.min(Math.floor(coalesceLimit / 3), 21845),
    extensions,
    allowedRsv,
    autoPong: options.autoPong ?? true,
    masking: options.masking ?? null,
  };
  if (cacheable) settingsCache.set(options, settings);
  return settings;
}

/**
 * Everything of the receiving side, made on the first received bytes: the frame parser,
 * the sequence of data frames as they arrive and the message being reassembled. It is also
 * the parser's sink (one object, no closure).
 */
interface ReceiveState extends FrameSink {
  readonly connection: Connection;
  /** Null once input is over while a message still decodes. */
  parser: FrameParser | null;
  // Parse stage: the sequence of data frames as they arrive.
  /** Opcode of the message being received (1 or 2), 0 between messages. */
  rxOpcode: number;
  rxRsv: number;
  rxFragments: number;
  rxLength: number;
  // Delivery stage: reassembly and UTF-8 across fragments.
  msgOpcode: number;
  msgParts: Uint8Array[];
  msgLength: number;
  /** Made for the first fragmented text message. */
  utf8: Utf8Validator | null;
}

/** Set by the Connection class's static block (where it can reach `#onFrame`). */
let ReceiveStateClass: new (connection: Connection, parser: FrameParser) => ReceiveState;

/**
 * The extension pipeline's state (only connections that negotiated an extension have it):
 * frames held behind an asynchronous decode, the decode in progress, sends waiting for an
 * encode.
 */
class ExtensionState {
  held: HeldFrame[] = NO_HELD;
  heldHead = 0;
  heldBytes = 0;
  decOpcode = 0;
  decRsv = 0;
  decNext = -1;
  decData: Uint8Array = EMPTY;
  decodeCallback: TransformCallback | null = null;
  sendQueue: PendingSend[] = NO_SENDS;
  /** Bytes accepted by a send still waiting for an encode. */
  pendingLength = 0;
  encodeCallback: TransformCallback | null = null;
}

/** A client's source of mask keys: the random source and a pool refilled in blocks. */
class MaskKeySource {
  readonly randomFill: (bytes: Uint8Array) => void;
  keys: Uint8Array | null = null;
  offset: number = MASK_KEY_POOL_BYTES;
  constructor(randomFill: (bytes: Uint8Array) => void) {
    this.randomFill = randomFill;
  }
}

/**
 * A sans-I/O WebSocket connection (RFC 6455) after the opening handshake.
 *
 * Feed it what the transport reads ({@link Connection.receive}, {@link Connection.receiveEof});
 * it reports messages, pings, pongs, the peer's close and failures to the handler. Call the
 * send methods; take the bytes to write with {@link Connection.takeOutput} whenever the
 * handler's `onOutput` fires (receiving produces output too: pongs, close replies, failures).
 *
 * Peer input never throws: a broken rule becomes a failed connection (`onFail`, a close
 * frame with the RFC 6455 §7.4 code queued). API misuse throws `RangeError` / `TypeError`.
 *
 * Order: data messages and the close frame are delivered in wire order, also while an
 * asynchronous extension (inflate) works on an earlier message; pings and pongs are handled
 * the moment they are parsed, so a pong answers promptly even behind a slow inflate.
 * Outgoing messages leave in call order; pings and pongs may overtake messages still being
 * compressed, the close frame never does.
 */
export class Connection {
  // An idle connection is this object alone: the receiving side, the output queue, the
  // extension pipeline and the client's mask keys are separate objects made when needed
  // (an idle server connection holds nothing else; ~100 B instead of ~280 B inline).
  readonly #handler: ConnectionHandler;
  readonly #settings: Settings;
  /** Boolean state, see the bit constants (CLIENT, CLOSE_SENT, ...). */
  #flags: number;
  #state: ConnectionStateValue = 1;
  /** Made on the first received bytes; dropped when input is over. */
  #rx: ReceiveState | null = null;
  /** Made on the first frame written. */
  #output: OutputQueue | null = null;
  /** Opcode of the message being sent in fragments (1 or 2), 0 between messages. */
  #txOpcode = 0;
  /** Only with negotiated extensions. */
  readonly #ext: ExtensionState | null;
  /** Client only. */
  readonly #masks: MaskKeySource | null;

  /**
   * @throws RangeError for a limit that is not a non-negative integer; TypeError for an
   *   unknown role, two extensions claiming one RSV bit, or a client without a random source.
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
    this.#ext = settings.extensions.length === 0 ? null : new ExtensionState();
    this.#masks = client ? new MaskKeySource(options.randomFill ?? defaultRandomFill()) : null;
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
    let length = this.#ext === null ? 0 : this.#ext.pendingLength;
    if ((this.#flags & DEFERRED) !== 0) {
      const deferred = deferredPrepared.get(this)!;
      for (let i = 0; i < deferred.length; i++) length += deferred[i]!.message.frame.length;
    }
    return length;
  }

  /**
   * False while received frames held behind an asynchronous decode exceed
   * `maxBufferedInput`: stop reading until `onResumeInput`.
   */
  get wantsInput(): boolean {
    return (this.#flags & INPUT_PAUSED) === 0;
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
        rx = new ReceiveStateClass(
          this,
          new FrameParser({
            maxPayload: this.#settings.parserMaxPayload,
            unmask: true,
            retainChunks: true,
            masking: this.#settings.masking,
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
    this.#flags |= ENDED;
    this.#flags |= INPUT_CLOSED;
    this.#dropParser();
    this.#dropPendingSends();
    this.#dropDeferred();
    if (!this.#closeFramePending()) {
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
    if (typeof data !== 'string') {
      this.#send(Opcode.Text, data, options);
    } else if (
      data.length <= this.#settings.shortStringMax &&
      (this.#ext === null || (options?.compress === false && !this.#sendsWaiting()))
    ) {
      // Short strings are encoded straight into the output: no TextEncoder call, no buffer.
      const fin = options?.fin ?? true;
      const frameOpcode = this.#frameOpcode(Opcode.Text, fin);
      const output = this.#outputQueue();
      const wasEmpty = output.length === 0;
      output.writeString(
        fin,
        frameOpcode,
        data,
        (this.#flags & CLIENT) !== 0 ? this.#nextMaskKey() : -1,
        this.#settings.masking,
      );
      if (wasEmpty) this.#handler.onOutput();
      options?.done?.();
      if ((this.#flags & DEFERRED) !== 0 && this.#txOpcode === 0) this.#sendDeferred();
    } else {
      this.#send(Opcode.Text, encodeText(data), options);
    }
  }

  /**
   * Sends a binary message. The payload is not copied when large (see `coalesceLimit`): do
   * not modify it until it was written. A no-op once a close frame was queued or the
   * transport ended.
   * @throws TypeError while a text message is being sent in fragments.
   */
  sendBinary(data: Uint8Array, options?: SendOptions): void {
    if ((this.#flags & (CLOSE_SENT | ENDED)) !== 0) return;
    this.#send(Opcode.Binary, data, options);
  }

  /**
   * Sends a message prepared once for many connections (see {@link PreparedMessage}), in
   * order with everything else this connection sends: after messages still being compressed,
   * and after the end of a fragmented message of ours still being sent (it waits for the final
   * fragment; a close started before then drops it). A server writes the prepared frame bytes
   * as they are (by reference when over `coalesceLimit`): the shared compressed frame when its
   * extension can take it (`sharedEncodingKey`) and wants compression, else the plain one. When
   * compression is wanted but the extension cannot share, or for a client (which must mask), the
   * message is sent from `message.data` as `sendText`/`sendBinary` would. A no-op once a close
   * frame was queued or the transport ended.
   */
  sendPrepared(message: PreparedMessage, options?: SendPreparedOptions): void {
    if ((this.#flags & (CLOSE_SENT | ENDED)) !== 0) return;
    const done = options?.done;
    if (this.#txOpcode !== 0) {
      let deferred = deferredPrepared.get(this);
      if (deferred === undefined) {
        deferred = [];
        deferredPrepared.set(this, deferred);
      }
      deferred.push({ message, done });
      this.#flags |= DEFERRED;
      return;
    }
    this.#sendPrepared(message, done);
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
    this.#dropDeferred();
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

  // ---- receiving ------------------------------------------------------------------------

  #onFrame(rx: ReceiveState, header: FrameHeader, payload: Uint8Array): boolean {
    if ((this.#flags & INPUT_CLOSED) !== 0) return false;
    if (header.masked !== ((this.#flags & CLIENT) === 0)) {
      return this.#peerError(
        CloseCode.ProtocolError,
        (this.#flags & CLIENT) !== 0
          ? 'masked frame from the server'
          : 'unmasked frame from the client',
      );
    }
    // The payload is unmasked already (the parser's `unmask` option).
    const opcode = header.opcode;
    if (opcode >= 8) return this.#onControlFrame(opcode, header.rsv, payload);
    if (opcode === 0) {
      if (rx.rxOpcode === 0) {
        return this.#peerError(
          CloseCode.ProtocolError,
          'continuation frame without a message to continue',
        );
      }
      if (header.rsv !== 0)
        return this.#peerError(CloseCode.ProtocolError, 'RSV bits set on a continuation frame');
      if (++rx.rxFragments > this.#settings.maxFragments) {
        return this.#peerError(
          CloseCode.PolicyViolation,
          `message of more than ${this.#settings.maxFragments} fragments`,
        );
      }
    } else {
      // Reserved opcodes never get here: the codec's parser fails them at the header.
      if (rx.rxOpcode !== 0) {
        return this.#peerError(
          CloseCode.ProtocolError,
          'new message started inside an unfinished one',
        );
      }
      if ((header.rsv & ~this.#settings.allowedRsv) !== 0) {
        return this.#peerError(
          CloseCode.ProtocolError,
          'RSV bits set without a negotiated extension',
        );
      }
      rx.rxOpcode = opcode;
      rx.rxRsv = header.rsv;
      rx.rxFragments = 1;
      rx.rxLength = 0;
    }
    const rsv = rx.rxRsv;
    if (rsv === 0) {
      // Uncompressed: the wire size is the message size, so fail before buffering more.
      const length = rx.rxLength + payload.length;
      if (length > this.#settings.maxMessageSize) {
        return this.#peerError(
          CloseCode.MessageTooBig,
          `message over the limit of ${this.#settings.maxMessageSize} bytes`,
        );
      }
      rx.rxLength = length;
    }
    const fin = header.fin;
    if (fin) rx.rxOpcode = 0;
    if (this.#ext !== null && this.#decodeBusy(this.#ext)) {
      this.#hold(this.#ext, opcode, fin, rsv, payload);
    } else if (rsv === 0) {
      this.#assemble(rx, opcode, fin, payload);
    } else {
      this.#decode(opcode, fin, rsv, payload);
    }
    return (this.#flags & INPUT_CLOSED) === 0;
  }

  #onControlFrame(opcode: number, rsv: number, payload: Uint8Array): boolean {
    if (rsv !== 0)
      return this.#peerError(CloseCode.ProtocolError, 'RSV bits set on a control frame');
    if (opcode === Opcode.Ping) {
      if ((this.#flags & AUTO_PONG) !== 0 && (this.#flags & CLOSE_SENT) === 0)
        this.#writeFrame(true, 0, Opcode.Pong, payload);
      this.#handler.onPing(payload);
    } else if (opcode === Opcode.Pong) {
      this.#handler.onPong(payload);
    } else {
      // Close (reserved control opcodes are failed by the codec's parser at the header).
      // Nothing after a close frame is read (RFC 6455 §5.5.1).
      this.#flags |= INPUT_CLOSED;
      if (this.#ext !== null && this.#decodeBusy(this.#ext)) {
        this.#hold(this.#ext, Opcode.Close, true, 0, payload);
      } else {
        this.#onCloseFrame(payload);
      }
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
    this.#flags |= INPUT_CLOSED;
    this.#flags |= CLOSE_RECEIVED;
    if (this.#rx !== null) resetMessage(this.#rx);
    if ((this.#flags & CLOSE_SENT) === 0) {
      this.#flags |= CLOSE_SENT;
      this.#dropDeferred();
      // Echo the peer's code (RFC 6455 §5.5.1); an empty close is answered with an empty one.
      this.#queueClose(code === CloseCode.NoStatusReceived ? EMPTY : encodeClosePayload(code));
    }
    this.#state = 3;
    this.#handler.onClose(code, reason);
    this.#disposeWhenIdle();
  }

  /** Adds a data frame's (decoded) payload to the message; delivers it on the last frame. */
  #assemble(rx: ReceiveState, opcode: number, fin: boolean, data: Uint8Array): void {
    if (opcode !== 0) {
      if (fin) {
        // A single-frame message: validated whole, delivered as it is (no copy).
        if (data.length > this.#settings.maxMessageSize) {
          this.#peerError(
            CloseCode.MessageTooBig,
            `message over the limit of ${this.#settings.maxMessageSize} bytes`,
          );
          return;
        }
        if (opcode === Opcode.Text && !isValidUtf8(data)) {
          this.#peerError(CloseCode.InvalidPayloadData, 'invalid UTF-8 in a text message');
          return;
        }
        this.#handler.onMessage(data, opcode === Opcode.Binary);
        return;
      }
      rx.msgOpcode = opcode;
      rx.msgLength = 0;
      if (opcode === Opcode.Text) {
        if (rx.utf8 === null) rx.utf8 = new Utf8Validator();
        else rx.utf8.reset();
      }
    }
    const length = rx.msgLength + data.length;
    if (length > this.#settings.maxMessageSize) {
      this.#peerError(
        CloseCode.MessageTooBig,
        `message over the limit of ${this.#settings.maxMessageSize} bytes`,
      );
      return;
    }
    // Across fragments, validate as the bytes arrive: fail at the first bad fragment.
    if (rx.msgOpcode === Opcode.Text && !rx.utf8!.push(data, fin)) {
      this.#peerError(CloseCode.InvalidPayloadData, 'invalid UTF-8 in a text message');
      return;
    }
    if (data.length !== 0) {
      if (rx.msgParts === NO_PARTS) rx.msgParts = [data];
      else rx.msgParts.push(data);
    }
    rx.msgLength = length;
    if (!fin) return;
    const parts = rx.msgParts;
    const message = parts.length === 0 ? EMPTY : concat(parts, length);
    const isBinary = rx.msgOpcode === Opcode.Binary;
    resetMessage(rx);
    this.#handler.onMessage(message, isBinary);
  }

  /** A decode is running or frames wait behind one: new frames must wait too. */
  #decodeBusy(ext: ExtensionState): boolean {
    return (this.#flags & DECODING) !== 0 || ext.heldHead < ext.held.length;
  }

  /** Starts the extension chain (in reverse negotiation order) on one received frame. */
  #decode(opcode: number, fin: boolean, rsv: number, payload: Uint8Array): void {
    const ext = this.#ext!;
    ext.decOpcode = opcode;
    if (fin) this.#flags |= DEC_FIN;
    else this.#flags &= ~DEC_FIN;
    ext.decRsv = rsv;
    ext.decData = payload;
    ext.decNext = this.#settings.extensions.length - 1;
    this.#runDecode(ext);
  }

  /** Runs decode steps until one goes asynchronous or the frame is assembled. */
  #runDecode(ext: ExtensionState): void {
    const extensions = this.#settings.extensions;
    for (;;) {
      if ((this.#flags & FAILED) !== 0) return;
      // Decoding only happens on received frames: the receiving side exists.
      const rx = this.#rx!;
      let index = ext.decNext;
      while (index >= 0 && (ext.decRsv & extensions[index]!.rsvBit) === 0) index--;
      if (index < 0) {
        const data = ext.decData;
        ext.decData = EMPTY;
        this.#assemble(rx, ext.decOpcode, (this.#flags & DEC_FIN) !== 0, data);
        return;
      }
      ext.decNext = index - 1;
      const maxSize = this.#settings.maxMessageSize - (ext.decOpcode !== 0 ? 0 : rx.msgLength);
      this.#flags |= DECODING;
      this.#flags |= IN_DECODE_CALL;
      try {
        extensions[index]!.decode(
          ext.decData,
          (this.#flags & DEC_FIN) !== 0,
          maxSize,
          ext.decodeCallback ?? this.#newDecodeCallback(ext),
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
    if ((this.#flags & DECODING) === 0 || (this.#flags & FAILED) !== 0) return;
    this.#flags &= ~DECODING;
    const ext = this.#ext!;
    if (error !== null) {
      ext.decData = EMPTY;
      this.#fail(
        error instanceof ProtocolError
          ? error
          : new ProtocolError(CloseCode.InternalError, 'extension failed to decode', {
              cause: error,
            }),
      );
      return;
    }
    ext.decData = data ?? EMPTY;
    if ((this.#flags & IN_DECODE_CALL) !== 0) return; // synchronous: #runDecode continues
    this.#runDecode(ext);
    this.#drainHeld(ext);
  }

  /** Keeps a frame that arrived while an earlier one is being decoded. */
  #hold(ext: ExtensionState, opcode: number, fin: boolean, rsv: number, payload: Uint8Array): void {
    if (ext.held === NO_HELD) ext.held = [];
    ext.held.push({ opcode, fin, rsv, payload });
    ext.heldBytes += payload.length;
    if (ext.heldBytes > this.#settings.maxBufferedInput) {
      if (ext.heldBytes > 2 * this.#settings.maxBufferedInput) {
        this.#peerError(
          CloseCode.PolicyViolation,
          'received data held behind a decode over the input limit',
        );
        return;
      }
      this.#flags |= INPUT_PAUSED;
    }
  }

  /** Processes held frames in order until a decode goes asynchronous. */
  #drainHeld(ext: ExtensionState): void {
    const held = ext.held;
    while (
      (this.#flags & DECODING) === 0 &&
      (this.#flags & FAILED) === 0 &&
      ext.heldHead < held.length
    ) {
      const frame = held[ext.heldHead]!;
      held[ext.heldHead++] = undefined as unknown as HeldFrame;
      ext.heldBytes -= frame.payload.length;
      if (frame.opcode === Opcode.Close) this.#onCloseFrame(frame.payload);
      else if (frame.rsv === 0) this.#assemble(this.#rx!, frame.opcode, frame.fin, frame.payload);
      else this.#decode(frame.opcode, frame.fin, frame.rsv, frame.payload);
    }
    if (ext.heldHead === held.length && ext.heldHead !== 0) {
      ext.held = NO_HELD;
      ext.heldHead = 0;
    }
    if ((this.#flags & ENDED) !== 0 && !this.#closeFramePending() && this.#state !== 3) {
      this.#state = 3;
      this.#dispose();
    }
    if ((this.#flags & INPUT_PAUSED) !== 0 && ext.heldBytes <= this.#settings.maxBufferedInput) {
      this.#flags &= ~INPUT_PAUSED;
      this.#handler.onResumeInput?.();
    }
  }

  /** A close frame was parsed but waits behind a decode. */
  #closeFramePending(): boolean {
    const ext = this.#ext;
    if (ext === null) return false;
    const held = ext.held;
    for (let i = ext.heldHead; i < held.length; i++) {
      if (held[i]!.opcode === Opcode.Close) return true;
    }
    return false;
  }

  #dropHeldInput(): void {
    const ext = this.#ext;
    if (ext !== null) {
      ext.held = NO_HELD;
      ext.heldHead = 0;
      ext.heldBytes = 0;
      ext.decData = EMPTY;
    }
    this.#flags &= ~DECODING;
    if (this.#rx !== null) resetMessage(this.#rx);
    if ((this.#flags & INPUT_PAUSED) !== 0) {
      this.#flags &= ~INPUT_PAUSED;
      this.#handler.onResumeInput?.();
    }
  }

  /** The peer broke a rule: fail with `code`. Returns false (stop parsing). */
  #peerError(code: FailureCloseCode, reason: string): false {
    this.#fail(new ProtocolError(code, reason));
    return false;
  }

  /** _Fail the WebSocket Connection_ (RFC 6455 §7.1.7) for a peer or extension error. */
  #fail(error: ProtocolError): void {
    if ((this.#flags & (FAILED | ENDED)) !== 0) return;
    this.#flags |= FAILED;
    const reason = failureCloseReason(error.closeCode, error.message);
    this.#terminate(encodeClosePayload(error.closeCode, reason));
    this.#handler.onFail(error);
  }

  /** Shared by peer and local failures: close frame now, input off, pending work dropped. */
  #terminate(closePayload: Uint8Array): void {
    this.#flags |= INPUT_CLOSED;
    this.#state = 3;
    this.#dropHeldInput();
    this.#dropParser();
    this.#dropPendingSends();
    this.#dropDeferred();
    if ((this.#flags & CLOSE_WRITTEN) === 0) {
      this.#flags |= CLOSE_SENT;
      this.#writeClose(closePayload);
    }
    this.#dispose();
  }

  // ---- sending --------------------------------------------------------------------------

  #send(opcode: number, data: Uint8Array, options: SendOptions | undefined): void {
    let fin = true;
    let compress: boolean | undefined;
    let done: (() => void) | undefined;
    if (options !== undefined) {
      fin = options.fin ?? true;
      compress = options.compress;
      done = options.done;
    }
    const frameOpcode = this.#frameOpcode(opcode, fin);
    let encodeMask = 0;
    if (frameOpcode !== 0 && fin && this.#settings.extensions.length !== 0 && compress !== false) {
      const extensions = this.#settings.extensions;
      for (let i = 0; i < extensions.length; i++) {
        if (compress === true || extensions[i]!.shouldEncode(data.length, opcode === 2)) {
          encodeMask |= 1 << i;
        }
      }
    }
    const ext = this.#ext;
    if (encodeMask === 0 && (ext === null || !this.#sendsWaiting())) {
      this.#writeFrame(fin, 0, frameOpcode, data);
      done?.();
      if ((this.#flags & DEFERRED) !== 0 && this.#txOpcode === 0) this.#sendDeferred();
      return;
    }
    // Only with extensions: an encode is running or sends wait behind one.
    const pipeline = ext!;
    if (pipeline.sendQueue === NO_SENDS) pipeline.sendQueue = [];
    pipeline.sendQueue.push({
      opcode: frameOpcode,
      fin,
      rsv: 0,
      encodeMask,
      data,
      size: data.length,
      done,
    });
    pipeline.pendingLength += data.length;
    if ((this.#flags & ENCODING) === 0) this.#pumpSends(pipeline);
    if ((this.#flags & DEFERRED) !== 0 && this.#txOpcode === 0) this.#sendDeferred();
  }

  #sendPrepared(message: PreparedMessage, done: (() => void) | undefined): void {
    const opcode = message.isBinary ? Opcode.Binary : Opcode.Text;
    if ((this.#flags & CLIENT) !== 0) {
      // A client masks every frame with a fresh key: the shared bytes cannot be used.
      this.#send(opcode, message.data, { compress: message.compress, done });
      return;
    }
    let frames: Uint8Array | null = message.frame;
    const ext = this.#ext;
    if (ext !== null && message.compress !== false) {
      const extensions = this.#settings.extensions;
      const data = message.data;
      let encode = message.compress === true;
      for (let i = 0; !encode && i < extensions.length; i++) {
        encode = extensions[i]!.shouldEncode(data.length, message.isBinary);
      }
      if (encode) {
        frames = extensions.length === 1 ? message.frameFor(extensions[0]!) : null;
        if (frames === null) {
          // Compression wanted but not shareable: this connection compresses its own copy.
          this.#send(opcode, data, { compress: message.compress, done });
          return;
        }
      }
    }
    if (ext !== null && this.#sendsWaiting()) {
      if (ext.sendQueue === NO_SENDS) ext.sendQueue = [];
      ext.sendQueue.push({
        opcode: PREPARED_FRAMES,
        fin: true,
        rsv: 0,
        encodeMask: 0,
        data: frames,
        size: frames.length,
        done,
      });
      ext.pendingLength += frames.length;
      return;
    }
    this.#writeFrames(frames);
    done?.();
  }

  /** Our fragmented message ended: send the prepared messages that waited for it, in order. */
  #sendDeferred(): void {
    const deferred = deferredPrepared.get(this);
    this.#flags &= ~DEFERRED;
    deferredPrepared.delete(this);
    if (deferred === undefined) return;
    for (let i = 0; i < deferred.length; i++) {
      const item = deferred[i]!;
      this.#sendPrepared(item.message, item.done);
    }
  }

  /** Drops prepared messages waiting for a fragmented message that will never end. */
  #dropDeferred(): void {
    if ((this.#flags & DEFERRED) === 0) return;
    this.#flags &= ~DEFERRED;
    deferredPrepared.delete(this);
  }

  /** An encode is running or sends wait for one (connections with extensions only). */
  #sendsWaiting(): boolean {
    return (this.#flags & ENCODING) !== 0 || this.#sendsQueued();
  }

  #sendsQueued(): boolean {
    return this.#ext !== null && this.#ext.sendQueue.length !== 0;
  }

  /**
   * The opcode of the next data frame of a message of type `opcode` (0 when it continues a
   * fragmented one), tracking fragmentation.
   * @throws TypeError when a fragmented message of the other type is unfinished.
   */
  #frameOpcode(opcode: number, fin: boolean): number {
    const current = this.#txOpcode;
    if (current === 0) {
      if (!fin) this.#txOpcode = opcode;
      return opcode;
    }
    if (current !== opcode) {
      throw new TypeError(
        current === Opcode.Text
          ? 'a text message is being sent in fragments: continue it with sendText'
          : 'a binary message is being sent in fragments: continue it with sendBinary',
      );
    }
    if (fin) this.#txOpcode = 0;
    return 0;
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
    if (ext !== null && this.#sendsWaiting()) {
      if (ext.sendQueue === NO_SENDS) ext.sendQueue = [];
      ext.sendQueue.push({
        opcode: Opcode.Close,
        fin: true,
        rsv: 0,
        encodeMask: 0,
        data: payload,
        size: 0,
        done: undefined,
      });
    } else {
      this.#writeClose(payload);
    }
  }

  /** Writes queued sends in order, starting encodes; stops while one is asynchronous. */
  #pumpSends(ext: ExtensionState): void {
    const queue = ext.sendQueue;
    const extensions = this.#settings.extensions;
    while (
      queue.length !== 0 &&
      (this.#flags & ENCODING) === 0 &&
      (this.#flags & FAILED) === 0 &&
      (this.#flags & ENDED) === 0
    ) {
      const item = queue[0]!;
      if (item.encodeMask !== 0) {
        const index = 31 - Math.clz32(item.encodeMask & -item.encodeMask);
        item.encodeMask &= item.encodeMask - 1;
        item.rsv |= extensions[index]!.rsvBit;
        this.#flags |= ENCODING;
        this.#flags |= IN_ENCODE_CALL;
        try {
          extensions[index]!.encode(item.data, ext.encodeCallback ?? this.#newEncodeCallback(ext));
        } catch (error) {
          this.#onEncoded(error instanceof Error ? error : new Error(String(error)));
        } finally {
          this.#flags &= ~IN_ENCODE_CALL;
        }
        continue;
      }
      queue.shift();
      if (item.opcode === Opcode.Close) {
        this.#writeClose(item.data);
        continue;
      }
      if (item.opcode === PREPARED_FRAMES) {
        ext.pendingLength -= item.size;
        this.#writeFrames(item.data);
        item.done?.();
        continue;
      }
      ext.pendingLength -= item.size;
      this.#writeFrame(item.fin, item.rsv, item.opcode, item.data);
      item.done?.();
    }
    this.#disposeWhenIdle();
  }

  #onEncoded(error: Error | null, data?: Uint8Array): void {
    if (
      (this.#flags & ENCODING) === 0 ||
      (this.#flags & FAILED) !== 0 ||
      (this.#flags & ENDED) !== 0
    )
      return;
    this.#flags &= ~ENCODING;
    if (error !== null) {
      this.#fail(
        error instanceof ProtocolError
          ? error
          : new ProtocolError(CloseCode.InternalError, 'extension failed to encode', {
              cause: error,
            }),
      );
      return;
    }
    const ext = this.#ext!;
    ext.sendQueue[0]!.data = data ?? EMPTY;
    if ((this.#flags & IN_ENCODE_CALL) === 0) this.#pumpSends(ext);
  }

  #dropPendingSends(): void {
    const ext = this.#ext;
    if (ext !== null) {
      ext.sendQueue = NO_SENDS;
      ext.pendingLength = 0;
    }
    this.#flags &= ~ENCODING;
  }

  #writeClose(payload: Uint8Array): void {
    this.#flags |= CLOSE_WRITTEN;
    this.#writeFrame(true, 0, Opcode.Close, payload);
  }

  /** Writes whole frames (a prepared message) to the output. */
  #writeFrames(bytes: Uint8Array): void {
    if ((this.#flags & ENDED) !== 0) return;
    const output = this.#output ?? this.#outputQueue();
    const wasEmpty = output.length === 0;
    output.writeFrames(bytes);
    if (wasEmpty) this.#handler.onOutput();
  }

  #writeFrame(fin: boolean, rsv: number, opcode: number, payload: Uint8Array): void {
    // After the transport ended there is nowhere to write to.
    const flags = this.#flags;
    if ((flags & ENDED) !== 0) return;
    const output = this.#output ?? this.#outputQueue();
    const wasEmpty = output.length === 0;
    if ((flags & CLIENT) !== 0) {
      output.writeMasked(fin, rsv, opcode, payload, this.#nextMaskKey(), this.#settings.masking);
    } else {
      output.write(fin, rsv, opcode, payload);
    }
    if (wasEmpty) this.#handler.onOutput();
  }

  /** The next mask key from the random pool (refilled in blocks, not once per frame). */
  #nextMaskKey(): number {
    const masks = this.#masks!;
    let offset = masks.offset;
    let keys = masks.keys;
    if (offset === MASK_KEY_POOL_BYTES) {
      if (keys === null) {
        keys = new Uint8Array(MASK_KEY_POOL_BYTES);
        masks.keys = keys;
      }
      masks.randomFill(keys);
      offset = 0;
    }
    masks.offset = offset + 4;
    return (
      ((keys![offset]! << 24) |
        (keys![offset + 1]! << 16) |
        (keys![offset + 2]! << 8) |
        keys![offset + 3]!) >>>
      0
    );
  }

  // ---- teardown -------------------------------------------------------------------------

  /** Disposes the extensions once the handshake is complete and nothing is in flight. */
  #disposeWhenIdle(): void {
    if (
      this.#state === 3 &&
      (this.#flags & CLOSE_WRITTEN) !== 0 &&
      (this.#flags & ENCODING) === 0 &&
      (this.#flags & DECODING) === 0 &&
      !this.#sendsQueued()
    ) {
      this.#dispose();
    }
  }

  #dispose(): void {
    if ((this.#flags & DISPOSED) !== 0) return;
    this.#flags |= DISPOSED;
    for (const extension of this.#settings.extensions) extension.dispose();
  }

  // ---- lazily created parts ---------------------------------------------------------------

  #outputQueue(): OutputQueue {
    let output = this.#output;
    if (output === null) {
      output = new OutputQueue(this.#settings.coalesceLimit);
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
    if (this.#ext !== null && this.#decodeBusy(this.#ext)) rx.parser = null;
    else this.#rx = null;
  }

  #newDecodeCallback(ext: ExtensionState): TransformCallback {
    const callback: TransformCallback = (error, data) => this.#onDecoded(error, data);
    ext.decodeCallback = callback;
    return callback;
  }

  #newEncodeCallback(ext: ExtensionState): TransformCallback {
    const callback: TransformCallback = (error, data) => this.#onEncoded(error, data);
    ext.encodeCallback = callback;
    return callback;
  }

  static {
    ReceiveStateClass = class implements ReceiveState {
      readonly connection: Connection;
      parser: FrameParser | null;
      rxOpcode = 0;
      rxRsv = 0;
      rxFragments = 0;
      rxLength = 0;
      msgOpcode = 0;
      msgParts: Uint8Array[] = NO_PARTS;
      msgLength = 0;
      utf8: Utf8Validator | null = null;
      constructor(connection: Connection, parser: FrameParser) {
        this.connection = connection;
        this.parser = parser;
      }
      frame(header: FrameHeader, payload: Uint8Array): boolean {
        return this.connection.#onFrame(this, header, payload);
      }
    };
  }
}

function resetMessage(rx: ReceiveState): void {
  rx.msgOpcode = 0;
  rx.msgLength = 0;
  rx.msgParts = NO_PARTS;
}
