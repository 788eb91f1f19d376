// The demo server: one node:http server on one port that serves the page (public/) and, on
// /ws, a @strata-ws/server WebSocketServer. Everyone joins the topic `room:lobby` (chat) and
// `stats` (the server's own counters, published once a second). No database, no config.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { WebSocketServer } from '@strata-ws/server';

/** The subprotocol the page asks for; the server selects it (shown on the page). */
export const DEMO_PROTOCOL = 'strata-demo.v1';
/** Longest chat text and name accepted (characters). */
const MAX_TEXT = 500;
const MAX_NAME = 32;

const PUBLIC = new URL('../public/', import.meta.url);
/** The files the page needs, read once: nothing else is served. */
const FILES = new Map(
  [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
    ['/chart.js', 'chart.js', 'text/javascript; charset=utf-8'],
    ['/style.css', 'style.css', 'text/css; charset=utf-8'],
  ].map(([path, file, type]) => [path, { body: readFileSync(new URL(file, PUBLIC)), type }]),
);

/**
 * The portable entry of @strata-ws/reconnect (its built dist/, plain ES modules with relative
 * imports only), served under /vendor/reconnect/ for the page.
 */
const RECONNECT_DIST = new URL('dist/', import.meta.resolve('@strata-ws/reconnect/package.json'));
for (const file of readdirSync(RECONNECT_DIST)) {
  if (file.endsWith('.js') && file !== 'node.js' && file !== 'server.js') {
    FILES.set(`/vendor/reconnect/${file}`, {
      body: readFileSync(new URL(file, RECONNECT_DIST)),
      type: 'text/javascript; charset=utf-8',
    });
  }
}

/** Answers the page's GET requests; 404 for anything else, 405 for other methods. */
function serveStatic(req, res) {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const file = FILES.get(path);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (file === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': file.body.length,
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

/** A short, non-secret id for a connection (shown next to its messages). */
let nextId = 1;

/**
 * Handles one message from a page. Text JSON only: `chat` is published to the room, `ping` is
 * answered to the sender alone (the page's round-trip measurement). Anything else closes the
 * connection with 1003 (binary) or 1008 (not a message of this protocol).
 */
function onMessage(wss, ws, data, isBinary) {
  if (isBinary) {
    ws.close(1003, 'text JSON only');
    return;
  }
  let msg;
  try {
    msg = JSON.parse(String(data));
  } catch {
    ws.close(1008, 'not JSON');
    return;
  }
  if (msg?.type === 'ping' && typeof msg.t === 'number') {
    ws.send(JSON.stringify({ type: 'pong', t: msg.t }));
  } else if (msg?.type === 'chat' && typeof msg.text === 'string' && msg.text.length > 0) {
    const name = typeof msg.name === 'string' ? msg.name.slice(0, MAX_NAME) : '';
    wss.publish(
      'room:lobby',
      JSON.stringify({
        type: 'chat',
        from: ws.data.id,
        name: name || `guest-${ws.data.id}`,
        text: msg.text.slice(0, MAX_TEXT),
        at: Date.now(),
      }),
    );
  } else {
    ws.close(1008, 'unknown message');
  }
}

/**
 * Starts the demo and resolves once it listens.
 * @param {{ host?: string, port?: number, statsInterval?: number }} [options]
 *   host (default 127.0.0.1), port (default 8080; 0 picks a free one), statsInterval in ms
 *   (default 1000)
 * @returns {Promise<{ url: string, port: number, wss: WebSocketServer,
 *   close(options?: { timeout?: number }): Promise<void> }>}
 */
export async function startDemo({ host = '127.0.0.1', port = 8080, statsInterval = 1000 } = {}) {
  const http = createServer(
    { headersTimeout: 10_000, requestTimeout: 10_000, connectionsCheckingInterval: 1_000 },
    serveStatic,
  );
  const wss = new WebSocketServer({
    server: http,
    path: '/ws',
    protocols: [DEMO_PROTOCOL],
    perMessageDeflate: true,
    maxPayload: 64 * 1024,
    maxMessageSize: 64 * 1024,
    authenticate: () => ({ accept: { data: { id: nextId++ } } }),
  });
  wss.on('connection', (ws) => {
    ws.subscribe('room:lobby');
    ws.subscribe('stats');
    ws.send(
      JSON.stringify({
        type: 'hello',
        id: ws.data.id,
        protocol: ws.protocol,
        extensions: ws.extensions,
        transport: ws.transport,
      }),
    );
    ws.on('message', (data, isBinary) => onMessage(wss, ws, data, isBinary));
    ws.on('error', () => {});
  });
  const started = Date.now();
  const timer = setInterval(() => {
    const memory = process.memoryUsage();
    wss.publish(
      'stats',
      JSON.stringify({
        type: 'stats',
        counters: wss.counters.snapshot(),
        memory: { rss: memory.rss, heapUsed: memory.heapUsed },
        uptime: Date.now() - started,
      }),
    );
  }, statsInterval);
  timer.unref();

  // The WebSocketServer re-emits its http server's errors: a port in use rejects here.
  await new Promise((resolve, reject) => {
    wss.once('error', reject);
    http.listen(port, host, () => {
      wss.off('error', reject);
      resolve(undefined);
    });
  }).catch((error) => {
    clearInterval(timer);
    throw error;
  });
  wss.on('error', (error) => process.emitWarning(`strata demo: ${error.message}`));
  const address = http.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${boundPort}/`,
    port: boundPort,
    wss,
    async close({ timeout = 2000 } = {}) {
      clearInterval(timer);
      const closed = new Promise((resolve) => http.close(() => resolve(undefined)));
      await wss.shutdown({ code: 1001, reason: 'server restarting', timeout });
      http.closeAllConnections();
      await closed;
    },
  };
}
