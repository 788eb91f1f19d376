/**
 * The `Message` every adapter hands to the `message` hook: one wrapper over the received
 * payload (a string or bytes, as the runtime delivers it) that decodes or encodes at most once.
 * Portable.
 */
import type { Message, MessageType } from '../types.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

class ReceivedMessage implements Message {
  readonly isBinary: boolean;
  #text: string | undefined;
  #bytes: Uint8Array | undefined;

  constructor(data: string | Uint8Array, isBinary: boolean) {
    this.isBinary = isBinary;
    if (typeof data === 'string') this.#text = data;
    else this.#bytes = data;
  }

  get type(): MessageType {
    return this.isBinary ? 'binary' : 'text';
  }

  text(): string {
    if (this.#text === undefined) this.#text = decoder.decode(this.#bytes);
    return this.#text;
  }

  bytes(): Uint8Array {
    if (this.#bytes === undefined) this.#bytes = encoder.encode(this.#text);
    return this.#bytes;
  }

  uint8Array(): Uint8Array {
    return this.bytes();
  }

  arrayBuffer(): ArrayBuffer {
    const bytes = this.bytes();
    if (
      bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer
    ) {
      return bytes.buffer;
    }
    return bytes.slice().buffer as ArrayBuffer;
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  toString(): string {
    return this.text();
  }
}

/**
 * Wraps a received payload. `data` is a string for text the runtime already decoded, or the
 * bytes (text or binary) as received; the wrapper takes ownership of the bytes.
 */
export function createMessage(data: string | Uint8Array, isBinary: boolean): Message {
  return new ReceivedMessage(data, isBinary);
}
