/**
 * permessage-deflate examples of RFC 7692 §7.2.3 (all decompress to "Hello"; each was checked
 * with zlib's raw inflate after appending 00 00 ff ff).
 */
import { ascii, hex } from './bytes.js';

/** A compressed message payload as on the wire (the trailing 00 00 ff ff removed). */
export interface DeflateVector {
  readonly name: string;
  readonly source: string;
  /** The uncompressed message. */
  readonly message: Uint8Array;
  /** The compressed payload of the message's frame(s), without the 00 00 ff ff tail. */
  readonly compressed: Uint8Array;
  /** The frames on the wire, unmasked, RSV1 set on the first. */
  readonly frames: readonly Uint8Array[];
  /**
   * Messages to inflate first with the same (taken-over) context, oldest first; empty when
   * the vector stands alone.
   */
  readonly context: readonly Uint8Array[];
}

/** The tail removed from every compressed message and appended again before inflating. */
export const DEFLATE_TAIL: Uint8Array = hex('00 00 ff ff');

const HELLO = ascii('Hello');
const HELLO_COMPRESSED = hex('f2 48 cd c9 c9 07 00');

/** Names of {@link RFC7692_EXAMPLES}. */
export type Rfc7692ExampleName =
  | 'helloOneBlock'
  | 'helloFragmented'
  | 'helloSecondWithContextTakeover'
  | 'helloNoCompression'
  | 'helloBfinal'
  | 'helloTwoBlocks';

/** RFC 7692 §7.2.3.1–§7.2.3.5. */
export const RFC7692_EXAMPLES: Readonly<Record<Rfc7692ExampleName, DeflateVector>> = {
  helloOneBlock: {
    name: '"Hello" compressed in one DEFLATE block',
    source: 'RFC 7692 §7.2.3.1',
    message: HELLO,
    compressed: HELLO_COMPRESSED,
    frames: [hex('c1 07 f2 48 cd c9 c9 07 00')],
    context: [],
  },
  helloFragmented: {
    name: '"Hello" compressed, sent in two fragments',
    source: 'RFC 7692 §7.2.3.1',
    message: HELLO,
    compressed: HELLO_COMPRESSED,
    frames: [hex('41 03 f2 48 cd'), hex('80 04 c9 c9 07 00')],
    context: [],
  },
  helloSecondWithContextTakeover: {
    name: 'a second "Hello" with the sliding window of the first (context takeover)',
    source: 'RFC 7692 §7.2.3.2',
    message: HELLO,
    compressed: hex('f2 00 11 00 00'),
    frames: [hex('c1 05 f2 00 11 00 00')],
    context: [HELLO],
  },
  helloNoCompression: {
    name: '"Hello" in a DEFLATE block with no compression',
    source: 'RFC 7692 §7.2.3.3',
    message: HELLO,
    compressed: hex('00 05 00 fa ff 48 65 6c 6c 6f 00'),
    frames: [hex('c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00')],
    context: [],
  },
  helloBfinal: {
    name: '"Hello" in a DEFLATE block with BFINAL set',
    source: 'RFC 7692 §7.2.3.4',
    message: HELLO,
    compressed: hex('f3 48 cd c9 c9 07 00 00'),
    frames: [hex('c1 08 f3 48 cd c9 c9 07 00 00')],
    context: [],
  },
  helloTwoBlocks: {
    name: '"Hello" in two DEFLATE blocks',
    source: 'RFC 7692 §7.2.3.5',
    message: HELLO,
    compressed: hex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00'),
    frames: [hex('c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00')],
    context: [],
  },
};
