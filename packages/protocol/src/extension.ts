/**
 * The extension pipeline's contract: how a negotiated per-message extension (RFC 6455 §9,
 * e.g. permessage-deflate, RFC 7692) plugs into the connection engine.
 *
 * The engine owns order and backpressure: it never has more than one `encode` and one
 * `decode` call in flight per connection, and waits for the callback before it starts the
 * next one in that direction. Callbacks may run synchronously (inside the call) or later
 * (e.g. from a zlib thread-pool completion); the engine handles both.
 */

/** Completion callback of an extension transform: an error, or the output bytes. */
export type TransformCallback = (error: Error | null, data?: Uint8Array) => void;

/** The RSV bit an extension claims in the first header byte: RSV1, RSV2 or RSV3. */
export type RsvBit = 0x40 | 0x20 | 0x10;

/** A negotiated per-message extension, one instance per connection. */
export interface MessageExtension {
  /** The extension token as negotiated, e.g. `'permessage-deflate'`. */
  readonly name: string;
  /** The RSV bit this extension sets on the first frame of a message it transformed. */
  readonly rsvBit: RsvBit;
  /**
   * Whether an outgoing message of `size` bytes should be transformed (e.g. a compression
   * threshold). The engine asks before each message unless the caller forced a choice.
   */
  shouldEncode(size: number, isBinary: boolean): boolean;
  /**
   * Transform a complete outgoing message payload. The callback receives the bytes to send
   * as the message payload (the engine sets {@link MessageExtension.rsvBit} on its first
   * frame). The input must not be retained after the callback.
   */
  encode(data: Uint8Array, callback: TransformCallback): void;
  /**
   * Transform one incoming frame payload of a message whose first frame carried
   * {@link MessageExtension.rsvBit}. `fin` marks the message's last frame. `maxSize` is
   * the number of output bytes the message may still grow by: exceeding it must end in a
   * `ProtocolError` with close code 1009, detected while transforming, without producing
   * the whole output. Invalid input ends in a `ProtocolError` with close code 1007.
   * The callback receives this frame's output (possibly empty).
   */
  decode(data: Uint8Array, fin: boolean, maxSize: number, callback: TransformCallback): void;
  /** Releases resources (zlib contexts). Pending callbacks may still be called, with errors. */
  dispose(): void;
  /**
   * Optional, for prepared (broadcast) messages: non-zero when a payload from
   * {@link MessageExtension.encodeShared} is valid on this connection whatever it sent before
   * (e.g. permessage-deflate, which a fresh-context payload suits with or without context
   * takeover). Extensions with equal keys must produce identical bytes from `encodeShared`
   * (the frame is built once per key). Read once per prepared send that wants compression, at
   * the moment the message takes its place in this connection's send order, after every
   * message sent before it was given to `encode` (never ahead of time, never cached across
   * sends): an extension may treat the read as "a shared frame follows the messages already
   * encoded".
   */
  readonly sharedEncodingKey?: number;
  /**
   * Optional, with {@link MessageExtension.sharedEncodingKey}: transforms a whole message
   * synchronously without this connection's state (a fresh context), for a frame shared by
   * every connection with the same key. The engine sets `rsvBit` on that frame.
   */
  encodeShared?(data: Uint8Array): Uint8Array;
}
