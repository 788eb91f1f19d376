// Recipe (@strata-ws/handler): Hono on Deno. Hono's own `hono/deno` helper calls the global
// `Deno.upgradeWebSocket` itself, so nothing can run under it; this `upgradeWebSocket` is the
// same helper built with Hono's public `defineWebSocketHelper` on the handler's native mode
// (`denoUpgrade`): the same route code, and the handler's upgrade hook, topics, message size
// limit and send-queue policy under it. `native` mode: `Deno.serve` never hands out an
// upgrade's raw socket, which Strata's engine (`strata` mode) would need.
import type { Peer } from '@strata-ws/handler';
import { type DenoUpgrade, denoUpgrade } from '@strata-ws/handler/deno';
import { Hono } from 'hono';
import { defineWebSocketHelper, WSContext, type WSEvents } from 'hono/ws';
import { type ChatContext, chatEvents, chatGate } from './hono-events.js';

/** Hono's events as one connection's hooks (the `WSContext`'s `raw` is the handler's peer). */
function eventsAsHooks<Context>(events: WSEvents<unknown>) {
  let context: WSContext<unknown> | undefined;
  const ws = (peer: Peer<Context>) => {
    context ??= new WSContext({
      send: (data) => {
        peer.send(data as string | ArrayBuffer | Uint8Array);
      },
      close: (code, reason) => peer.close(code, reason),
      raw: peer,
      get readyState() {
        return peer.readyState;
      },
      url: new URL(peer.request.url),
      protocol: peer.protocol,
    });
    return context;
  };
  return {
    open: (peer: Peer<Context>) => events.onOpen?.(new Event('open'), ws(peer)),
    message: (
      peer: Peer<Context>,
      message: { isBinary: boolean; text(): string; arrayBuffer(): ArrayBuffer },
    ) =>
      events.onMessage?.(
        new MessageEvent('message', {
          data: message.isBinary ? message.arrayBuffer() : message.text(),
        }),
        ws(peer),
      ),
    close: (peer: Peer<Context>, details: { code: number; reason: string }) =>
      events.onClose?.(
        // A CloseEvent's fields on a plain Event (Node has no CloseEvent global).
        Object.assign(new Event('close'), { ...details, wasClean: details.code !== 1006 }) as never,
        ws(peer),
      ),
    error: (peer: Peer<Context>, error: Error) =>
      events.onError?.(Object.assign(new Event('error'), { error }), ws(peer)),
  };
}

/** Hono's `upgradeWebSocket`, served by the handler's native Deno upgrade. */
export function honoUpgradeWebSocket<Context>(native: DenoUpgrade<Context>) {
  return defineWebSocketHelper(async (c, events) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return;
    const info = c.env as Parameters<DenoUpgrade<Context>['upgrade']>[1];
    return native.upgrade(c.req.raw, info, { hooks: eventsAsHooks<Context>(events) });
  });
}

/** The chat app: `Deno.serve(app.fetch)` serves it. */
export function honoDenoChat() {
  const native = denoUpgrade<ChatContext>(chatGate);
  const upgradeWebSocket = honoUpgradeWebSocket(native);
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true, peers: native.peers.size }));
  app.get(
    '/chat',
    upgradeWebSocket(() => chatEvents((raw) => raw as Peer<ChatContext>)),
  );
  return { app, native };
}
