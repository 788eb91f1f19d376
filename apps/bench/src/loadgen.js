// Raw-TCP WebSocket load generator: neither library on this side, so every server is
// measured against the same client. Clients are plain node:net sockets that send a
// hand-written upgrade request, then pipeline pre-encoded masked frames and count the
// echoed frames by walking every frame header (a malformed frame is an error, not a guess).
//
// Usage: node loadgen.js --port P [--host 127.0.0.1] --mode M [options]
//   --mode echo        N connections, each keeps --inflight frames of --size bytes in flight
//                      (--connections 50 --inflight 100 --size 64 --seconds 5 --warmup 1)
//   --mode handshake   open --connections upgrades (--concurrency 100 at a time), report
//                      handshakes/s, then close them
//   --mode idle        open --connections upgrades, print {"ready":...}, hold them until
//                      stdin closes or SIGTERM
//   --mode flood       one connection sends --size byte frames for --seconds and never reads
//                      (the slow-consumer attack: the server's echoes pile up on its side)
//   --text             send text frames (ASCII payload) instead of binary
// Prints one JSON line with the result.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

function parseArgs(argv) {
  const args = {
    host: '127.0.0.1',
    port: 0,
    path: '/',
    mode: 'echo',
    connections: 50,
    inflight: 100,
    size: 64,
    seconds: 5,
    warmup: 1,
    concurrency: 100,
    text: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (name === 'text') {
      args.text = true;
      continue;
    }
    const value = argv[++i];
    if (!(name in args)) throw new Error(`unknown option --${name}`);
    args[name] = typeof args[name] === 'number' ? Number(value) : value;
  }
  if (!args.port) throw new Error('--port is required');
  return args;
}

const args = parseArgs(process.argv.slice(2));

