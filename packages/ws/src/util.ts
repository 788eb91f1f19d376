/**
 * Small shared pieces of the `ws` facade: its data types, conversions between the engine's
 * `Uint8Array`s and `ws`'s Buffer / ArrayBuffer forms, `ws`'s "not open" error and the mapping
 * of `maxPayload` onto the engine's limits table.
 */
import { type Limits, type MessageExtension, resolveLimits } from '@strata-ws/protocol';
import { EMPTY_BUFFER, READY_STATE_NAMES } from './constants.js';

/** What `message` events carry: a Buffer, an ArrayBuffer or Buffer fragments (`binaryType`). */
export type RawData = Buffer | ArrayBuffer | Buffer[];
/** What `send` accepts. */
export type Data = string | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[];
/** `binaryType` values. */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments';

/** Options of `send`. */
export interface SendOptions {
  /** Send as a binary frame; default: true unless `data` is a string. */
  binary?: boolean;
  /** Compress (when permessage-deflate was negotiated and the message reaches its threshold). */
  compress?: boolean;
  /** false: a fragment; the next `send` continues the message. Default true. */
  fin?: boolean;
  /** Accepted for compatibility; the engine masks exactly when the role requires it. */
  mask?: boolean;
}

/** How a connection is set up once its handshake is done (internal seam of client and server). */
export interface SocketSetup {
  /** `maxPayload`: largest message; 0 = no limit. */
  maxPayload: number;
  /** Negotiated extensions (permessage-deflate). */
  extensions?: readonly MessageExtension[];
  /** `generateMask` wrapped as the engine's random source (client). */
  randomFill?: (bytes: Uint8Array) => void;
  /** `allowSynchronousEvents` (accepted; events are synchronous). */
  allowSynchronousEvents?: boolean;
  /** `skipUTF8Validation` (accepted; text is always validated). */
  skipUTF8Validation?: boolean;
}

/** `ws`'s error codes (doc/ws.md "Error codes") by the engine's reason, checked in order. */
const WS_CODES_BY_REASON: ReadonlyArray<readonly [RegExp, string]> = [
  [/unmasked/i, 'WS_ERR_EXPECTED_MASK'],
  [/masked/i, 'WS_ERR_UNEXPECTED_MASK'],
  [/UTF-8/i, 'WS_ERR_INVALID_UTF8'],
  [/RSV/, 'WS_ERR_UNEXPECTED_RSV_1'],
  [/fragmented control/i, 'WS_ERR_EXPECTED_FIN'],
  [/control frame payload|close payload/i, 'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH'],
  [/close code|invalid close/i, 'WS_ERR_INVALID_CLOSE_CODE'],
  [/length/i, 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'],
];

/** `ws`'s `error.code` for a protocol error of the engine (`WS_ERR_*`). */
export function wsErrorCode(closeCode: number, reason: string): string {
  if (closeCode === 1009) return 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
  for (const [pattern, code] of WS_CODES_BY_REASON) if (pattern.test(reason)) return code;
  // opcode errors, continuation without a message, a new message inside one: ws's invalid opcode
  return closeCode === 1002 ? 'WS_ERR_INVALID_OPCODE' : 'WS_ERR_INVALID_FRAME';
}

let wsInstances = 0;

/** Counts one more WebSocket object. */
export function countInstance(): void {
  wsInstances++;
}

/** How many WebSocket objects this package created (lets tests prove a dependent used it). */
export function instancesCreated(): number {
  return wsInstances;
}

export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function toArrayBuffer(data: Uint8Array): ArrayBuffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    return data.buffer as ArrayBuffer;
  }
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

/** The bytes of anything `send`/`ping` accept (strings are UTF-8 encoded). */
export function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  if (data === undefined || data === null) return EMPTY_BUFFER;
  return Buffer.from(String(data));
}

export function notOpen(state: number): Error {
  return new Error(`WebSocket is not open: readyState ${state} (${READY_STATE_NAMES[state]})`);
}

/** Does nothing (a swallowing listener). */
export function noop(): void {}

/**
 * The engine's limits for `ws`'s `maxPayload` (one message, 0 = none): frame and message size
 * both bounded by it, the rest the engine's defaults for the role.
 * @throws RangeError / TypeError naming `maxPayload` for a value that is not a number
 */
export function wsLimits(maxPayload: number, role: 'client' | 'server'): Limits {
  const max = maxPayload > 0 ? maxPayload : Number.POSITIVE_INFINITY;
  return resolveLimits({ maxPayload: max, maxMessageSize: max }, { role });
}
