// Codec parse, before/after a codec change, against ws (with bufferutil) IN THE SAME RUN:
// every round measures ws, the "before" codec and the current codec one after the other
// (rotating the order), and the ratios are the medians of the per-round ratios. Rates use
// this process's CPU time (apps/bench/src/lib/report.js), so load from other processes on a
// shared machine blurs them less.
//
//   parse (sink unmasks)   FrameParser.push → sink → mask(payload), as apps/bench/src/codec.js
//   parse (engine options) FrameParser({ unmask: true, retainChunks: true }), as the engine
//
// Usage, after building packages/codec (npx tsc -p packages/codec/tsconfig.build.json):
//   node apps/bench/src/codec-parse-before-after.js [--before /path/to/old/codec/dist/index.js]
//        [--quick] [--only <row name part>] [--json]
// Without --before only ws and the current codec are measured. --json: the last stdout line
// is {"rows":[{id,title,unit,ratio,values,...}]} (strata/ws), for apps/bench's runner.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as current from '@strata-ws/codec';
import { cpuMs, formatRate, median, options, printTable } from './lib/report.js';

const require = createRequire(import.meta.url);
const wsLib = join(dirname(require.resolve('ws')), 'lib');
const Receiver = require(join(wsLib, 'receiver.js'));

const { ms, repeats } = options();
const argv = process.argv;
const flag = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i === -1 ? undefined : argv[i + 1];
};
const beforePath = flag('before');
const only = flag('only') ?? '';
const json = argv.includes('--json');
const before = beforePath === undefined ? null : await import(pathToFileURL(beforePath).href);

const MASK_KEY = 0x37fa213d;

/** `count` masked binary frames of `size` bytes cut into chunks of `chunkSize` (0: one frame each). */
function chunksOf(size, count, chunkSize) {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = i & 0xff;
  const [header, body] = current.encodeFrame({ opcode: 2, payload, maskKey: MASK_KEY });
  const frame = Buffer.concat([header, body]);
  if (chunkSize === 0) return Array.from({ length: count }, () => Buffer.from(frame));
  const all = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks = [];
  for (let i = 0; i < all.length; i += chunkSize) {
    chunks.push(Buffer.from(all.subarray(i, i + chunkSize)));
  }
  return chunks;
}

function wsParser(onMessage) {
  const receiver = new Receiver({
    isServer: true,
    binaryType: 'nodebuffer',
    maxPayload: 0,
    allowSynchronousEvents: true,
  });
  receiver.on('message', onMessage);
  receiver.on('error', (error) => {
    throw error;
  });
  return (chunk) => receiver.write(chunk);
}

/** bufferutil as a per-parser host masking (what a Node host may inject through `masking`). */
const bufferutil = require('bufferutil');
const keyBytes = Buffer.alloc(4);
function keyFor(maskKey, keyOffset) {
  const shift = (keyOffset & 3) * 8;
  keyBytes.writeUInt32BE(
    shift === 0 ? maskKey : ((maskKey << shift) | (maskKey >>> (32 - shift))) >>> 0,
  );
  return keyBytes;
}
const nativeMasking = {
  mask: (data, maskKey, keyOffset) => bufferutil.unmask(data, keyFor(maskKey, keyOffset)),
  maskInto: (source, target, offset, maskKey, keyOffset) =>
    bufferutil.mask(source, keyFor(maskKey, keyOffset), target, offset, source.length),
};

function strataParser(codec, engineOptions, host = {}) {
  return (onMessage) => {
    const parser = new codec.FrameParser({
      maxPayload: 0x7fffffff,
      unmask: engineOptions,
      retainChunks: engineOptions,
      ...host,
    });
    const sink = engineOptions
      ? { frame: (_header, payload) => onMessage(payload) }
      : {
          frame(header, payload) {
            if (header.masked) codec.mask(payload, header.maskKey);
            onMessage(payload);
          },
        };
    return (chunk) => parser.push(chunk, sink);
  };
}

/**
 * A function pushing `iterations` chunks (round-robin) through one parser. Checked first: every
 * frame arrives whole and unmasked (the payload is `i & 0xff`). Later passes unmask the
 * already unmasked chunks again (parsers unmask in place): the same work, other bytes.
 */
function parseLoop(makeParser, size, count, chunkSize) {
  const chunks = chunksOf(size, count, chunkSize);
  let messages = 0;
  let bad = 0;
  const push = makeParser((data) => {
    messages++;
    if (data.length !== size || data[size - 1] !== ((size - 1) & 0xff)) bad++;
  });
  for (const chunk of chunks) push(chunk);
  if (messages !== count || bad !== 0) {
    throw new Error(`expected ${count} good messages, got ${messages} (${bad} bad)`);
  }
  const n = chunks.length;
  let next = 0;
  const work = (iterations) => {
    for (let i = 0; i < iterations; i++) {
      push(chunks[next]);
      next = next + 1 === n ? 0 : next + 1;
    }
  };
  return { work, messagesPerUnit: count / n };
}

