// Codec benchmark: @strata-ws/codec (pure JavaScript, no native add-on) against ws's own
// Receiver and Sender (ws 8 with bufferutil, i.e. native masking) IN THE SAME RUN.
//
//   parse   masked client frames → unmasked payloads handed to a message callback
//           ws: Receiver.write(chunk) → 'message' event;  strata: FrameParser.push + mask()
//   encode  one frame → [header, payload]: ws Sender.frame vs strata encodeFrame
//   unmask  in place: ws's buffer-util unmask (bufferutil) vs strata mask()
//
// Ratios are strata/ws rates (> 1: Strata is faster). Usage, after `npx turbo run build`:
//   node apps/bench/src/codec.js [--quick] [--only <row name part>]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encodeFrame, FrameParser, mask, setMaskImplementation } from '@strata-ws/codec';
import { compare, formatRate, options, printTable } from './lib/report.js';

// ws's `exports` map hides lib/, so its files are required by path (the same modules ws uses).
const require = createRequire(import.meta.url);
const wsLib = join(dirname(require.resolve('ws')), 'lib');
const Receiver = require(join(wsLib, 'receiver.js'));
const Sender = require(join(wsLib, 'sender.js'));
const bufferUtil = require(join(wsLib, 'buffer-util.js'));

const { ms, repeats } = options();
const MASK_KEY = 0x37fa213d;
const MASK_BYTES = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** A binary frame, masked as a client sends it or unmasked as a server does. */
function binaryFrame(payload, masked) {
  const [header, body] = encodeFrame({
    opcode: 2,
    payload,
    maskKey: masked ? MASK_KEY : undefined,
  });
  return Buffer.concat([header, body]);
}

/** `count` frames of `size` bytes, cut into chunks of `chunkSize` bytes (0: one frame per chunk). */
function chunksOf(size, count, chunkSize, masked) {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = i & 0xff;
  const frame = binaryFrame(payload, masked);
  const all = Buffer.concat(Array.from({ length: count }, () => frame));
  if (chunkSize === 0) {
    // Each chunk its own buffer, as socket reads deliver them.
    return Array.from({ length: count }, () => Buffer.from(frame));
  }
  const chunks = [];
  for (let i = 0; i < all.length; i += chunkSize) {
    chunks.push(Buffer.from(all.subarray(i, i + chunkSize)));
  }
  return chunks;
}

