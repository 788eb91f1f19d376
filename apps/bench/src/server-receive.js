// The server's receive path for large messages, in one process, without the network: a
// protocol engine (`Connection`, role server, as @strata-ws/server configures it) fed 1 MiB
// masked frames in 64 KiB reads, with the codec's JavaScript/WebAssembly unmasking against
// bufferutil's native unmasking (what @strata-ws/server uses when bufferutil is installed,
// the way `ws` does). Alternating rounds; CPU time per message (process.cpuUsage), median.
// Usage, after `npx turbo run build`:
//   node apps/bench/src/server-receive.js [payloadBytes=1048576] [readBytes=65536] [rounds=15] [--json]
import { createRequire } from 'node:module';
import { encodeFrame } from '@strata-ws/codec';
import { Connection } from '@strata-ws/protocol';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const size = Number(args[0] ?? 1 << 20);
const readSize = Number(args[1] ?? 65536);
const rounds = Number(args[2] ?? 15);
const bufferUtil = createRequire(import.meta.url)('bufferutil');

const key = new Uint8Array(4);
const setKey = (maskKey, keyOffset) => {
  for (let i = 0; i < 4; i++) key[i] = (maskKey >>> (24 - 8 * ((i + keyOffset) & 3))) & 0xff;
};
const native = {
  mask(data, maskKey, keyOffset) {
    setKey(maskKey, keyOffset);
    bufferUtil.mask(data, key, data, 0, data.length);
  },
  maskInto(source, target, targetOffset, maskKey, keyOffset) {
    setKey(maskKey, keyOffset);
    bufferUtil.mask(source, key, target, targetOffset, source.length);
  },
};

const [header, body] = encodeFrame({
  opcode: 2,
  payload: new Uint8Array(size).fill(7),
  maskKey: 0x37fa213d,
});
const wire = Buffer.concat([header, body]);
// Each read its own buffer, as socket reads are.
const reads = [];
for (let i = 0; i < wire.length; i += readSize)
  reads.push(Buffer.from(wire.subarray(i, i + readSize)));

const modes = [
  ['codec (JS / WebAssembly)', null],
  ['bufferutil', native],
];
const perRound = Math.max(20, Math.floor((64 << 20) / size));
const samples = modes.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let m = 0; m < modes.length; m++) {
    let bytes = 0;
    const conn = new Connection(
      {
        onMessage(data) {
          if (data[size - 1] !== 7 || data[0] !== 7) throw new Error('wrong payload');
          bytes += data.length;
        },
        onPing() {},
        onPong() {},
        onClose() {},
        onFail(e) {
          throw e;
        },
        onOutput() {},
        onResumeInput() {},
      },
      {
        role: 'server',
        allocate: Buffer.allocUnsafe,
        masking: modes[m][1],
        maxPayload: 1 << 30,
        maxMessageSize: 1 << 30,
      },
    );
    const start = process.cpuUsage();
    for (let i = 0; i < perRound; i++) for (const read of reads) conn.receive(read);
    const used = process.cpuUsage(start);
    if (bytes !== perRound * size) throw new Error('messages lost');
    samples[m].push((used.user + used.system) / perRound);
  }
}
const medianOf = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const result = modes.map(([name], m) => ({ name, microsPerMessage: medianOf(samples[m]) }));
console.log(
  `node ${process.version}; ${size}-byte masked frames in ${readSize}-byte reads; ${rounds} rounds`,
);
for (const r of result)
  console.log(
    `${r.name.padEnd(26)} ${r.microsPerMessage.toFixed(1).padStart(8)} µs CPU/message, ${(result[0].microsPerMessage / r.microsPerMessage).toFixed(2)}x`,
  );
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ size, readSize, rounds, result })}\n`);
}
