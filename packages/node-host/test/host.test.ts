// @strata-ws/node-host: bufferutil's mask gives the codec's bytes at every offset and length,
// the switches that turn it off (Strata's and ws's) work, and the process-wide fast paths give
// the portable code's answers.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { isValidUtf8, maskInto, processMaskImplementation } from '@strata-ws/codec';
import { computeAccept } from '@strata-ws/handshake';
import { describe, expect, it, vi } from 'vitest';
import { allocateBuffer, installNodeHost, nodeMasking } from '../src/index.js';

const require = createRequire(import.meta.url);
const hasBufferUtil = (() => {
  try {
    require('bufferutil');
    return true;
  } catch {
    return false;
  }
})();

describe('nodeMasking (bufferutil, per connection)', () => {
  it.runIf(hasBufferUtil)('masks and copy-masks exactly as the codec does', () => {
    const masking = nodeMasking();
    expect(masking).not.toBeNull();
    expect(nodeMasking()).toBe(masking); // loaded once
    for (const length of [0, 1, 3, 95, 96, 1000, 65_537]) {
      const source = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
      for (const keyOffset of [0, 1, 2, 3]) {
        const expected = new Uint8Array(length + 3);
        const actual = new Uint8Array(length + 3);
        maskInto(source, expected, 3, 0x37fa213d, keyOffset, null);
        masking!.maskInto(source, actual, 3, 0x37fa213d, keyOffset);
        expect(actual).toEqual(expected);
        const inPlace = source.slice();
        masking!.mask(inPlace, 0x37fa213d, keyOffset);
        expect(inPlace).toEqual(expected.subarray(3));
      }
    }
    // Per connection only: the codec's process-wide seam is untouched.
    expect(processMaskImplementation()).toEqual({ mask: null, maskInto: null });
  });

  it.each(['STRATA_NO_BUFFERUTIL', 'WS_NO_BUFFER_UTIL'])('is off with %s=1', async (name) => {
    vi.stubEnv(name, '1');
    vi.resetModules();
    try {
      const fresh = (await import('../src/index.js')) as typeof import('../src/index.js');
      expect(fresh.nodeMasking()).toBeNull();
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});

describe('installNodeHost (process-wide, same answers)', () => {
  it('SHA-1 and UTF-8 answer as before, and installing twice is harmless', () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const before = computeAccept(key);
    installNodeHost();
    installNodeHost();
    expect(computeAccept(key)).toBe(before);
    expect(before).toBe(
      createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'),
    );
    expect(isValidUtf8(new Uint8Array([0xe2, 0x82, 0xac]))).toBe(true);
    expect(isValidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(false); // a surrogate
  });

  it('allocateBuffer hands out Buffers of the asked length', () => {
    const bytes = allocateBuffer(17);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.length).toBe(17);
  });
});
