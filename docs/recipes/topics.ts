// Recipe: broadcasting with topics. Each connection subscribes to its room (from the URL);
// a message is published to the room once: the server frames (and compresses) it once for
// all subscribers, and `excludeSelf` keeps it from echoing back to the sender.
import { WebSocketServer } from 'strata-ws';

export function createRoomServer(port: number): WebSocketServer {
  const wss = new WebSocketServer({ port, host: '127.0.0.1' });
  wss.on('connection', (ws, req) => {
    const room = new URL(req.url ?? '/', 'http://localhost').searchParams.get('room') ?? 'lobby';
    const topic = `room:${room}`;
    ws.subscribe(topic);
    ws.on('message', (data, isBinary) => {
      ws.publish(topic, data, { binary: isBinary, excludeSelf: true });
    });
  });
  return wss;
}

/** Server-side announcements reach every subscriber of a room. */
export function announce(wss: WebSocketServer, room: string, text: string): void {
  wss.publish(`room:${room}`, text);
}
