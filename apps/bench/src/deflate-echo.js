// Compressed echo benchmark: Strata's server vs ws's, both with perMessageDeflate and their
// default options, in the same run, under one raw-TCP load generator (this file with --load,
// a separate process, no WebSocket library: pre-encoded compressed frames, header walking).
//
//   npx turbo run build && node apps/bench/src/deflate-echo.js [--seconds 5] [--rounds 2]
//
// 1. echo: 16 KiB JSON text messages, 10 connections x 10 in flight; the client offers
//    `permessage-deflate; client_no_context_takeover; client_max_window_bits` and sends every
//    message compressed (RSV1). Reported: echoed messages/s, server CPU per message.
// 2. memory: 1,000 connections, each sends one compressed message and gets its compressed
//    echo, then stays open. Reported: server RSS growth per connection (after a full GC).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { jsonMessage } from './lib/json-message.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};

const OFFER = 'permessage-deflate; client_no_context_takeover; client_max_window_bits';

// ---------------------------------------------------------------- load generator (--load)

function loadMain() {
  const port = Number(opt('port', '0'));
  const mode = opt('mode', 'echo');
  const connections = Number(opt('connections', '10'));
  const inflight = Number(opt('inflight', '10'));
  const seconds = Number(opt('seconds', '5'));
  const warmup = Number(opt('warmup', '1'));

  // 64 different documents, cycled (identical messages would flatter context takeover).
  const messages = Array.from({ length: 64 }, (_, i) => jsonMessage(16 * 1024, i + 1));
  const mask = randomBytes(4);
  // One masked frame per message: FIN + RSV1 + text, 16-bit length, compressed payload.
  const plain = argv.includes('--plain'); // baseline: no compression offered or used
  const frames = messages.map((message) => {
    const z = deflateRawSync(message, { finishFlush: constants.Z_SYNC_FLUSH });
    const payload = plain ? message : z.subarray(0, z.length - 4);
    const frame = Buffer.alloc(8 + payload.length);
    frame[0] = plain ? 0x81 : 0xc1;
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
    mask.copy(frame, 4);
    for (let i = 0; i < payload.length; i++) frame[8 + i] = payload[i] ^ mask[i & 3];
    return frame;
  });
  const compressedAverage = Math.round(
    frames.reduce((a, f) => a + f.length - 8, 0) / frames.length,
  );

  let received = 0;
  let counting = false;
  let verified = 0;

  function open(start, onOpen, onMessage) {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${plain ? '' : `Sec-WebSocket-Extensions: ${OFFER}\r\n`}\r\n`,
    );
    let head = true;
    let buffer = Buffer.alloc(0);
    let first = true;
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      if (head) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = buffer.subarray(0, end).toString('latin1');
        if (
          !text.startsWith('HTTP/1.1 101') ||
          (!plain && !/sec-websocket-extensions:\s*permessage-deflate/i.test(text))
        ) {
          throw new Error(`handshake: ${text}`);
        }
        head = false;
        buffer = buffer.subarray(end + 4);
        onOpen(socket);
      }
      // Walk the frames: server frames are unmasked.
      let o = 0;
      for (;;) {
        if (buffer.length - o < 2) break;
        let len = buffer[o + 1] & 0x7f;
        let h = 2;
        if (len === 126) {
          if (buffer.length - o < 4) break;
          len = buffer.readUInt16BE(o + 2);
          h = 4;
        } else if (len === 127) {
          if (buffer.length - o < 10) break;
          len = Number(buffer.readBigUInt64BE(o + 2));
          h = 10;
        }
        if (buffer.length - o < h + len) break;
        const b0 = buffer[o];
        if (!plain && (b0 & 0x40) === 0) throw new Error('echo was not compressed');
        if (first) {
          // The first message of a connection depends on no earlier context: check it.
          first = false;
          const body = buffer.subarray(o + h, o + h + len);
          const text = plain
            ? body
            : inflateRawSync(Buffer.concat([body, Buffer.from([0, 0, 255, 255])]), {
                finishFlush: constants.Z_SYNC_FLUSH,
              });
          if (!text.equals(messages[start % messages.length]))
            throw new Error('echo differs from the message');
          verified++;
        }
        onMessage(socket);
        o += h + len;
      }
      buffer = o === buffer.length ? Buffer.alloc(0) : buffer.subarray(o);
    });
    socket.on('error', (e) => {
      throw e;
    });
    return socket;
  }

  if (mode === 'echo') {
    const sockets = [];
    for (let c = 0; c < connections; c++) {
      let next = c * 7;
      sockets.push(
        open(
          next,
          (s) => {
            for (let i = 0; i < inflight; i++) s.write(frames[next++ % frames.length]);
          },
          (s) => {
            if (counting) received++;
            s.write(frames[next++ % frames.length]);
          },
        ),
      );
    }
    setTimeout(() => {
      counting = true;
      const start = performance.now();
      setTimeout(() => {
        const elapsed = (performance.now() - start) / 1000;
        process.stdout.write(
          `${JSON.stringify({ messagesPerSecond: received / elapsed, verified, compressedSize: compressedAverage })}\n`,
        );
        for (const s of sockets) s.destroy();
        process.exit(0);
      }, seconds * 1000);
    }, warmup * 1000);
  } else {
    // memory: open, one message each, report when all echoed, hold until stdin closes.
    let echoed = 0;
    let opened = 0;
    const concurrency = 50;
    const next = () => {
      if (opened >= connections) return;
      opened++;
      const start = opened;
      open(
        start,
        (s) => s.write(frames[start % frames.length]),
        () => {
          echoed++;
          if (echoed === connections)
            process.stdout.write(`${JSON.stringify({ ready: echoed, verified })}\n`);
          else next();
        },
      );
    };
    for (let i = 0; i < concurrency; i++) next();
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  }
}

// ---------------------------------------------------------------- driver

function procStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuSeconds: ticks / 100, rss: rssKb * 1024 };
}

function startServer(which, plain = false) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', join(here, 'deflate-echo-server.js'), which, plain ? 'plain' : 'deflate'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${which} server exited ${code}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function runLoad(args, onReady) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--load', ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', async (chunk) => {
      out += chunk;
      if (onReady && out.includes('"ready"')) {
        const ready = onReady;
        onReady = null;
        const result = await ready(JSON.parse(out.trim().split('\n').pop()));
        child.stdin.end();
        resolve(result);
      }
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited ${code}`));
      else if (!onReady) resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