function batchSize(fn) {
  let batch = 1;
  for (;;) {
    const t0 = cpuMs();
    fn(batch);
    if (cpuMs() - t0 > 5 || batch >= 1 << 24) return batch;
    batch *= 2;
  }
}

function rateFor(fn, batch) {
  let done = 0;
  const t0 = cpuMs();
  let elapsed = 0;
  while (elapsed < ms) {
    fn(batch);
    done += batch;
    elapsed = cpuMs() - t0;
  }
  return (done / elapsed) * 1000;
}

const table = [
  [
    'benchmark',
    'ws msgs/s',
    'before msgs/s',
    'after msgs/s',
    'before/ws',
    'after/ws',
    'after/before',
  ],
];
const jsonRows = [];

function row(id, title, size, count, chunkSize, engineOptions, host) {
  if (!title.includes(only)) return;
  const contenders = [['ws', wsParser]];
  if (before !== null) contenders.push(['before', strataParser(before, engineOptions, host)]);
  contenders.push(['after', strataParser(current, engineOptions, host)]);
  const loops = contenders.map(([name, make]) => {
    const loop = parseLoop(make, size, count, chunkSize);
    return { name, ...loop, batch: batchSize(loop.work), rates: [] };
  });
  const ratios = { before: [], after: [], afterBefore: [] };
  for (let round = 0; round < repeats; round++) {
    const rate = {};
    for (let k = 0; k < loops.length; k++) {
      const loop = loops[(k + round) % loops.length];
      rate[loop.name] = rateFor(loop.work, loop.batch) * loop.messagesPerUnit;
      loop.rates.push(rate[loop.name]);
    }
    if (before !== null) ratios.before.push(rate.before / rate.ws);
    ratios.after.push(rate.after / rate.ws);
    if (before !== null) ratios.afterBefore.push(rate.after / rate.before);
  }
  const med = (name) => median(loops.find((l) => l.name === name).rates);
  const x = (values) => (values.length === 0 ? '-' : `${median(values).toFixed(2)}x`);
  table.push([
    title,
    formatRate(med('ws')),
    before === null ? '-' : formatRate(med('before')),
    formatRate(med('after')),
    x(ratios.before),
    x(ratios.after),
    x(ratios.afterBefore),
  ]);
  jsonRows.push({
    id,
    title,
    unit: 'msgs/s',
    higherIsBetter: true,
    values: { strata: med('after'), ws: med('ws') },
    ratio: median(ratios.after),
    goal: id === 'codec-parse-64k' ? '>= 1.5x ws' : undefined,
    goalMet: id === 'codec-parse-64k' ? median(ratios.after) >= 1.5 : undefined,
    how: `${repeats} rounds, ws/strata interleaved, CPU time, median of per-round ratios`,
  });
}

row('codec-parse-64k', 'parse 64 KiB masked, 1 frame per chunk', 65536, 16, 0, false);
row(
  'codec-parse-64k-engine',
  'parse 64 KiB masked, 1 frame per chunk (engine options)',
  65536,
  16,
  0,
  true,
);
row('codec-parse-64k-16k-chunks', 'parse 64 KiB masked, 16 KiB chunks', 65536, 16, 16384, false);
row(
  'codec-parse-64k-16k-chunks-engine',
  'parse 64 KiB masked, 16 KiB chunks (engine options)',
  65536,
  16,
  16384,
  true,
);
row(
  'codec-parse-1m-engine',
  'parse 1 MiB masked, 64 KiB chunks (engine options)',
  1 << 20,
  4,
  65536,
  true,
);
// As the Node server's engine parses: its allocator (Buffer.allocUnsafe) for split payloads.
const nodeAllocate = { allocate: (length) => Buffer.allocUnsafe(length) };
row(
  'codec-parse-64k-16k-chunks-node',
  'parse 64 KiB masked, 16 KiB chunks (engine options, allocUnsafe)',
  65536,
  16,
  16384,
  true,
  nodeAllocate,
);
// The ceiling with native unmasking (bufferutil, as ws) injected per parser.
row(
  'codec-parse-64k-native',
  'parse 64 KiB masked, 1 frame per chunk (engine options, bufferutil masking)',
  65536,
  16,
  0,
  true,
  { masking: nativeMasking },
);
row('codec-parse-64b', 'parse 64 B masked, 1 frame per chunk', 64, 64, 0, false);

console.log(
  `node ${process.version}; ws with bufferutil; strata pure JavaScript + WebAssembly${before === null ? '' : `; before = ${beforePath}`}`,
);
printTable(table);
if (json) console.log(JSON.stringify({ rows: jsonRows }));
