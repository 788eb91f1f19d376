// Recipe: heartbeats. The server pings connections that were silent for `heartbeatInterval`
// and terminates those still silent one interval later (one sweep timer for all
// connections); the client's `heartbeat` option does the same from its side, so a dead peer
// is noticed at both ends.
import { WebSocket, WebSocketServer } from 'strata-ws';

/** A server that drops peers silent for about two `intervalMs`. */
export function createHeartbeatServer(port: number, intervalMs = 30_000): WebSocketServer {
  return new WebSocketServer({ port, host: '127.0.0.1', heartbeatInterval: intervalMs });
}

/** A client that pings after `intervalMs` of silence and fails if no answer comes in time. */
export function connectWithHeartbeat(url: string, intervalMs = 30_000): WebSocket {
  return new WebSocket(url, { heartbeat: { interval: intervalMs, timeout: intervalMs } });
}
