/**
 * The shared behaviour suite's server side: ONE hooks module that every adapter's fixture
 * serves unchanged (Node in-process; Bun, Deno and workerd in their own runtimes), so that the
 * cases in `cases.ts` check the same behaviour everywhere. Portable: it imports only
 * `@strata-ws/handler`.
 *
 * Wire protocol (what the cases send):
 * - upgrade: path `/refuse` → 403 `go away` with `x-refused: yes`; path `/throw` → throws a
 *   401 `token required`; path `/pick-v1` → agrees `chat.v1` whatever the preference; query
 *   `tag=<t>` → `context.tag`, `user=<u>` → `context.user`; `greet=1` → `open` sends `hello <json>`.
 * - a binary message is echoed as binary; a text message not starting with `!` is echoed as text;
 *   a text message starting with `{` gets `json:<sorted keys>` (through `message.json()`).
 * - commands (text): `!info`, `!sub <topic>`, `!unsub <topic>`, `!topics`, `!pub <topic> <text>`,
 *   `!pubbin <topic> <n>`, `!close <code> [reason]`, `!terminate`, `!throw`, `!closed <tag>`,
 *   `!flood <bytes per message>`, `!stats <tag>`, `!drain <bytes per message>`.
 */
import {
  defineHooks,
  type HandlerOptions,
  type Hooks,
  type Peer,
  SendStatus,
} from '@strata-ws/handler';

/** What `upgrade` attaches. */
export interface SuiteContext {
  readonly tag: string;
  readonly user: string | undefined;
}

/** Options every fixture passes to its adapter (small limits keep the cases fast). */
export const SUITE_OPTIONS: HandlerOptions & {
  protocols: readonly string[];
  maxMessageSize: number;
  maxBufferedAmount: number;
} = {
  protocols: ['chat.v2', 'chat.v1'],
  maxPayload: 64 * 1024,
  maxMessageSize: 64 * 1024,
  highWaterMark: 16 * 1024,
  maxBufferedAmount: 256 * 1024,
  closeTimeout: 1_000,
  heartbeatInterval: 0,
};

/** Largest number of bytes `!flood` sends before it gives up (the queue was not bounded). */
export const FLOOD_CAP: number = 32 * 1024 * 1024;

interface FloodStats {
  sent: number;
  bytes: number;
  backpressured: number;
  maxBufferedAmount: number;
  stoppedBy: 'dropped' | 'closed' | 'cap' | 'running';
}

const closes = new Map<string, { code: number; reason: string }>();
const floods = new Map<string, FloodStats>();
const errors = new Map<string, string>();

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

async function flood(peer: Peer<SuiteContext>, size: number): Promise<void> {
  const stats: FloodStats = {
    sent: 0,
    bytes: 0,
    backpressured: 0,
    maxBufferedAmount: 0,
    stoppedBy: 'running',
  };
  floods.set(peer.context.tag, stats);
  const chunk = new Uint8Array(size).fill(0x61);
  while (stats.bytes < FLOOD_CAP) {
    // A burst, then let the runtime write: the client does not read, so its socket fills up.
    for (let i = 0; i < 8; i++) {
      if (peer.readyState !== 1) {
        stats.stoppedBy = 'closed';
        return;
      }
      const status = peer.send(chunk);
      if (status === SendStatus.Dropped) {
        stats.stoppedBy = peer.readyState === 1 ? 'dropped' : 'closed';
        return;
      }
      if (status === SendStatus.Backpressure) stats.backpressured++;
      stats.sent++;
      stats.bytes += size;
      stats.maxBufferedAmount = Math.max(stats.maxBufferedAmount, peer.bufferedAmount);
    }
    await tick();
  }
  stats.stoppedBy = 'cap';
}

const drainWaiters = new WeakSet<Peer<SuiteContext>>();

/** The suite's hooks (see the module comment for the wire protocol). */
export const behaviourHooks: Hooks<SuiteContext> = defineHooks<SuiteContext>({
  upgrade(request) {
    const url = new URL(request.url);
    if (url.pathname === '/refuse') {
      return new Response('go away', { status: 403, headers: { 'x-refused': 'yes' } });
    }
    if (url.pathname === '/throw') {
      throw new Response('token required', { status: 401 });
    }
    const context: SuiteContext = {
      tag: url.searchParams.get('tag') ?? '',
      user: url.searchParams.get('user') ?? undefined,
    };
    if (url.pathname === '/pick-v1') return { context, protocol: 'chat.v1' };
    return { context, headers: { 'x-suite': 'accepted' } };
  },

  open(peer) {
    const url = new URL(peer.request.url);
    if (url.searchParams.get('greet') === '1') {
      peer.send(`hello ${JSON.stringify({ context: peer.context, protocol: peer.protocol })}`);
    }
  },

  message(peer, message) {
    if (message.isBinary) {
      peer.send(message.bytes());
      return;
    }
    const text = message.text();
    if (text.startsWith('{')) {
      peer.send(`json:${Object.keys(message.json<Record<string, unknown>>()).sort().join(',')}`);
      return;
    }
    if (!text.startsWith('!')) {
      peer.send(text);
      return;
    }
    const [command = '', ...args] = text.slice(1).split(' ');
    const arg = args[0] ?? '';
    switch (command) {
      case 'info':
        peer.send(
          JSON.stringify({
            id: peer.id,
            type: message.type,
            remoteAddress: peer.remoteAddress ?? null,
            protocol: peer.protocol,
            context: peer.context,
            readyState: peer.readyState,
            path: new URL(peer.request.url).pathname,
            header: peer.request.headers.get('x-test'),
          }),
        );
        return;
      case 'sub':
        peer.subscribe(arg);
        peer.send(`subscribed ${arg}`);
        return;
      case 'unsub':
        peer.unsubscribe(arg);
        peer.send(`unsubscribed ${arg}`);
        return;
      case 'topics':
        peer.send(JSON.stringify([...peer.topics].sort()));
        return;
      case 'pub':
        peer.publish(arg, args.slice(1).join(' '));
        peer.send('published');
        return;
      case 'pubbin':
        peer.publish(arg, new Uint8Array(Number(args[1])).fill(0x62));
        peer.send('published');
        return;
      case 'close':
        peer.close(Number(arg), args.slice(1).join(' '));
        return;
      case 'terminate':
        peer.terminate();
        return;
      case 'throw':
        throw new Error('boom');
      case 'closed':
        peer.send(JSON.stringify(closes.get(arg) ?? null));
        return;
      case 'errors':
        peer.send(JSON.stringify(errors.get(arg) ?? null));
        return;
      case 'flood':
        void flood(peer, Number(arg));
        return;
      case 'stats':
        peer.send(JSON.stringify(floods.get(arg) ?? null));
        return;
      case 'drain': {
        const chunk = new Uint8Array(Number(arg)).fill(0x63);
        let sent = 0;
        while (sent < 1000 && peer.send(chunk) !== SendStatus.Backpressure) sent++;
        drainWaiters.add(peer);
        return;
      }
      default:
        peer.send(`unknown command ${command}`);
    }
  },

  drain(peer) {
    if (drainWaiters.delete(peer)) peer.send('drained');
  },

  close(peer, { code, reason }) {
    closes.set(peer.context.tag, { code, reason });
  },

  error(peer, error) {
    errors.set(peer.context.tag, error.message);
    if (error.message === 'boom') peer.send(`error ${error.message}`);
  },
});
