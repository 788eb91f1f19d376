// The client agent: any WHATWG-style WebSocket (Node's built-in, Bun's, Chromium's, ws, Strata)
// driven by the fuzzing server. It connects to <base>next?prev=<events of the last case> again
// and again, echoes every message with its type, and stops at a close 4999 "conformance:done".
// As a program: `node --experimental-websocket agent.js <base>` or `bun agent.js <base>`
// (globalThis.WebSocket); prints {"done": true} when finished. `agent.js exchange <url>` runs
// the interop exchange (below) against an echo server and prints its result.

/**
 * The case in progress, for the uncaught-exception handler of the program (below): an
 * exception the WebSocket implementation throws outside any handler ends the case with an
 * `uncaught:<name>: <message>` event instead of ending the process.
 */
let current = null;

/** One connection: resolves with the events seen (open, error, close:<code>:<clean|unclean>). */
function once(url, WebSocketImpl) {
  return new Promise((resolveOnce) => {
    const events = [];
    let settled = false;
    const resolve = (result) => {
      if (settled) return;
      settled = true;
      current = null;
      resolveOnce(result);
    };
    current = {
      uncaught(error) {
        // No commas: the events travel comma-separated in the next URL.
        const text = `${error?.name ?? 'Error'}: ${error?.message ?? error}`;
        events.push(`uncaught:${text.replace(/[,\n]/g, ';').slice(0, 160)}`);
        clearTimeout(timer);
        try {
          ws?.close();
        } catch {}
        resolve({ events, done: false });
      },
    };
    let ws;
    try {
      ws = new WebSocketImpl(url);
    } catch (error) {
      resolve({ events: [`throw:${error?.name}`], done: false });
      return;
    }
    ws.binaryType = 'arraybuffer';
    // A handshake takes milliseconds here: 5 s without open or close is a client that failed
    // the handshake without firing close (the report shows its readyState then); an open
    // connection gets 30 s (16 MiB messages on a slow client).
    const giveUp = (ms) =>
      setTimeout(() => {
        events.push(`timeout:readyState=${ws.readyState}`);
        try {
          ws.close();
        } catch {}
        resolve({ events, done: false });
      }, ms);
    let timer = giveUp(5000);
    ws.onopen = () => {
      events.push('open');
      clearTimeout(timer);
      timer = giveUp(30000);
    };
    ws.onerror = () => events.push('error');
    ws.onmessage = (event) => {
      if (ws.readyState === 1) ws.send(event.data);
    };
    ws.onclose = (event) => {
      clearTimeout(timer);
      events.push(`close:${event.code}:${event.wasClean ? 'clean' : 'unclean'}`);
      resolve({ events, done: event.code === 4999 && event.reason === 'conformance:done' });
    };
  });
}

/** Runs cases until the fuzzing server says it is done (at most 2000 connections). */
export async function runAgent(base, WebSocketImpl) {
  let prev = '';
  for (let i = 0; i < 2000; i++) {
    const result = await once(`${base}next?prev=${encodeURIComponent(prev)}`, WebSocketImpl);
    if (result.done) return;
    prev = result.events.join(',');
  }
}

const isMain =
  typeof process !== 'undefined' &&
  process.argv[1] !== undefined &&
  import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '');
if (isMain && process.argv[2] && process.argv[2] !== 'exchange') {
  const base = process.argv[2];
  process.on('uncaughtException', (error) => {
    if (current) current.uncaught(error);
    else {
      console.error(error);
      process.exit(1);
    }
  });
  setTimeout(() => process.exit(2), 600000).unref?.();
  runAgent(base, globalThis.WebSocket).then(() => {
    console.log(JSON.stringify({ done: true }));
    process.exit(0);
  });
}

/** Messages of the interop exchange: [kind, size]. */
const EXCHANGE = [
  ['text', 0],
  ['text', 5],
  ['binary', 0],
  ['binary', 125],
  ['binary', 126],
  ['text', 65535],
  ['binary', 65536],
  ['text', 1048576],
  ['binary', 2097152],
];

function payload(kind, size, seed) {
  if (kind === 'text') {
    const unit = 'Strata ✓ κόσμε — ';
    const unitBytes = new TextEncoder().encode(unit).length;
    const n = Math.floor(size / unitBytes);
    return unit.repeat(n) + 'x'.repeat(size - n * unitBytes);
  }
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

function equal(sent, got) {
  if (typeof sent === 'string') return got === sent;
  if (!(got instanceof ArrayBuffer)) return false;
  const g = new Uint8Array(got);
  if (g.length !== sent.length) return false;
  for (let i = 0; i < g.length; i++) if (g[i] !== sent[i]) return false;
  return true;
}

/**
 * The interop exchange: sends each message and checks its echo (type and content), then closes
 * with 1000 "bye". Resolves { ok, problems, extensions, close }.
 */
export function exchange(url, WebSocketImpl) {
  return new Promise((resolve) => {
    const problems = [];
    const ws = new WebSocketImpl(url);
    ws.binaryType = 'arraybuffer';
    let i = 0;
    let sent = null;
    const next = () => {
      if (i >= EXCHANGE.length) {
        ws.close(1000, 'bye');
        return;
      }
      const [kind, size] = EXCHANGE[i];
      sent = payload(kind, size, i + 1);
      i++;
      ws.send(sent);
    };
    const timer = setTimeout(() => {
      problems.push(`timeout after ${i} messages`);
      try {
        ws.close();
      } catch {}
    }, 30000);
    ws.onopen = next;
    ws.onerror = () => problems.push('error event');
    ws.onmessage = (event) => {
      if (!equal(sent, event.data))
        problems.push(`echo ${i} differs (${EXCHANGE[i - 1].join(' ')})`);
      next();
    };
    ws.onclose = (event) => {
      clearTimeout(timer);
      if (event.code !== 1000) problems.push(`closed with ${event.code} ${event.reason}`);
      if (i < EXCHANGE.length) problems.push(`only ${i}/${EXCHANGE.length} messages`);
      resolve({
        ok: problems.length === 0,
        problems,
        extensions: ws.extensions ?? '',
        close: event.code,
      });
    };
  });
}

if (isMain && process.argv[2] === 'exchange') {
  setTimeout(() => process.exit(2), 60000).unref?.();
  exchange(process.argv[3], globalThis.WebSocket).then((result) => {
    console.log(JSON.stringify(result));
    process.exit(0);
  });
}
