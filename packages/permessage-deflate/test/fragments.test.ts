/**
 * A compressed message in many small fragments (issue #13, Autobahn group 12/13 style): it
 * decodes whole, and the fragments waiting for the final one cost their bytes — no record
 * per fragment — in the pooled mode that gathers them.
 */
import { deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DeflateAgreement } from '../src/index.js';
import { createPerMessageDeflate, type PerMessageDeflate } from '../src/node/index.js';

const agreement: DeflateAgreement = {
  role: 'server',
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function decode(ext: PerMessageDeflate, data: Uint8Array, fin: boolean): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    ext.decode(data, fin, 1 << 26, (error, out) =>
      error ? reject(error) : resolve(out as Uint8Array),
    );
  });
}

function compressed(plain: Uint8Array): Uint8Array {
  const out = deflateRawSync(plain, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4); // RFC 7692 §7.2.1: without 00 00 ff ff
}

describe('compressed messages in many fragments', () => {
  it('a 64 KiB message in 7-byte fragments decodes whole', async () => {
    const plain = new Uint8Array(64 * 1024);
    for (let i = 0; i < plain.length; i++) plain[i] = (i * 7919) % 251;
    const wire = compressed(plain);
    const ext = createPerMessageDeflate(agreement);
    const parts: Uint8Array[] = [];
    for (let o = 0; o < wire.length; o += 7) {
      const fin = o + 7 >= wire.length;
      parts.push(await decode(ext, wire.subarray(o, o + 7), fin));
    }
    expect(Buffer.concat(parts)).toEqual(Buffer.from(plain));
    expect(ext.retainedBytes).toBe(0);
  });

  it('200,000 one-byte fragments held for the final one cost their bytes, not a record each', async () => {
    const ext = createPerMessageDeflate(agreement);
    const gc = (globalThis as { gc?: () => void }).gc!;
    gc();
    const before = process.memoryUsage();
    const one = new Uint8Array([0x00]);
    for (let i = 0; i < 200_000; i++) await decode(ext, one, false);
    gc();
    const after = process.memoryUsage();
    expect(ext.retainedBytes).toBe(200_000);
    // The bytes (in a buffer at most twice their size) and nothing per fragment: a record
    // per fragment would be ~100 B each, 20 MB here.
    const grown = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    expect(grown).toBeLessThan(3 * 1024 * 1024);
    ext.dispose();
  });
});
