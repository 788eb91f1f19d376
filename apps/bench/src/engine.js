// Engine-only benchmark: @strata-ws/protocol's Connection against ws's Receiver/Sender
// (with bufferutil and utf-8 validation by buffer.isUtf8, as ws uses them) IN THE SAME RUN,
// no sockets: 64 B and 64 KiB messages through receive and send. Reports msgs/s and the
// ratio strata/ws (> 1 means Strata is faster).
//
// Then a design alternative of the send hot path, through a real 127.0.0.1 TCP socket:
// coalescing small frames into one output chunk (coalesceLimit 1024, the default) against
// passing every payload by reference after its header (coalesceLimit 0).
//
// Usage (after `npx turbo run build`):
//   node apps/bench/src/engine.js [--quick]
import { isUtf8 } from 'node:buffer';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { setMaskImplementation, setUtf8Validator } from '@strata-ws/codec';
import { Connection } from '@strata-ws/protocol';
import bufferutil from 'bufferutil';
import { Receiver, Sender } from 'ws';

const quick = process.argv.includes('--quick');
const REPEATS = quick ? 5 : 15;

// The host seams the Node facades install: native UTF-8 validation and native masking.
setUtf8Validator(isUtf8);
const keyBuffer = Buffer.alloc(4);
setMaskImplementation((data, maskKey, keyOffset) => {
  const shift = (keyOffset & 3) * 8;
  const key = shift === 0 ? maskKey : ((maskKey << shift) | (maskKey >>> (32 - shift))) >>> 0;
  keyBuffer.writeUInt32BE(key);
  bufferutil.unmask(data, keyBuffer);
}, 1024);

// An all-zero mask key: both engines still run their unmasking, but unmasking in place then
// leaves the input unchanged, so one prepared input serves every iteration without copies
// (copying 64 KiB chunks would dominate and blur the comparison).
const MASK = [0, 0, 0, 0];

/** One frame as a client sends it (masked). */
function clientFrame(opcode, payload) {
  const n = payload.length;
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const out = Buffer.alloc(2 + ext + 4 + n);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | (n < 126 ? n : n < 65536 ? 126 : 127);
  if (ext === 2) out.writeUInt16BE(n, 2);
  else if (ext === 8) out.writeBigUInt64BE(BigInt(n), 2);
  const k = 2 + ext;
  out.set(MASK, k);
  for (let i = 0; i < n; i++) out[k + 4 + i] = payload[i] ^ MASK[i & 3];
  return out;
}

/** `count` frames cut into socket-sized chunks (64 KiB), as a server reads them. */
function receiveInput(opcode, payload, count) {
  const one = clientFrame(opcode, payload);
  const all = Buffer.alloc(one.length * count);
  for (let i = 0; i < count; i++) one.copy(all, i * one.length);
  const chunks = [];
  for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536));
  return chunks;
}

function textPayload(size) {
  const s = `{"type":"tick","seq":123456,"payload":"${'x'.repeat(size)}"}`;
  return Buffer.from(`${s.slice(0, size - 2)}"}`);
}

/** How many calls of `fn` take about `targetMs` (after a warm-up). */
function calibrate(fn, targetMs) {
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const dt = performance.now() - t0;
    if (dt > 20) return Math.max(1, Math.round((calls * targetMs) / dt));
    calls *= 2;
  }
}

/**
 * Messages per second of each function (`fn()` handles `messagesPerCall` messages): rounds
 * alternate between them so both see the same machine load; the best round of each counts.
 */
function measure(fns, messagesPerCall, targetMs = quick ? 60 : 120) {
  const calls = fns.map((fn) => calibrate(fn, targetMs));
  const best = fns.map(() => 0);
  for (let r = 0; r < REPEATS; r++) {
    for (let f = 0; f < fns.length; f++) {
      const fn = fns[f];
      const t0 = performance.now();
      for (let i = 0; i < calls[f]; i++) fn();
      const rate = (calls[f] * messagesPerCall) / ((performance.now() - t0) / 1000);
      if (rate > best[f]) best[f] = rate;
    }
  }
  return best;
}

const sink = {
  messages: 0,
  bytes: 0,
  onMessage(data) {
    this.messages++;
    this.bytes += data.length;
  },
  onPing() {},
  onPong() {},
  onClose() {},
  onFail(error) {
    throw error;
  },
  onOutput() {},
};

function strataReceive(chunks, count) {
  const conn = new Connection(sink, { role: 'server' });
  return () => {
    const before = sink.messages;
    for (const chunk of chunks) conn.receive(chunk);
    if (sink.messages - before !== count) throw new Error('strata lost messages');
  };
}

function wsReceive(chunks, count) {
  const receiver = new Receiver({ isServer: true, maxPayload: 0 });
  let messages = 0;
  receiver.on('message', (data) => {
    messages++;
    sink.bytes += data.length;
  });
  receiver.on('error', (error) => {
    throw error;
  });
  return () => {
    const before = messages;
    for (const chunk of chunks) receiver.write(chunk);
    if (messages - before !== count) throw new Error('ws lost messages');
  };
}

/** What the engine's send path produces per flush is written nowhere (counted only). */
function strataSend(payload, count, { binary, client = false, coalesceLimit } = {}) {
  const options = { role: client ? 'client' : 'server' };
  if (coalesceLimit !== undefined) options.coalesceLimit = coalesceLimit;
  const conn = new Connection(sink, options);
  return () => {
    for (let i = 0; i < count; i++) {
      if (binary) conn.sendBinary(payload);
      else conn.sendText(payload);
    }
    const out = conn.takeOutput();
    sink.bytes += out.length;
  };
}

