/**
 * A client's mask keys (RFC 6455 §5.3: a fresh, unpredictable key per frame), drawn from a
 * pool of random bytes refilled in blocks rather than one random call per frame.
 */

/** Mask keys drawn per refill of the random pool (64 keys). */
const POOL_BYTES = 256;

/** One client connection's source of mask keys. */
export class MaskKeySource {
  readonly #randomFill: (bytes: Uint8Array) => void;
  #keys: Uint8Array | null = null;
  #offset = POOL_BYTES;

  /** @param randomFill - fills a buffer with cryptographically strong random bytes */
  constructor(randomFill: (bytes: Uint8Array) => void) {
    this.#randomFill = randomFill;
  }

  /** The next key: 4 random bytes read big-endian as an unsigned 32-bit integer. */
  next(): number {
    let offset = this.#offset;
    let keys = this.#keys;
    if (offset === POOL_BYTES) {
      if (keys === null) {
        keys = new Uint8Array(POOL_BYTES);
        this.#keys = keys;
      }
      this.#randomFill(keys);
      offset = 0;
    }
    this.#offset = offset + 4;
    return (
      ((keys![offset]! << 24) |
        (keys![offset + 1]! << 16) |
        (keys![offset + 2]! << 8) |
        keys![offset + 3]!) >>>
      0
    );
  }
}
