// Reassembly of frames split across reads: FrameParser's three ways against each other (CPU
// time per frame, alternating rounds in one process):
//   default       the payload gathered in a growing buffer, then mask() in place by the sink
//                 (the protocol engine's path before the unmask/retainChunks options)
//   unmask        the payload unmasked while it is copied into the growing buffer (one pass)
//   unmask+retain the reads kept as views and copied (and unmasked) once at the exact size
//                 (what the engine uses now)
// Usage, after `npx turbo run build`:
//   node apps/bench/src/codec-reassembly.js [payloadBytes=1048576] [readBytes=65536] [rounds=21]
import { encodeFrame, FrameParser, mask } from '@strata-ws/codec';

const size = Number(process.argv[2] ?? 1 << 20);
const readSize = Number(process.argv[3] ?? 65536);
const rounds = Number(process.argv[4] ?? 21);

const [header, body] = encodeFrame({
  opcode: 2,
  payload: new Uint8Array(size).fill(7),
  maskKey: 0x37fa213d,
});
const wire = new Uint8Array(header.length + body.length);
wire.set(header);
wire.set(body, header.length);
// Each read its own buffer, as socket reads are.
const reads = [];
for (let i = 0; i < wire.length; i += readSize) reads.push(wire.slice(i, i + readSize));

const modes = [
  ['default + mask()', {}, true],
  ['unmask', { unmask: true }, false],
  ['unmask + retainChunks', { unmask: true, retainChunks: true }, false],
];
const framesPerRound = Math.max(20, Math.floor((64 << 20) / size));
const samples = modes.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let m = 0; m < modes.length; m++) {
    const [, options, sinkUnmasks] = modes[m];
    const parser = new FrameParser({ maxPayloadLength: 0x7fffffff, ...options });
    let bytes = 0;
    const sink = {
      frame(h, payload) {
        if (sinkUnmasks) mask(payload, h.maskKey);
        if (payload[size - 1] !== 7) throw new Error('wrong payload');
        bytes += payload.length;
      },
    };
    const start = process.cpuUsage();
    for (let i = 0; i < framesPerRound; i++) {
      for (const read of reads) parser.push(read, sink);
    }
    const used = process.cpuUsage(start);
    if (bytes !== framesPerRound * size) throw new Error('frames lost');
    samples[m].push((used.user + used.system) / framesPerRound);
  }
}
console.log(
  `node ${process.version}; ${size}-byte masked frames in ${readSize}-byte reads; ${rounds} rounds`,
);
const medianOf = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const base = medianOf(samples[0]);
for (let m = 0; m < modes.length; m++) {
  const median = medianOf(samples[m]);
  console.log(
    `${modes[m][0].padEnd(24)} median ${median.toFixed(1).padStart(8)} µs CPU/frame, min ${Math.min(
      ...samples[m],
    )
      .toFixed(1)
      .padStart(8)}, ${(base / median).toFixed(2)}x default`,
  );
}
