import { createRequire } from 'node:module';
import { mask, maskInto } from '@strata-ws/codec';
import { describe, expect, it } from 'vitest';
import { installNodeHost } from '../src/host.js';

function reference(data: Uint8Array, maskKey: number, keyOffset: number): Uint8Array {
  const out = data.slice();
  for (let i = 0; i < out.length; i++) {
    out[i]! ^= (maskKey >>> (24 - 8 * ((i + keyOffset) & 3))) & 0xff;
  }
  return out;
}

describe('Node host fast paths', () => {
  it('masks like RFC 6455 §5.3 at every key offset and length with the native mask installed', () => {
    // bufferutil is installed in this workspace: the lengths >= 256 take the native path.
    expect(typeof createRequire(import.meta.url)('bufferutil').mask).toBe('function');
    installNodeHost();
    for (const length of [0, 1, 95, 96, 255, 256, 257, 1000, 65_537]) {
      for (const keyOffset of [0, 1, 2, 3]) {
        const data = new Uint8Array(length).map((_, i) => (i * 7 + length) & 0xff);
        const maskKey = 0x9a3c51e7 ^ length;
        const expected = reference(data, maskKey, keyOffset);
        mask(data, maskKey, keyOffset);
        expect(Buffer.compare(data, expected), `${length}/${keyOffset}`).toBe(0);
      }
    }
  });

  it('copies and masks (maskInto) like RFC 6455 §5.3 with the native copy-and-mask installed', () => {
    installNodeHost();
    for (const length of [0, 1, 95, 96, 255, 256, 257, 1000, 65_537]) {
      for (const keyOffset of [0, 1, 2, 3]) {
        const source = new Uint8Array(length).map((_, i) => (i * 5 + length) & 0xff);
        const before = source.slice();
        const maskKey = 0x1f2e3d4c ^ length;
        const target = new Uint8Array(length + 9).fill(0xee);
        maskInto(source, target, 5, maskKey, keyOffset);
        const expected = new Uint8Array(length + 9).fill(0xee);
        expected.set(reference(source, maskKey, keyOffset), 5);
        expect(Buffer.compare(target, expected), `${length}/${keyOffset}`).toBe(0);
        expect(Buffer.compare(source, before)).toBe(0);
      }
    }
  });
});