function wsSend(payload, count, { binary, client = false }) {
  let chunks = 0;
  const socket = {
    cork() {},
    uncork() {},
    write(_chunk, cb) {
      chunks++;
      if (typeof cb === 'function') cb();
      return true;
    },
  };
  const sender = new Sender(socket);
  const options = { binary, fin: true, mask: client, compress: false };
  return () => {
    for (let i = 0; i < count; i++) sender.send(payload, options);
    sink.bytes += chunks;
  };
}

function row(name, strata, ws) {
  const fmt = (n) => `${(n / 1e6).toFixed(3)}M`.padStart(10);
  console.log(`${name.padEnd(44)} ${fmt(strata)} ${fmt(ws)}   ${(strata / ws).toFixed(2)}x`);
}

console.log(
  `node ${process.version}, best of ${REPEATS}; msgs/s; ratio = strata / ws (bufferutil)`,
);
console.log(`${'scenario'.padEnd(44)} ${'strata'.padStart(10)} ${'ws'.padStart(10)}   ratio`);

const BIN64 = Buffer.alloc(64, 7);
const TEXT64 = textPayload(64);
const BIN64K = Buffer.alloc(65536, 9);
const TEXT64K = textPayload(65536);

const receives = [
  ['receive 64 B binary (server, masked)', 2, BIN64, 4000],
  ['receive 64 B text (server, masked)', 1, TEXT64, 4000],
  ['receive 64 KiB binary (server, masked)', 2, BIN64K, 16],
  ['receive 64 KiB text (server, masked)', 1, TEXT64K, 16],
];
for (const [name, opcode, payload, count] of receives) {
  const chunks = receiveInput(opcode, payload, count);
  const [s, w] = measure([strataReceive(chunks, count), wsReceive(chunks, count)], count);
  row(name, s, w);
}

const TEXT64_STRING = TEXT64.toString();
const sends = [
  ['send 64 B binary (server), flush per 100', BIN64, 100, { binary: true }],
  ['send 64 B text string (server), flush per 100', TEXT64_STRING, 100, { binary: false }],
  ['send 64 B binary (client, masked)', BIN64, 100, { binary: true, client: true }],
  ['send 64 KiB binary (server)', BIN64K, 16, { binary: true }],
  ['send 64 KiB binary (client, masked)', BIN64K, 16, { binary: true, client: true }],
];
for (const [name, payload, count, opts] of sends) {
  const [s, w] = measure([strataSend(payload, count, opts), wsSend(payload, count, opts)], count);
  row(name, s, w);
}

// ---- design alternative: coalescing small frames vs header + payload by reference --------

console.log('\nsend-path design alternative (engine only, and through a 127.0.0.1 socket):');
{
  const [on, off] = measure(
    [
      strataSend(BIN64, 100, { binary: true, coalesceLimit: 1024 }),
      strataSend(BIN64, 100, { binary: true, coalesceLimit: 0 }),
    ],
    100,
  );
  console.log(
    `  engine only, 64 B x 100 per flush: coalesceLimit 1024 ${(on / 1e6).toFixed(3)}M msgs/s`,
  );
  console.log(
    `  engine only, 64 B x 100 per flush: coalesceLimit 0    ${(off / 1e6).toFixed(3)}M msgs/s`,
  );
}

/** Sends `total` 64 B messages through a real socket, 100 per flush (cork + writes + uncork). */
async function throughSocket(coalesceLimit, total) {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  const expected = total * (64 + 2);
  const received = new Promise((resolve) => {
    server.once('connection', (socket) => {
      let bytes = 0;
      socket.on('data', (d) => {
        bytes += d.length;
        if (bytes >= expected) resolve();
      });
    });
  });
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const conn = new Connection(sink, { role: 'server', coalesceLimit });
  const t0 = performance.now();
  let sent = 0;
  let chunks = 0;
  while (sent < total) {
    for (let i = 0; i < 100; i++) conn.sendBinary(BIN64);
    sent += 100;
    const out = conn.takeOutput();
    chunks += out.length;
    socket.cork();
    for (const chunk of out) socket.write(chunk);
    socket.uncork();
    if (socket.writableLength > 4 << 20) await once(socket, 'drain');
  }
  await received;
  const rate = total / ((performance.now() - t0) / 1000);
  socket.destroy();
  server.close();
  return { rate, chunksPerFlush: chunks / (total / 100) };
}

const socketTotal = quick ? 200_000 : 1_000_000;
const socketBest = { 1024: { rate: 0 }, 0: { rate: 0 } };
for (let r = 0; r < (quick ? 2 : 4); r++) {
  for (const limit of [1024, 0]) {
    const result = await throughSocket(limit, socketTotal);
    if (result.rate > socketBest[limit].rate) socketBest[limit] = result;
  }
}
for (const limit of [1024, 0]) {
  const best = socketBest[limit];
  console.log(
    `  socket, 64 B x 100 per flush: coalesceLimit ${String(limit).padEnd(4)} ${(best.rate / 1e6).toFixed(3)}M msgs/s (${best.chunksPerFlush.toFixed(1)} chunks per flush)`,
  );
}
console.log(
  `  => coalescing is ${(socketBest[1024].rate / socketBest[0].rate).toFixed(2)}x through the socket`,
);
