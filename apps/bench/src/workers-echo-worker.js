// The Worker of workers-echo.js (bundled by it with esbuild, run by miniflare's workerd): two
// Durable Objects that echo, on the WebSocket hibernation API. `/handler` goes to one built by
// `@strata-ws/handler/workers` (`defineDurableObject`: the upgrade hook path, the peer and
// message wrappers, the attachment written at upgrade); `/raw` to one written directly on the
// runtime's API (acceptWebSocket, webSocketMessage -> ws.send), the floor the adapter is
// measured against; `/rawview` to the same raw object sending a Uint8Array view of the bytes.
import { defineDurableObject } from '@strata-ws/handler/workers';

export const HandlerRoom = defineDurableObject(
  {
    message(peer, message) {
      peer.send(message.isBinary ? message.bytes() : message.text());
    },
  },
  { heartbeatInterval: 0 },
);

export class RawRoom {
  constructor(state) {
    this.state = state;
  }

  fetch(request) {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Upgrade Required', { status: 426 });
    }
    const pair = new WebSocketPair();
    this.state.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  webSocketMessage(ws, message) {
    ws.send(this.view && typeof message !== 'string' ? new Uint8Array(message) : message);
  }

  webSocketClose(ws, code, reason) {
    ws.close(code, reason);
  }
}

/** The raw object sending a `Uint8Array` view of what it received, as the adapter does. */
export class RawViewRoom extends RawRoom {
  view = true;
}

export default {
  fetch(request, env) {
    const path = new URL(request.url).pathname;
    const namespace = path === '/raw' ? env.RAW : path === '/rawview' ? env.RAWVIEW : env.HANDLER;
    return namespace.get(namespace.idFromName('echo')).fetch(request);
  },
};
