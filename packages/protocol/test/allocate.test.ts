/**
 * The `allocate` option on the input side: payloads split across reads and messages
 * reassembled from fragments live in buffers from the host's allocator (a Node facade passes
 * `allocUnsafe`: memory that is not zeroed), and every byte handed to `onMessage` was written
 * from the wire, whatever the chunking.
 */

import type { ConnectionHandler } from '@strata-ws/protocol';
import { describe, expect, it } from 'vitest';
import { Connection, concatBytes, feed, frame } from './helpers.js';

/** A recognisable buffer type, full of 0xee when handed out (as unzeroed memory may be). */
class HostBytes extends Uint8Array {}

function poisoned() {
  const sizes: number[] = [];
  const allocate = (length: number): Uint8Array => {
    sizes.push(length);
    return new HostBytes(length).fill(0xee);
  };
  return { sizes, allocate };
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A server connection whose handler keeps the delivered views themselves (not copies). */
function viewServer(allocate: (length: number) => Uint8Array) {
  const messages: Uint8Array[] = [];
  const fails: number[] = [];
  const handler: ConnectionHandler = {
    onMessage: (data) => messages.push(data),
    onPing() {},
    onPong() {},
    onClose() {},
    onFail: (error) => fails.push(error.closeCode),
    onOutput() {},
  };
  return { conn: new Connection(handler, { role: 'server', allocate }), messages, fails };
}

describe('allocate: the input side', () => {
  it('a frame split across reads is gathered in the host allocator’s buffer, byte-exact', () => {
    for (const size of [300, 5000, 70_000]) {
      const host = poisoned();
      const { conn, messages, fails } = viewServer(host.allocate);
      const payload = pattern(size, size);
      feed(conn, frame(2, payload), Math.ceil(size / 3)); // three or four reads
      expect(fails).toEqual([]);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toBeInstanceOf(HostBytes);
      expect(sameBytes(messages[0]!, payload)).toBe(true);
      // The last buffer is the payload's exact size (nothing unwritten is handed out).
      expect(host.sizes.at(-1)).toBe(size);
    }
  });

  it('a fragmented message is reassembled in the host allocator’s buffer, byte-exact', () => {
    const host = poisoned();
    const { conn, messages, fails } = viewServer(host.allocate);
    const parts = [pattern(700, 1), pattern(1500, 2), pattern(3, 3), pattern(2100, 4)];
    const wire = concatBytes(
      frame(2, parts[0]!, { fin: false }),
      frame(0, parts[1]!, { fin: false }),
      frame(0, parts[2]!, { fin: false }),
      frame(0, parts[3]!),
    );
    feed(conn, wire, 512);
    expect(fails).toEqual([]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toBeInstanceOf(HostBytes);
    expect(sameBytes(messages[0]!, concatBytes(...parts))).toBe(true);
  });
});