function wsParser(onMessage, masked) {
  const receiver = new Receiver({
    isServer: masked,
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

function strataParser(onMessage) {
  const parser = new FrameParser({ maxPayloadLength: 0x7fffffff });
  const sink = {
    frame(header, payload) {
      if (header.masked) mask(payload, header.maskKey);
      onMessage(payload, header.opcode === 2);
    },
  };
  return (chunk) => parser.push(chunk, sink);
}

/** As the protocol engine parses: the parser unmasks (while copying split frames) and keeps views. */
function strataParserEngine(onMessage) {
  const parser = new FrameParser({
    maxPayloadLength: 0x7fffffff,
    unmask: true,
    retainChunks: true,
  });
  const sink = {
    frame(header, payload) {
      onMessage(payload, header.opcode === 2);
    },
  };
  return (chunk) => parser.push(chunk, sink);
}

/** A function pushing `iterations` chunks (round-robin) through a fresh parser, checked first. */
function parseLoop(makeParser, chunks, messagesPerRound, masked) {
  let messages = 0;
  const push = makeParser((data) => {
    messages += data.length > 0 ? 1 : 0;
  }, masked);
  // Correctness first: every frame arrives as one message.
  for (const chunk of chunks) push(chunk);
  if (messages !== messagesPerRound) {
    throw new Error(`expected ${messagesPerRound} messages, got ${messages}`);
  }
  const n = chunks.length;
  let next = 0;
  return (iterations) => {
    for (let i = 0; i < iterations; i++) {
      push(chunks[next]);
      next = next + 1 === n ? 0 : next + 1;
    }
  };
}

const rows = [['benchmark', 'ws (msgs/s)', 'strata (msgs/s)', 'strata/ws']];
const ratios = {};
// `--only <text>`: run only the rows whose name contains <text>.
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex === -1 ? '' : (process.argv[onlyIndex + 1] ?? '');

/** Runs ws and strata alternately; `scale` converts work units to messages. */
function row(name, wsWork, strataWork, scale = 1) {
  if (!name.includes(only)) return false;
  const { a, b, ratio } = compare(wsWork, strataWork, { ms, repeats });
  ratios[name] = ratio;
  rows.push([name, formatRate(a * scale), formatRate(b * scale), `${ratio.toFixed(2)}x`]);
  return true;
}

// ---- parse ----
const parseCases = [
  ['parse 64 B masked, 1 frame per chunk', 64, 64, 0, true],
  ['parse 64 B masked, 16 KiB chunks', 64, 2340, 16384, true],
  ['parse 64 KiB masked, 1 frame per chunk', 65536, 16, 0, true],
  ['parse 64 KiB masked, 16 KiB chunks', 65536, 16, 16384, true],
  ['parse 64 B unmasked, 1 frame per chunk', 64, 64, 0, false],
  ['parse 64 KiB unmasked, 1 frame per chunk', 65536, 16, 0, false],
];
for (const [name, size, count, chunkSize, masked] of parseCases) {
  const chunks = chunksOf(size, count, chunkSize, masked);
  row(
    name,
    parseLoop(wsParser, chunks, count, masked),
    parseLoop(strataParser, chunks, count, masked),
    count / chunks.length,
  );
  if (masked && chunkSize !== 0) {
    row(
      `${name} (engine options: unmask, retainChunks)`,
      parseLoop(wsParser, chunks, count, masked),
      parseLoop(strataParserEngine, chunks, count, masked),
      count / chunks.length,
    );
  }
}
// Large frames across socket-sized reads (the engine's options).
{
  const chunks = chunksOf(1 << 20, 4, 65536, true);
  row(
    'parse 1 MiB masked, 64 KiB chunks',
    parseLoop(wsParser, chunks, 4, true),
    parseLoop(strataParser, chunks, 4, true),
    4 / chunks.length,
  );
  row(
    'parse 1 MiB masked, 64 KiB chunks (engine options: unmask, retainChunks)',
    parseLoop(wsParser, chunks, 4, true),
    parseLoop(strataParserEngine, chunks, 4, true),
    4 / chunks.length,
  );
}

// ---- encode ----
for (const size of [64, 65536]) {
  const payload = Buffer.alloc(size, 7);
  for (const masked of [false, true]) {
    const wsOptions = {
      fin: true,
      rsv1: false,
      opcode: 2,
      mask: masked,
      readOnly: true,
      maskBuffer: Buffer.from(MASK_BYTES),
      generateMask: () => {},
    };
    const strataFrame = masked ? { opcode: 2, payload, maskKey: MASK_KEY } : { opcode: 2, payload };
    let sink = 0;
    const ran = row(
      `encode ${size === 64 ? '64 B' : '64 KiB'} ${masked ? 'masked' : 'unmasked'}`,
      (n) => {
        for (let i = 0; i < n; i++) sink += Sender.frame(payload, wsOptions).length;
      },
      (n) => {
        for (let i = 0; i < n; i++) sink += encodeFrame(strataFrame).length;
      },
    );
    if (ran && sink === 0) throw new Error('unreachable');
  }
}

// ---- unmask ----
for (const size of [64, 65536]) {
  const chunk = Buffer.alloc(size + 32);
  const data = chunk.subarray(14, 14 + size);
  row(
    `unmask ${size === 64 ? '64 B' : '64 KiB'} (in place)`,
    (n) => {
      for (let i = 0; i < n; i++) bufferUtil.unmask(data, MASK_BYTES);
    },
    (n) => {
      for (let i = 0; i < n; i++) mask(data, MASK_KEY);
    },
  );
}

// ---- for information: the Node host seam (what the server facade may install) ----
// Not part of the goals (those are for pure JavaScript): strata with bufferutil's native
// unmask handed in through setMaskImplementation, as ws uses it.
{
  const bufferutil = require('bufferutil');
  const keyBytes = Buffer.alloc(4);
  setMaskImplementation((data, maskKey, keyOffset) => {
    const shift = (keyOffset & 3) * 8;
    keyBytes.writeUInt32BE(
      shift === 0 ? maskKey : ((maskKey << shift) | (maskKey >>> (32 - shift))) >>> 0,
    );
    bufferutil.unmask(data, keyBytes);
  }, 1024);
  const chunks = chunksOf(65536, 16, 0, true);
  row(
    'parse 64 KiB masked, 1 frame per chunk, strata + native mask seam',
    parseLoop(wsParser, chunks, 16, true),
    parseLoop(strataParser, chunks, 16, true),
  );
  setMaskImplementation(null);
}

// ---- for information: the ceiling of the 64 KiB parse goal ----
// Against ws's whole parse of a 64 KiB masked frame, the unmasking alone, with no parsing at
// all: the portable mask() (what any pure-JavaScript parser must at least do), and bufferutil's
// native unmask (what ws itself does inside its parse). No parser can beat ws by more than the
// first ratio without native code, nor by more than the second with it.
{
  // The same 16 frames (1 MiB, beyond the CPU's fastest caches) as the parse rows, in turn.
  const chunks = chunksOf(65536, 16, 0, true);
  const payloads = chunksOf(65536, 16, 0, true).map((frame) => frame.subarray(8));
  let next = 0;
  row(
    'ceiling: ws parse 64 KiB vs portable mask() alone',
    parseLoop(wsParser, chunks, 16, true),
    (n) => {
      for (let i = 0; i < n; i++) {
        mask(payloads[next], MASK_KEY);
        next = (next + 1) & 15;
      }
    },
  );
  row(
    'ceiling: ws parse 64 KiB vs bufferutil unmask alone',
    parseLoop(wsParser, chunks, 16, true),
    (n) => {
      for (let i = 0; i < n; i++) {
        bufferUtil.unmask(payloads[next], MASK_BYTES);
        next = (next + 1) & 15;
      }
    },
  );
}

console.log(`node ${process.version}; ws with bufferutil; strata pure JavaScript`);
printTable(rows);
const goal64 = ratios['parse 64 B masked, 1 frame per chunk'];
const goal64k = ratios['parse 64 KiB masked, 1 frame per chunk'];
if (goal64 !== undefined && goal64k !== undefined) {
  console.log(
    `goals: parse 64 B ≥ 3x ws: ${goal64.toFixed(2)}x ${goal64 >= 3 ? 'met' : 'NOT met'}; ` +
      `parse 64 KiB ≥ 1.5x ws: ${goal64k.toFixed(2)}x ${goal64k >= 1.5 ? 'met' : 'NOT met'}`,
  );
}
