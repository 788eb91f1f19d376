// The WebSocket exchange every standard client runs against the Strata echo server
// (test/helpers.ts): headless Chromium (as a page module), Bun and Deno (runtime-client.js),
// each with its own built-in `WebSocket`. Two connections: the first exchanges text and
// binary (with whatever compression the client offers), then asks the server to close; the
// second closes from the client. Every event is logged in order for the test to assert on.

/** A deterministic pseudo-random byte sequence (xorshift32): incompressible binary. */
function randomBytes(length, seed) {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function largeText(bytes) {
  const unit = 'Strata ✓ WebSocket — 你好 🌍 permessage-deflate; ';
  return unit.repeat(Math.ceil(bytes / new TextEncoder().encode(unit).length));
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What the page sends on the first connection, and how to recognise each echo. */
const outgoing = [
  { name: 'text', data: 'hello' },
  { name: 'empty text', data: '' },
  { name: 'multi-byte text', data: 'héllo wörld — 你好 🌍 𝄞' },
  { name: 'binary 0..255', data: Uint8Array.from({ length: 256 }, (_, i) => i) },
  { name: 'empty binary', data: new Uint8Array(0) },
  { name: 'large text (1 MiB, compressible)', data: largeText(1 << 20) },
  { name: 'large binary (1 MiB, random)', data: randomBytes(1 << 20, 6455) },
  { name: 'blob', data: new Blob([new Uint8Array([1, 2, 3]), 'four']) },
  { name: 'ArrayBuffer slice', data: randomBytes(65536, 7).buffer },
];

async function expected(item) {
  if (typeof item.data === 'string') return item.data;
  if (item.data instanceof Blob) return new Uint8Array(await item.data.arrayBuffer());
  if (item.data instanceof ArrayBuffer) return new Uint8Array(item.data);
  return item.data;
}

function describeData(data) {
  if (typeof data === 'string') {
    return { kind: 'text', length: data.length, head: data.slice(0, 40) };
  }
  return {
    kind: data instanceof ArrayBuffer ? 'arraybuffer' : typeof data,
    length: data.byteLength,
  };
}

function connect(url, protocols) {
  const events = [];
  const ws = new WebSocket(url, protocols);
  ws.binaryType = 'arraybuffer';
  const closed = new Promise((resolve) => {
    ws.addEventListener('open', () =>
      events.push({ type: 'open', protocol: ws.protocol, extensions: ws.extensions }),
    );
    ws.addEventListener('error', () => events.push({ type: 'error' }));
    ws.addEventListener('close', (event) => {
      events.push({
        type: 'close',
        code: event.code,
        reason: event.reason,
        wasClean: event.wasClean,
        readyState: ws.readyState,
      });
      resolve();
    });
  });
  return { ws, events, closed };
}

async function serverCloses(url) {
  const expectations = await Promise.all(outgoing.map(expected));
  const { ws, events, closed } = connect(url, ['strata.v2', 'strata.v1']);
  // The server greets at once, so the 101 and the greeting often arrive together. Events
  // are separate tasks: a microtask queued by the open listener runs before the message.
  const openMicrotaskOrder = [];
  ws.addEventListener('open', () =>
    queueMicrotask(() => openMicrotaskOrder.push('microtask queued by open')),
  );
  ws.addEventListener('message', () => openMicrotaskOrder.push('message'), { once: true });
  const messages = [];
  const allEchoed = new Promise((resolve) => {
    ws.addEventListener('message', (event) => {
      events.push({ type: 'message', ...describeData(event.data) });
      messages.push(event.data);
      // The server's greeting plus one echo per message sent.
      if (messages.length === outgoing.length + 1) resolve();
    });
  });
  await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
  for (const item of outgoing) ws.send(item.data);
  await allEchoed;
  const echoes = messages.slice(1).map((data, i) => {
    const want = expectations[i];
    const equal =
      typeof want === 'string'
        ? data === want
        : data instanceof ArrayBuffer && sameBytes(new Uint8Array(data), want);
    return { name: outgoing[i].name, equal };
  });
  ws.send('close:4002:server says bye ✓');
  // Sent right behind the close request: the server gets it while closing, echoes nothing.
  ws.send('after close request');
  await closed;
  return {
    events,
    greeting: messages[0],
    echoes,
    bufferedAmountAtEnd: ws.bufferedAmount,
    openMicrotaskOrder,
  };
}

async function clientCloses(url) {
  const { ws, events, closed } = connect(url);
  await new Promise((resolve) => ws.addEventListener('open', resolve, { once: true }));
  ws.addEventListener('message', (event) =>
    events.push({ type: 'message', ...describeData(event.data) }),
  );
  ws.close(4003, 'client bye ✓');
  events.push({ type: 'after close()', readyState: ws.readyState });
  await closed;
  return { events };
}

/**
 * Runs both connections against `url` (a Strata echo server) and resolves with what the
 * client observed; never rejects.
 */
export async function runExchange(url) {
  try {
    return { first: await serverCloses(url), second: await clientCloses(url) };
  } catch (error) {
    return { error: String(error) };
  }
}
