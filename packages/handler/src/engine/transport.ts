/**
 * The seam between the portable engine driver and a runtime's raw TCP connection
 * (`Bun.listen`'s socket, `Deno.listen`'s `Deno.Conn`): what the driver asks of a transport,
 * and the events the runtime adapter hands back. Portable (types only).
 */

/** One raw, bidirectional byte stream (a TCP connection) as the runtime adapter wraps it. */
export interface RawTransport {
  /** The peer's IP address, when known. */
  readonly remoteAddress: string | undefined;
  /**
   * Bytes handed to {@link RawTransport.write} that the operating system has not taken yet (the
   * adapter's own queue). The driver adds it to the engine's queue for `bufferedAmount`.
   */
  readonly queuedBytes: number;
  /**
   * Queues bytes for the network, in order (all of them: the transport keeps what the
   * operating system does not take at once and reports {@link TransportEvents.drained} when
   * its queue is empty). The chunks are the transport's from now on.
   */
  write(chunks: readonly Uint8Array[]): void;
  /** Closes after the queued bytes are written (TCP FIN). */
  end(): void;
  /** Closes now; queued bytes are dropped. */
  destroy(): void;
  /** Stops reading (the peer is pushed back by TCP flow control). */
  pause(): void;
  /** Reads again. */
  resume(): void;
}

/** What the runtime adapter reports to the driver, in this order for one connection. */
export interface TransportEvents {
  /** Bytes arrived (the chunk is the driver's from now on). */
  data(chunk: Uint8Array): void;
  /** The peer ended its side (TCP FIN). */
  eof(): void;
  /** The transport's write queue emptied. */
  drained(): void;
  /** The connection is closed (always reported exactly once, whatever ended it). */
  closed(): void;
}
