/**
 * The shared behaviour suite: the same cases against every adapter, each running in its real
 * runtime and serving `hooks.ts` unchanged, driven from Node by real clients. An adapter's test
 * file calls {@link defineBehaviourSuite} with a `start` that launches its fixture; a case an
 * adapter cannot pass is listed in `skip` with the reason (documented in the README).
 */
import { once } from 'node:events';
import { WebSocket as StrataWebSocket } from '@strata-ws/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, refusedUpgrade, until, upgradeAnswer, within } from './client.js';
import { SUITE_OPTIONS } from './hooks.js';

/** A running fixture server. */
export interface SuiteServer {
  /** `ws://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** Stops the server (and its process); called once after the cases. */
  stop(): Promise<void>;
}

/** The names of the cases, for `skip`. */
export type CaseName =
  | 'echo'
  | 'binary and text'
  | 'json'
  | 'whatwg client'
  | 'subprotocol'
  | 'refusal'
  | 'context'
  | 'peer info'
  | 'topics'
  | 'close codes'
  | 'terminate'
  | 'over the limit'
  | 'hook error'
  | 'non-reading peer'
  | 'drain';

/** Options of {@link defineBehaviourSuite}. */
export interface SuiteOptions {
  /** Cases this adapter does not pass, with the reason. */
  readonly skip?: Partial<Record<CaseName, string>>;
  /** What `peer.remoteAddress` is expected to be (default `'127.0.0.1'`; `null` when the runtime does not tell). */
  readonly remoteAddress?: string | null;
}

let tags = 0;
const tag = (name: string) => `${name}-${process.pid}-${++tags}`;

/**
 * Registers the suite's cases under `describe(name)`: `start` is called once before them.
 */
