/**
 * RFC 7692 §7.2 decoding edge cases in every memory mode: decompression limits (zip bombs end
 * in 1009 at the limit without being inflated), final blocks (BFINAL) with and without context
 * takeover, and invalid compressed data (1007).
 */

import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ProtocolError } from '@strata-ws/codec';
import { RFC7692_EXAMPLES } from '@strata-ws/test-vectors';
import { describe, expect, it } from 'vitest';
import { createPerMessageDeflate } from '../../src/node/engine.js';
import {
  agreement,
  decode,
  decodeFrames,
  encode,
  hex,
  MODES,
  modeName,
  pair,
  rejection,
  sample,
} from './helpers.js';

describe('decompression limits (RFC 6455 §10.4, close code 1009)', () => {
  const MiB = 1024 * 1024;
  // 64 MiB of zeros in about 64 KiB: 64 copies of 1 MiB of zeros compressed with a sync flush
  // (each copy is self-contained and ends byte-aligned, so the copies concatenate into one
  // valid stream), minus the final 00 00 ff ff. Cheap to build and to check.
  const segmentZ = deflateRawSync(Buffer.alloc(MiB), {
    level: 9,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  const bombZ = Buffer.concat(Array.from({ length: 64 }, () => segmentZ));
  const bomb = bombZ.subarray(0, bombZ.length - 4);

  it('the bomb is what it claims: 64 x 1 MiB of zeros in under 70 KiB', () => {
    expect(bomb.length).toBeLessThan(70 * 1024);
    const segment = inflateRawSync(segmentZ, { finishFlush: constants.Z_SYNC_FLUSH });
    expect(segment.length).toBe(MiB);
    expect(segment.every((b) => b === 0)).toBe(true);
    // Two segments decode as one stream to 2 MiB: the concatenation is sound.
    const two = inflateRawSync(Buffer.concat([segmentZ, segmentZ]), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    expect(two.length).toBe(2 * MiB);
  });

  for (const mode of MODES) {
    it(`${modeName(mode)}: a 64 MiB zip bomb is refused at the 1 MiB limit without inflating it`, async () => {
      const ext = createPerMessageDeflate(
        agreement('server', { clientNoContextTakeover: true }),
        mode,
      );
      const before = process.memoryUsage().arrayBuffers;
      const error = await rejection(decode(ext, bomb, true, MiB));
      expect(error.closeCode).toBe(1009);
      // The whole 64 MiB was never held (a few output chunks at most).
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * MiB);
      ext.dispose();
    });

    it(`${modeName(mode)}: the bomb split into frames is refused too`, async () => {
      const ext = createPerMessageDeflate(
        agreement('server', { clientNoContextTakeover: true }),
        mode,
      );
      const frames = [bomb.subarray(0, 30000), bomb.subarray(30000, 60000), bomb.subarray(60000)];
      const error = await rejection(decodeFrames(ext, frames, MiB));
      expect(error.closeCode).toBe(1009);
      ext.dispose();
    });

    it(`${modeName(mode)}: exactly the limit passes, one byte over fails`, async () => {
      const message = sample(100000, 9);
      const { sender } = pair({ serverNoContextTakeover: true });
      const z = await encode(sender, message);
      const ok = createPerMessageDeflate(
        agreement('client', { serverNoContextTakeover: true }),
        mode,
      );
      expect((await decode(ok, z, true, message.length)).length).toBe(message.length);
      const over = createPerMessageDeflate(
        agreement('client', { serverNoContextTakeover: true }),
        mode,
      );
      expect((await rejection(decode(over, z, true, message.length - 1))).closeCode).toBe(1009);
      ok.dispose();
      over.dispose();
      sender.dispose();
    });
  }

  it('refuses compressed padding (empty blocks) far beyond the limit without buffering it', async () => {
    const ext = createPerMessageDeflate(agreement('server'));
    const padding = new Uint8Array(4096 * 5);
    for (let i = 0; i < padding.length; i += 5) padding.set([0x00, 0x00, 0x00, 0xff, 0xff], i);
    let error: ProtocolError | null = null;
    for (let i = 0; i < 10 && error === null; i++) {
      try {
        await decode(ext, padding, false, 10000);
      } catch (e) {
        error = e as ProtocolError;
      }
    }
    expect(error?.closeCode).toBe(1009);
    expect(ext.retainedBytes).toBe(0);
    ext.dispose();
  });
});

describe('final blocks (BFINAL, RFC 7692 §7.2.3.4)', () => {
  for (const mode of MODES) {
    it(`${modeName(mode)}: a message ending in a final block does not spoil later messages`, async () => {
      const v = RFC7692_EXAMPLES;
      for (let i = 0; i < 4; i++) {
        const ext = createPerMessageDeflate(
          agreement('client', { serverNoContextTakeover: true }),
          mode,
        );
        expect(hex(await decode(ext, v.helloBfinal.compressed))).toBe(hex(v.helloBfinal.message));
        expect(hex(await decode(ext, v.helloOneBlock.compressed))).toBe(
          hex(v.helloOneBlock.message),
        );
        ext.dispose();
      }
    });
  }
});

describe('final blocks with context takeover', () => {
  // A peer that ends a message with a final block starts a new DEFLATE stream for the next
  // one, primed with the same window: the next message may point back into earlier ones.
  const first = new TextEncoder().encode(
    'The quick brown fox jumps over the lazy dog. '.repeat(40),
  );
  const second = new TextEncoder().encode(
    'The quick brown fox jumps over the lazy dog. The quick brown fox!',
  );
  const firstZ = deflateRawSync(first, { finishFlush: constants.Z_FINISH });
  const secondZ = deflateRawSync(second, {
    dictionary: first,
    finishFlush: constants.Z_SYNC_FLUSH,
  }).subarray(0, -4);
  for (const mode of MODES) {
    it(`${modeName(mode)}: the message after a final block still sees the history`, async () => {
      // The second message really depends on the first: alone it does not decode.
      expect(() => inflateRawSync(secondZ)).toThrow();
      const ext = createPerMessageDeflate(agreement('client'), mode);
      expect(hex(await decode(ext, firstZ))).toBe(hex(first));
      expect(hex(await decode(ext, secondZ))).toBe(hex(second));
      ext.dispose();
    });
  }
});

describe('invalid compressed data (close code 1007)', () => {
  for (const mode of MODES) {
    it(`${modeName(mode)}: garbage is refused with 1007`, async () => {
      const ext = createPerMessageDeflate(agreement('server'), mode);
      const error = await rejection(decode(ext, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x01])));
      expect(error.closeCode).toBe(1007);
      ext.dispose();
    });
  }
});

