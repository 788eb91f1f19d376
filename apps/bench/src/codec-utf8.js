// UTF-8 validation: where the host validator (Node's buffer.isUtf8) starts beating the
// codec's pure JavaScript loop, for ASCII and multi-byte text. The codec hands inputs of at
// least 32 bytes to a host validator set through setUtf8Validator; shorter ones stay in JS.
// Usage (after `npx turbo run build`): node apps/bench/src/codec-utf8.js [--quick]
import { isUtf8 } from 'node:buffer';
import { isValidUtf8, setUtf8Validator } from '@strata-ws/codec';
import { compare, formatBandwidth, options, printTable } from './lib/report.js';

const { ms, repeats } = options();
const decoder = new TextDecoder('utf-8', { fatal: true });
const textDecoderValid = (bytes) => {
  try {
    decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

const rows = [['input', 'JS loop', 'buffer.isUtf8', 'TextDecoder', 'isUtf8/JS']];
const encoder = new TextEncoder();
for (const [kind, unit] of [
  ['ASCII', '{"a":1,"b":"text"}'],
  ['multi-byte', 'Grüße, 世界 🌍 κόσμε '],
]) {
  for (const length of [8, 16, 32, 64, 256, 4096, 65536]) {
    const bytes = encoder
      .encode(unit.repeat(Math.ceil(length / unit.length) + 4))
      .subarray(0, length);
    // Cut at a character boundary so the input is valid.
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] & 0xc0) === 0x80) end--;
    if (end > 0 && bytes[end - 1] >= 0xc0) end--;
    const input = bytes.subarray(0, end);
    let ok = 0;
    const js = (n) => {
      for (let i = 0; i < n; i++) ok += isValidUtf8(input) ? 1 : 0;
    };
    const host = (n) => {
      for (let i = 0; i < n; i++) ok += isUtf8(input) ? 1 : 0;
    };
    const td = (n) => {
      for (let i = 0; i < n; i++) ok += textDecoderValid(input) ? 1 : 0;
    };
    setUtf8Validator(null);
    const a = compare(js, host, { ms, repeats });
    const b = compare(js, td, { ms, repeats });
    rows.push([
      `${kind} ${input.length} B`,
      formatBandwidth(a.a * input.length),
      formatBandwidth(a.b * input.length),
      formatBandwidth(b.b * input.length),
      `${a.ratio.toFixed(2)}x`,
    ]);
    if (ok === 0) throw new Error('unreachable');
  }
}
console.log(`node ${process.version}, UTF-8 validation throughput (higher is better)`);
printTable(rows);
