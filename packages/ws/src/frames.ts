/**
 * `ws`'s low-level `Receiver` (a Writable that turns bytes into `message` / `ping` / `pong` /
 * `conclude` events) and `Sender` (frames written to a socket), both thin adapters over one
 * `@strata-ws/protocol` `Connection`: no framing rule of their own.
 */
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { Connection } from '@strata-ws/protocol';
import { EMPTY_BUFFER, WS_DEFAULT_MAX_PAYLOAD } from './constants.js';
import { type BinaryType, toBytes, wsLimits } from './util.js';

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Options of {@link Receiver}. */
export interface ReceiverOptions {
  /** How binary messages are delivered. Default `nodebuffer`. */
  binaryType?: BinaryType;
  /** True: parse a client's (masked) frames. Default false. */
  isServer?: boolean;
  /** Largest message; 0 = no limit. Default 100 MiB. */
  maxPayload?: number;
  /** Accepted for compatibility (text is always validated). */
  skipUTF8Validation?: boolean;
}

/** Parses WebSocket frames written to it; emits `message`, `ping`, `pong`, `conclude`, `error`. */
export class Receiver extends Writable {
  #conn: Connection;

  /** @param options - see {@link ReceiverOptions} */
  constructor(options: ReceiverOptions = {}) {
    super();
    const role = options.isServer === true ? 'server' : 'client';
    const limits = wsLimits(options.maxPayload ?? WS_DEFAULT_MAX_PAYLOAD, role);
    const binaryType = options.binaryType ?? 'nodebuffer';
    this.#conn = new Connection(
      {
        onMessage: (data, isBinary) => {
          const buf = asBuffer(data);
          if (!isBinary || binaryType === 'nodebuffer') this.emit('message', buf, isBinary);
          else if (binaryType === 'arraybuffer') {
            this.emit(
              'message',
              buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length),
              true,
            );
          } else this.emit('message', [buf], true);
        },
        onPing: (data) => this.emit('ping', asBuffer(data)),
        onPong: (data) => this.emit('pong', asBuffer(data)),
        onClose: (code, reason) =>
          this.emit('conclude', code, reason === '' ? EMPTY_BUFFER : Buffer.from(reason)),
        onFail: (error) => this.emit('error', error),
        onOutput: () => {},
      },
      {
        role,
        ...limits,
        autoPong: false,
      },
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.#conn.receive(chunk);
    this.#conn.takeOutput();
    callback();
  }
}

/** Options of one {@link Sender.send}. */
export interface SenderSendOptions {
  /** Binary frame (default: text). */
  binary?: boolean;
  /** Accepted (no extension is attached to a bare Sender). */
  compress?: boolean;
  /** false: a fragment. Default true. */
  fin?: boolean;
  /** Mask the frame (client frames). Default false. */
  mask?: boolean;
}

/** Writes WebSocket frames to a socket. Masked or not is fixed by the first call's `mask`. */
export class Sender {
  #socket: Duplex;
  #conn: Connection | null = null;

  /** @param socket - where frames are written */
  constructor(socket: Duplex) {
    this.#socket = socket;
  }

  #connection(mask: boolean | undefined): Connection {
    if (this.#conn === null) {
      this.#conn = new Connection(
        {
          onMessage: () => {},
          onPing: () => {},
          onPong: () => {},
          onClose: () => {},
          onFail: () => {},
          onOutput: () => {},
        },
        { role: mask === true ? 'client' : 'server' },
      );
    }
    return this.#conn;
  }

  #write(conn: Connection, cb?: (error?: Error | null) => void): void {
    const chunks = conn.takeOutput();
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) this.#socket.write(chunks[i] as Uint8Array);
    if (last >= 0) this.#socket.write(chunks[last] as Uint8Array, cb);
    else if (cb !== undefined) process.nextTick(cb);
  }

  /** Sends a data frame. */
  send(data: unknown, options: SenderSendOptions, cb?: (error?: Error | null) => void): void {
    const conn = this.#connection(options.mask);
    const fin = options.fin !== false;
    if (options.binary === true) conn.sendBinary(toBytes(data), { fin, compress: false });
    else conn.sendText(typeof data === 'string' ? data : toBytes(data), { fin, compress: false });
    this.#write(conn, cb);
  }

  /** Sends a ping frame. */
  ping(data: unknown, mask: boolean, cb?: (error?: Error | null) => void): void {
    const conn = this.#connection(mask);
    conn.ping(toBytes(data));
    this.#write(conn, cb);
  }

  /** Sends a pong frame. */
  pong(data: unknown, mask: boolean, cb?: (error?: Error | null) => void): void {
    const conn = this.#connection(mask);
    conn.pong(toBytes(data));
    this.#write(conn, cb);
  }

  /** Sends a close frame. */
  close(
    code: number | undefined,
    data: string | Buffer | undefined,
    mask: boolean,
    cb?: (error?: Error | null) => void,
  ): void {
    const conn = this.#connection(mask);
    if (code === undefined) conn.close();
    else conn.close(code, data === undefined ? undefined : String(data));
    this.#write(conn, cb);
  }
}
