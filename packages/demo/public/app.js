// The demo page: one WebSocket to /ws (subprotocol strata-demo.v1) through
// @strata-ws/reconnect's ReconnectingWebSocket (the WHATWG interface; exponential backoff with
// full jitter when the connection drops, e.g. a server restart, which sends 1001 first).
// Shows the room's chat, the negotiated subprotocol and extensions, messages/s and the
// round-trip time of application pings on a live chart, and the server's own counters.
import { ReconnectingWebSocket } from '/vendor/reconnect/index.js';
import { formatNumber, LiveChart } from './chart.js';

const PROTOCOL = 'strata-demo.v1';
/** Backoff: first retry after up to 250 ms, doubling, at most 5 s, each drawn in [0, cap]. */
const RECONNECT = {
  minReconnectionDelay: 250,
  maxReconnectionDelay: 5000,
  reconnectionDelayGrowFactor: 2,
  jitter: 'full',
  connectionTimeout: 4000,
  minUptime: 2000,
};

const $ = (id) => document.getElementById(id);
const wsUrl = new URL('/ws', location.href);
wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';

const state = {
  ws: null,
  attempt: 0,
  reconnects: 0,
  everOpened: false,
  received: 0,
  rtts: [],
  pingsPerSecond: 5,
  pingTimer: 0,
};

const chart = new LiveChart($('chart'), [
  { label: 'messages/s', color: '#3ecf8e', unit: '/s' },
  { label: 'round trip', color: '#6ea8fe', unit: 'ms' },
]);

function setStatus(kind, text) {
  const el = $('status');
  el.className = `status ${kind}`;
  el.dataset.state = kind;
  el.textContent = text;
}

function logLine(text, who, system = false) {
  const li = document.createElement('li');
  if (system) li.className = 'system';
  if (who) {
    const span = document.createElement('span');
    span.className = 'who';
    span.textContent = who;
    li.append(span);
  }
  li.append(document.createTextNode(text));
  const log = $('log');
  log.append(li);
  while (log.children.length > 200) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

function bytes(n) {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function onServerMessage(msg) {
  switch (msg.type) {
    case 'hello':
      $('conn-id').textContent = String(msg.id);
      $('transport').textContent = String(msg.transport);
      break;
    case 'pong':
      state.rtts.push(performance.now() - msg.t);
      break;
    case 'chat':
      logLine(msg.text, `${msg.name}:`);
      break;
    case 'stats': {
      const c = msg.counters;
      $('c-open').textContent = String(c.connectionsOpen);
      $('c-total').textContent = String(c.connectionsTotal);
      $('c-messages').textContent = `${c.messagesReceived} / ${c.messagesSent}`;
      $('c-bytes').textContent = `${bytes(c.bytesReceived)} / ${bytes(c.bytesSent)}`;
      $('c-memory').textContent = `${bytes(msg.memory.rss)} / ${bytes(msg.memory.heapUsed)}`;
      $('c-uptime').textContent = `${Math.round(msg.uptime / 1000)} s`;
      break;
    }
  }
}

function schedulePings() {
  clearInterval(state.pingTimer);
  state.pingTimer = setInterval(() => {
    const ws = state.ws;
    if (ws?.readyState === WebSocket.OPEN && ws.bufferedAmount < 64 * 1024) {
      ws.send(JSON.stringify({ type: 'ping', t: performance.now() }));
    }
  }, 1000 / state.pingsPerSecond);
}

function connect() {
  setStatus('connecting', 'connecting…');
  const ws = new ReconnectingWebSocket(wsUrl.href, [PROTOCOL], RECONNECT);
  state.ws = ws;
  $('url').textContent = wsUrl.href;
  ws.addEventListener('open', () => {
    if (state.everOpened) {
      state.reconnects++;
      logLine(`reconnected after ${state.attempt} attempt(s)`, '', true);
    }
    state.everOpened = true;
    state.attempt = 0;
    $('reconnects').textContent = String(state.reconnects);
    $('protocol').textContent = ws.protocol || '(none)';
    $('extensions').textContent = ws.extensions || '(none)';
    setStatus('open', 'connected');
  });
  ws.addEventListener('message', (event) => {
    state.received++;
    try {
      onServerMessage(JSON.parse(event.data));
    } catch {
      // Not this protocol's message: counted, not shown.
    }
  });
  ws.addEventListener('close', (event) => {
    if (state.everOpened && state.attempt === 0) {
      logLine(
        `connection closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`,
        '',
        true,
      );
    }
    setStatus('closed', `disconnected (${event.code})`);
  });
  ws.addEventListener('reconnecting', (event) => {
    state.attempt = event.attempt;
    setStatus(
      'closed',
      `reconnecting in ${(event.delay / 1000).toFixed(1)} s (attempt ${event.attempt})`,
    );
  });
}

$('chat').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value.trim();
  if (text === '' || state.ws?.readyState !== WebSocket.OPEN) return;
  state.ws.send(JSON.stringify({ type: 'chat', name: $('name').value.trim(), text }));
  $('text').value = '';
});

$('load').addEventListener('input', (event) => {
  state.pingsPerSecond = Number(event.target.value);
  $('load-value').textContent = String(state.pingsPerSecond);
  schedulePings();
});

setInterval(() => {
  const rate = state.received;
  state.received = 0;
  const rtts = state.rtts.splice(0);
  const rtt = rtts.length > 0 ? rtts.reduce((a, b) => a + b, 0) / rtts.length : null;
  $('rate').textContent = formatNumber(rate);
  $('rtt').textContent = rtt === null ? '–' : rtt.toFixed(2);
  chart.push(rate, rtt);
}, 1000);

schedulePings();
connect();