async function echo(which, seconds) {
  const { child, port } = await startServer(which);
  const before = procStat(child.pid);
  const result = await runLoad([
    '--port',
    String(port),
    '--mode',
    'echo',
    '--seconds',
    String(seconds),
  ]);
  const after = procStat(child.pid);
  child.kill('SIGTERM');
  const total = result.messagesPerSecond * (seconds + 1); // roughly, warmup included in CPU time
  return { ...result, cpuPerMessage: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / total };
}

async function memory(which, connections, plain = false) {
  const { child, port } = await startServer(which, plain);
  await sleep(300);
  child.kill('SIGUSR2');
  await sleep(300);
  const before = procStat(child.pid);
  const result = await runLoad(
    [
      '--port',
      String(port),
      '--mode',
      'memory',
      '--connections',
      String(connections),
      ...(plain ? ['--plain'] : []),
    ],
    async (ready) => {
      await sleep(500);
      child.kill('SIGUSR2');
      await sleep(500);
      const after = procStat(child.pid);
      return { ...ready, perConnection: (after.rss - before.rss) / connections, rss: after.rss };
    },
  );
  child.kill('SIGTERM');
  return result;
}

async function main() {
  const seconds = Number(opt('seconds', '5'));
  const rounds = Number(opt('rounds', '2'));
  const connections = Number(opt('connections', '1000'));
  const servers = ['ws', 'strata'];
  console.log(
    `compressed echo, node ${process.version}, 16 KiB JSON, offer "${OFFER}", default options`,
  );
  const rates = { ws: [], strata: [] };
  const cpu = { ws: [], strata: [] };
  for (let r = 0; r < rounds; r++) {
    for (const s of servers) {
      const res = await echo(s, seconds);
      rates[s].push(res.messagesPerSecond);
      cpu[s].push(res.cpuPerMessage);
    }
  }
  const best = (xs) => Math.max(...xs);
  const least = (xs) => Math.min(...xs);
  console.log(`echo: 10 connections x 10 in flight, ${seconds}s, ${rounds} rounds (best)`);
  for (const s of servers) {
    console.log(
      `  ${s.padEnd(7)} ${Math.round(best(rates[s])).toString().padStart(6)} msg/s  ${(best(rates[s]) / best(rates.ws)).toFixed(2)}x ws` +
        `   server CPU ${Math.round(least(cpu[s]))} us/msg   (rounds: ${rates[s].map(Math.round).join(', ')})`,
    );
  }
  console.log(
    `memory: ${connections} connections, one 16 KiB message echoed each, server RSS growth per connection after GC`,
  );
  const mem = {};
  const base = {};
  for (const s of servers) {
    mem[s] = await memory(s, connections);
    base[s] = await memory(s, connections, true);
  }
  for (const s of servers) {
    const kb = (n) => `${(n / 1024).toFixed(1).padStart(6)} KB`;
    console.log(
      `  ${s.padEnd(7)} compressing ${kb(mem[s].perConnection)}  ${(mem[s].perConnection / mem.ws.perConnection).toFixed(3)}x ws` +
        `   (uncompressed baseline ${kb(base[s].perConnection)}; compression adds ${kb(mem[s].perConnection - base[s].perConnection)}, ` +
        `${((mem[s].perConnection - base[s].perConnection) / (mem.ws.perConnection - base.ws.perConnection)).toFixed(3)}x ws)`,
    );
  }
}

if (argv.includes('--load')) loadMain();
else await main();
