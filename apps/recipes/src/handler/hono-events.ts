// Recipe (@strata-ws/handler): the chat as a Hono `upgradeWebSocket` route (Hono's events:
// onOpen / onMessage / onClose with a `WSContext`), the same on Node, Bun and Deno. `peerOf`
// is the runtime adapter's: it turns `ws.raw` into the handler's peer (topics, send statuses).
// The user name comes from the handler's `upgrade` hook (`chatGate`), as its context.
import { defineHooks, type Peer } from '@strata-ws/handler';
import type { WSEvents } from 'hono/ws';

/** What the handler's upgrade hook attaches to every peer. */
export interface ChatContext {
  user: string;
}

/** The handler's hooks under a Hono route: only the gate (a user name, or 401). */
export const chatGate = defineHooks<ChatContext>({
  upgrade(request) {
    const user = new URL(request.url).searchParams.get('user');
    if (!user) return new Response('a user name is required', { status: 401 });
    return { context: { user } };
  },
});

/** The Hono events of the chat route; `peerOf(ws.raw)` is the adapter's. */
export function chatEvents(
  peerOf: (raw: unknown) => Peer<ChatContext> | undefined,
): WSEvents<unknown> {
  return {
    onOpen(_event, ws) {
      const peer = peerOf(ws.raw);
      if (peer === undefined) throw new Error('not a handler connection');
      peer.subscribe('chat');
      peer.publish('chat', `${peer.context.user} joined`);
    },
    onMessage(event, ws) {
      const peer = peerOf(ws.raw);
      peer?.publish('chat', `${peer.context.user}: ${String(event.data)}`);
      ws.send('ok');
    },
    onClose(_event, ws) {
      const peer = peerOf(ws.raw);
      peer?.publish('chat', `${peer.context.user} left`);
    },
  };
}
