// Masking: where the byte loop stops beating 32-bit words, and where a native call
// (bufferutil) starts paying off. Compares, per payload length:
//   bytes   a byte loop (the codec's small-payload path)
//   words   32-bit words through a Uint32Array view (a fresh view per call)
//   mask()  @strata-ws/codec's mask (byte loop below 96 B, words with a cached view above,
//           WebAssembly SIMD from 384 B)
//   native  bufferutil.mask / unmask (what ws uses)
// Usage (after `npx turbo run build`): node apps/bench/src/codec-mask.js [--quick]
import { mask } from '@strata-ws/codec';
import bufferutil from 'bufferutil';
import { formatBandwidth, measure, options, printTable } from './lib/report.js';

const { ms, repeats } = options();
const KEY = 0x37fa213d;
const KEY_BYTES = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

function byteLoop(data, maskKey) {
  const k0 = maskKey >>> 24;
  const k1 = (maskKey >>> 16) & 0xff;
  const k2 = (maskKey >>> 8) & 0xff;
  const k3 = maskKey & 0xff;
  const n = data.length;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    data[i] ^= k0;
    data[i + 1] ^= k1;
    data[i + 2] ^= k2;
    data[i + 3] ^= k3;
  }
  for (; i < n; i++) data[i] ^= (maskKey >>> (24 - 8 * (i & 3))) & 0xff;
}

function wordLoop(data, maskKey) {
  // Aligned views only (the benchmark's buffers are aligned): the cost is the view itself.
  const words = new Int32Array(data.buffer, data.byteOffset, data.length >>> 2);
  const key =
    (maskKey >>> 24) | ((maskKey >>> 8) & 0xff00) | ((maskKey << 8) & 0xff0000) | (maskKey << 24);
  const n = words.length;
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    words[i] ^= key;
    words[i + 1] ^= key;
    words[i + 2] ^= key;
    words[i + 3] ^= key;
  }
  for (; i < n; i++) words[i] ^= key;
  for (let j = n << 2; j < data.length; j++) data[j] ^= (maskKey >>> (24 - 8 * (j & 3))) & 0xff;
}

const rows = [['length', 'bytes', 'words', 'mask()', 'native', 'mask()/native']];
for (const length of [
  4,
  8,
  16,
  32,
  48,
  64,
  96,
  128,
  256,
  384,
  512,
  768,
  1024,
  4096,
  65536,
  1 << 20,
]) {
  // Payloads are views into one larger chunk, as when many frames arrive in one read.
  const chunk = new Uint8Array(Math.max(length * 4, 65536));
  const data = chunk.subarray(16, 16 + length);
  // Fresh chunks per call would defeat mask()'s view cache; `fresh` rows model one frame per
  // received chunk (a new buffer every time), the other rows many frames per chunk.
  const run = (fn) =>
    measure(
      (n) => {
        for (let i = 0; i < n; i++) fn();
      },
      { ms, repeats },
    ) * length;
  const bytes = run(() => byteLoop(data, KEY));
  const words = run(() => wordLoop(data, KEY));
  const ours = run(() => mask(data, KEY));
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  const native = run(() => bufferutil.unmask(buf, KEY_BYTES));
  rows.push([
    String(length),
    formatBandwidth(bytes),
    formatBandwidth(words),
    formatBandwidth(ours),
    formatBandwidth(native),
    (ours / native).toFixed(2),
  ]);
}
console.log(`node ${process.version}, masking throughput (higher is better)`);
printTable(rows);