describe('the pooled decompressors survive what they refused', () => {
  it('after garbage and a bomb on the synchronous path, the next messages decode exactly', async () => {
    // No context takeover from the client: messages are inflated on pooled decompressors,
    // synchronously. A refused message must not leave a pooled stream half-used.
    const noTakeover = { clientNoContextTakeover: true };
    const bomb = deflateRawSync(Buffer.alloc(256 * 1024), { finishFlush: constants.Z_SYNC_FLUSH });
    for (let round = 0; round < 3; round++) {
      const bad = createPerMessageDeflate(agreement('server', noTakeover), { threshold: 0 });
      const garbage = await rejection(decode(bad, new Uint8Array([0xff, 0xff, 0xff, 0x01])));
      expect(garbage.closeCode).toBe(1007);
      bad.dispose();
      const big = createPerMessageDeflate(agreement('server', noTakeover), { threshold: 0 });
      const tooBig = await rejection(decode(big, bomb.subarray(0, -4), true, 64 * 1024));
      expect(tooBig.closeCode).toBe(1009);
      big.dispose();
      const good = createPerMessageDeflate(agreement('server', noTakeover), { threshold: 0 });
      for (const length of [100, 5000, 20000]) {
        const text = sample(length, round + length);
        const z = deflateRawSync(text, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4);
        expect(hex(await decode(good, z))).toBe(hex(text));
      }
      good.dispose();
    }
  });
});