export function defineBehaviourSuite(
  name: string,
  start: () => Promise<SuiteServer>,
  options: SuiteOptions = {},
): void {
  describe(`behaviour suite: ${name}`, () => {
    let server: SuiteServer;
    const clients: Client[] = [];
    beforeAll(async () => {
      server = await start();
    }, 60_000);
    afterAll(async () => {
      for (const c of clients) c.close();
      await server?.stop();
    });
    const open = async (path = '/', protocols: string[] = [], headers?: Record<string, string>) => {
      const client = await Client.open(`${server.url}${path}`, protocols, headers);
      clients.push(client);
      return client;
    };
    const closedOf = (t: string) => async () => {
      const probe = await open('/?tag=probe');
      try {
        const answer = JSON.parse(await probe.ask(`!closed ${t}`)) as {
          code: number;
          reason: string;
        } | null;
        return answer ?? undefined;
      } finally {
        probe.close();
      }
    };
    const test = (caseName: CaseName, fn: () => Promise<void>, timeout = 20_000) => {
      const reason = options.skip?.[caseName];
      if (reason !== undefined) it.skip(`${caseName} (skipped: ${reason})`, fn);
      else it(caseName, fn, timeout);
    };

    test('echo', async () => {
      const c = await open('/?tag=echo');
      c.ws.send('hello');
      expect(await c.text()).toBe('hello');
      const many = Array.from({ length: 50 }, (_, i) => `m${i}`);
      for (const m of many) c.ws.send(m);
      const got: string[] = [];
      for (let i = 0; i < many.length; i++) got.push(await c.text());
      expect(got).toEqual(many);
    });

    test('binary and text', async () => {
      const c = await open('/?tag=binary');
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      c.ws.send(bytes);
      const bin = await c.next();
      expect(bin.isBinary).toBe(true);
      expect([...bin.data]).toEqual([...bytes]);
      c.ws.send('é 😀 text');
      const text = await c.next();
      expect(text.isBinary).toBe(false);
      expect(String(text.data)).toBe('é 😀 text');
      c.ws.send(new Uint8Array(0));
      const empty = await c.next();
      expect(empty.isBinary).toBe(true);
      expect(empty.data.length).toBe(0);
      expect(JSON.parse(await c.ask('!info')).type).toBe('text');
    });

    test('json', async () => {
      const c = await open('/?tag=json');
      expect(await c.ask('{"b":1,"a":[2]}')).toBe('json:a,b');
    });

    test('whatwg client', async () => {
      const ws = new StrataWebSocket(`${server.url}/?tag=whatwg`, ['chat.v1']);
      try {
        await within(once(ws, 'open'), 5_000, 'open');
        expect(ws.protocol).toBe('chat.v1');
        const message = once(ws, 'message');
        ws.send('from the WHATWG client');
        const [event] = await within(message, 5_000, 'message');
        expect((event as MessageEvent).data).toBe('from the WHATWG client');
      } finally {
        ws.close();
      }
    });

    test('subprotocol', async () => {
      // Server preference (SUITE_OPTIONS.protocols) wins among the offered ones.
      const both = await open('/?tag=proto', ['chat.v1', 'chat.v2']);
      expect(both.ws.protocol).toBe('chat.v2');
      expect(JSON.parse(await both.ask('!info')).protocol).toBe('chat.v2');
      // The upgrade hook's choice wins over the preference.
      const picked = await open('/pick-v1?tag=proto2', ['chat.v2', 'chat.v1']);
      expect(picked.ws.protocol).toBe('chat.v1');
      // Nothing in common: a 101 without Sec-WebSocket-Protocol (clients then fail, as browsers do).
      const other = await upgradeAnswer(
        `${server.url}/?tag=proto3`,
        { 'sec-websocket-protocol': 'graphql-ws, mqtt' },
        true,
      );
      expect(other.status).toBe(101);
      expect(other.headers['sec-websocket-protocol']).toBeUndefined();
      // Nothing offered: none.
      const none = await open('/?tag=proto4');
      expect(none.ws.protocol).toBe('');
      expect(JSON.parse(await none.ask('!info')).protocol).toBe('');
    });

    test('refusal', async () => {
      const returned = await refusedUpgrade(`${server.url}/refuse`);
      expect(returned.status).toBe(403);
      expect(returned.headers['x-refused']).toBe('yes');
      expect(returned.body).toBe('go away');
      const thrown = await refusedUpgrade(`${server.url}/throw`);
      expect(thrown.status).toBe(401);
      expect(thrown.body).toBe('token required');
    });

    test('context', async () => {
      const c = await open('/?tag=ctx&user=ada&greet=1', ['chat.v1']);
      expect(c.headers['x-suite']).toBe('accepted');
      const hello = await c.text();
      expect(hello.startsWith('hello ')).toBe(true);
      expect(JSON.parse(hello.slice(6))).toEqual({
        context: { tag: 'ctx', user: 'ada' },
        protocol: 'chat.v1',
      });
      expect(JSON.parse(await c.ask('!info')).context).toEqual({ tag: 'ctx', user: 'ada' });
    });

    test('peer info', async () => {
      const a = await open('/info/path?tag=info', [], { 'x-test': 'header value' });
      const b = await open('/?tag=info2');
      const infoA = JSON.parse(await a.ask('!info'));
      const infoB = JSON.parse(await b.ask('!info'));
      expect(infoA.path).toBe('/info/path');
      expect(infoA.header).toBe('header value');
      expect(infoA.readyState).toBe(1);
      expect(typeof infoA.id).toBe('string');
      expect(infoA.id).not.toBe(infoB.id);
      const expected = options.remoteAddress === undefined ? '127.0.0.1' : options.remoteAddress;
      if (expected === null) expect(infoA.remoteAddress).toBeNull();
      else expect(String(infoA.remoteAddress).replace(/^::ffff:/, '')).toBe(expected);
    });

    test('topics', async () => {
      const room = tag('room');
      const a = await open('/?tag=ta');
      const b = await open('/?tag=tb');
      const c = await open('/?tag=tc');
      expect(await a.ask(`!sub ${room}`)).toBe(`subscribed ${room}`);
      expect(await b.ask(`!sub ${room}`)).toBe(`subscribed ${room}`);
      expect(await a.ask('!topics')).toBe(JSON.stringify([room]));
      // c (not subscribed) publishes: a and b get it.
      expect(await c.ask(`!pub ${room} from c`)).toBe('published');
      expect(await a.text()).toBe('from c');
      expect(await b.text()).toBe('from c');
      // a publishes: b gets it, a does not (the publisher is excluded).
      expect(await a.ask(`!pub ${room} from a`)).toBe('published');
      expect(await b.text()).toBe('from a');
      // binary publish
      expect(await c.ask(`!pubbin ${room} 300`)).toBe('published');
      for (const peer of [a, b]) {
        const m = await peer.next();
        expect(m.isBinary).toBe(true);
        expect(m.data.length).toBe(300);
      }
      // a leaves; b's connection closes: a publish reaches nobody but is fine.
      expect(await a.ask(`!unsub ${room}`)).toBe(`unsubscribed ${room}`);
      expect(await a.ask('!topics')).toBe('[]');
      b.close();
      await b.closed;
      expect(await c.ask(`!pub ${room} after`)).toBe('published');
      c.ws.send('echo check');
      expect(await c.text()).toBe('echo check');
      await new Promise((r) => setTimeout(r, 50));
      expect(a.pending).toBe(0);
    });

    test('close codes', async () => {
      const t1 = tag('close');
      const c1 = await open(`/?tag=${t1}`);
      c1.ws.close(4000, 'bye');
      // The client gets its code back (whether the reason is echoed is the server's choice).
      expect((await within(c1.closed, 5_000, 'close')).code).toBe(4000);
      expect(await until(closedOf(t1))).toEqual({ code: 4000, reason: 'bye' });
      const t2 = tag('close');
      const c2 = await open(`/?tag=${t2}`);
      c2.ws.send('!close 4001 done here');
      expect(await within(c2.closed, 5_000, 'close')).toEqual({ code: 4001, reason: 'done here' });
      expect(await until(closedOf(t2))).toEqual({ code: 4001, reason: 'done here' });
    });

    test('terminate', async () => {
      const t = tag('term');
      const c = await open(`/?tag=${t}`);
      c.ws.send('!terminate');
      expect((await within(c.closed, 5_000, 'close')).code).toBe(1006);
      expect((await until(closedOf(t))).code).toBe(1006);
    });

    test('over the limit', async () => {
      const t = tag('limit');
      const c = await open(`/?tag=${t}`);
      c.ws.send(new Uint8Array(SUITE_OPTIONS.maxMessageSize));
      expect((await c.next()).data.length).toBe(SUITE_OPTIONS.maxMessageSize);
      c.ws.send(new Uint8Array(SUITE_OPTIONS.maxMessageSize + 1));
      expect((await within(c.closed, 5_000, 'close')).code).toBe(1009);
      expect((await until(closedOf(t))).code).toBe(1009);
    });

    test('hook error', async () => {
      const c = await open('/?tag=err');
      expect(await c.ask('!throw')).toBe('error boom');
      // The connection stays usable: the error hook handled it.
      expect(await c.ask('still here')).toBe('still here');
    });

    test('non-reading peer', async () => {
      const t = tag('flood');
      const size = 16 * 1024;
      const c = await open(`/?tag=${t}`);
      c.ws.pause();
      c.ws.send(`!flood ${size}`);
      const stats = await until(async () => {
        const probe = await open('/?tag=probe');
        try {
          const s = JSON.parse(await probe.ask(`!stats ${t}`)) as {
            stoppedBy: string;
            bytes: number;
            maxBufferedAmount: number;
            backpressured: number;
          } | null;
          return s === null || s.stoppedBy === 'running' ? undefined : s;
        } finally {
          probe.close();
        }
      }, 15_000);
      // The server stopped queueing: the queue is bounded by maxBufferedAmount, not by the cap.
      expect(['dropped', 'closed']).toContain(stats.stoppedBy);
      expect(stats.maxBufferedAmount).toBeLessThanOrEqual(SUITE_OPTIONS.maxBufferedAmount + size);
      expect(stats.backpressured).toBeGreaterThan(0);
      c.ws.resume();
      c.ws.terminate();
    }, 30_000);

    test('drain', async () => {
      const c = await open('/?tag=drain');
      c.ws.send('!drain 8192');
      // The client reads everything; once the queue is back under highWaterMark, `drain` runs.
      for (;;) {
        const m = await c.next(10_000);
        if (!m.isBinary) {
          expect(String(m.data)).toBe('drained');
          break;
        }
        expect(m.data.length).toBe(8192);
      }
    });
  });
}