function upgradeRequest() {
  const key = randomBytes(16).toString('base64');
  return Buffer.from(
    `GET ${args.path} HTTP/1.1\r\nHost: ${args.host}:${args.port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    'latin1',
  );
}

/** One masked client frame (RFC 6455 §5.2) of `size` bytes, repeated `count` times. */
function encodeFrames(size, count, text) {
  const headerLength = (size < 126 ? 2 : size < 65536 ? 4 : 10) + 4;
  const frameLength = headerLength + size;
  const out = Buffer.allocUnsafe(frameLength * count);
  const payload = Buffer.alloc(size, 0x61); // 'a': valid UTF-8 for text frames
  const mask = randomBytes(4);
  for (let f = 0; f < count; f++) {
    const o = f * frameLength;
    out[o] = 0x80 | (text ? 1 : 2);
    let h = o + 2;
    if (size < 126) out[o + 1] = 0x80 | size;
    else if (size < 65536) {
      out[o + 1] = 0x80 | 126;
      out.writeUInt16BE(size, o + 2);
      h = o + 4;
    } else {
      out[o + 1] = 0x80 | 127;
      out.writeUInt32BE(0, o + 2);
      out.writeUInt32BE(size, o + 6);
      h = o + 10;
    }
    mask.copy(out, h);
    for (let i = 0; i < size; i++) out[h + 4 + i] = payload[i] ^ mask[i & 3];
  }
  return { bytes: out, frameLength };
}

/**
 * Counts complete server frames across chunk boundaries. Returns a function chunk -> number
 * of data frames completed in it. Throws on a masked or malformed server frame.
 */
function frameCounter() {
  const header = Buffer.alloc(14);
  let headerHave = 0;
  let remaining = 0; // payload bytes of the current frame still to skip
  let inPayload = false;
  let isData = false;
  return (chunk) => {
    let count = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (inPayload) {
        const k = Math.min(remaining, n - i);
        remaining -= k;
        i += k;
        if (remaining === 0) {
          inPayload = false;
          if (isData) count++;
        }
        continue;
      }
      // Header: gather at least 2 bytes, then the extended length.
      header[headerHave++] = chunk[i++];
      if (headerHave < 2) continue;
      if (header[1] & 0x80) throw new Error('masked frame from the server');
      const len7 = header[1] & 0x7f;
      const need = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
      if (headerHave < need) continue;
      const opcode = header[0] & 0x0f;
      isData = opcode === 0 || opcode === 1 || opcode === 2;
      if (opcode === 8) throw new Error('close frame from the server');
      remaining =
        len7 < 126
          ? len7
          : len7 === 126
            ? header.readUInt16BE(2)
            : header.readUInt32BE(2) * 2 ** 32 + header.readUInt32BE(6);
      headerHave = 0;
      if (remaining === 0) {
        if (isData) count++;
      } else {
        inPayload = true;
      }
    }
    return count;
  };
}

/** Connects and upgrades; resolves with { socket, rest } (bytes after the 101). */
function open() {
  return new Promise((resolve, reject) => {
    const socket = connect(args.port, args.host);
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.off('error', reject);
      const status = head.toString('latin1', 0, 12);
      if (status !== 'HTTP/1.1 101') {
        socket.destroy();
        reject(new Error(`handshake refused: ${head.toString('latin1', 0, end).split('\r\n')[0]}`));
        return;
      }
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(upgradeRequest());
  });
}

async function openMany(count, concurrency) {
  const sockets = [];
  let next = 0;
  async function worker() {
    while (next < count) {
      next++;
      sockets.push(await open());
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return sockets;
}

async function echoMode() {
  const { bytes, frameLength } = encodeFrames(args.size, args.inflight, args.text);
  const conns = await openMany(args.connections, args.concurrency);
  let counting = false;
  let counted = 0;
  let total = 0;
  let errors = 0;
  // Refills are batched: echoes counted during one event-loop turn are answered with one
  // write per socket (the load generator must not be the bottleneck).
  const owed = new Map();
  let refillScheduled = false;
  const refill = () => {
    refillScheduled = false;
    for (const [socket, k] of owed) {
      let left = k;
      while (left > 0) {
        const m = Math.min(left, args.inflight);
        socket.write(bytes.subarray(0, m * frameLength));
        left -= m;
      }
    }
    owed.clear();
  };
  for (const { socket, rest } of conns) {
    const count = frameCounter();
    const onFrames = (chunk) => {
      let k;
      try {
        k = count(chunk);
      } catch (error) {
        errors++;
        socket.destroy(error);
        return;
      }
      if (k === 0) return;
      total += k;
      if (counting) counted += k;
      owed.set(socket, (owed.get(socket) ?? 0) + k);
      if (!refillScheduled) {
        refillScheduled = true;
        setImmediate(refill);
      }
    };
    socket.on('data', onFrames);
    socket.on('error', () => errors++);
    if (rest.length > 0) onFrames(rest);
    socket.write(bytes);
  }
  await new Promise((r) => setTimeout(r, args.warmup * 1000));
  counting = true;
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, args.seconds * 1000));
  counting = false;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (const { socket } of conns) socket.destroy();
  return {
    mode: 'echo',
    connections: args.connections,
    inflight: args.inflight,
    size: args.size,
    messages: counted,
    totalMessages: total,
    seconds,
    messagesPerSecond: Math.round(counted / seconds),
    megabytesPerSecond: Math.round(((counted * args.size) / seconds / 1e6) * 10) / 10,
    meanRoundTripUs:
      counted > 0
        ? Math.round(((seconds * 1e6) / counted) * args.connections * args.inflight)
        : null,
    errors,
  };
}

async function handshakeMode() {
  const start = process.hrtime.bigint();
  const conns = await openMany(args.connections, args.concurrency);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (const { socket } of conns) socket.destroy();
  return {
    mode: 'handshake',
    connections: conns.length,
    concurrency: args.concurrency,
    seconds,
    handshakesPerSecond: Math.round(conns.length / seconds),
  };
}

async function idleMode() {
  const conns = await openMany(args.connections, args.concurrency);
  process.stdout.write(`${JSON.stringify({ ready: conns.length })}\n`);
  await new Promise((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.resume();
    process.on('SIGTERM', resolve);
  });
  for (const { socket } of conns) socket.destroy();
  return { mode: 'idle', connections: conns.length };
}

async function floodMode() {
  const { bytes } = encodeFrames(args.size, 64, args.text);
  const [{ socket }] = await openMany(1, 1);
  socket.pause();
  let closedByServer = false;
  socket.on('close', () => {
    closedByServer = true;
  });
  socket.on('error', () => {});
  let sent = 0;
  const end = Date.now() + args.seconds * 1000;
  while (Date.now() < end && !closedByServer) {
    sent += bytes.length;
    if (!socket.write(bytes)) {
      // Respect our own queue so this process stays small; the kernel buffers are full.
      await new Promise((resolve) => {
        const onDrain = () => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          socket.off('drain', onDrain);
          resolve();
        }, 100);
        socket.once('drain', onDrain);
      });
    }
  }
  socket.destroy();
  return { mode: 'flood', seconds: args.seconds, sentBytes: sent, closedByServer };
}

const modes = { echo: echoMode, handshake: handshakeMode, idle: idleMode, flood: floodMode };
const run = modes[args.mode];
if (!run) throw new Error(`unknown mode ${args.mode}`);
run().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  },
);
