// Recipe (@strata-ws/handler): the one handler every recipe below serves — the same code on
// Node, Bun, Deno and Workers. A user name is required at the upgrade (401 otherwise); every
// peer joins the `chat` topic; a message goes to everyone else, and `ok` back to its sender.
import { defineHooks } from '@strata-ws/handler';

export const chat = defineHooks<{ user: string }>({
  upgrade(request) {
    const user = new URL(request.url).searchParams.get('user');
    if (!user) return new Response('a user name is required', { status: 401 });
    return { context: { user } };
  },
  open(peer) {
    peer.subscribe('chat');
    peer.publish('chat', `${peer.context.user} joined`);
  },
  message(peer, message) {
    peer.publish('chat', `${peer.context.user}: ${message.text()}`);
    peer.send('ok');
  },
  close(peer) {
    peer.publish('chat', `${peer.context.user} left`);
  },
});
