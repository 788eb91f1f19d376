// The portable core on its own: the message wrapper, the upgrade outcome, the hook runner's
// error rules, topic bookkeeping and send payloads (no network).
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { HookRunner } from '../src/core/hooks.js';
import { createMessage } from '../src/core/message.js';
import { nextPeerId } from '../src/core/peer-id.js';
import { toPayload } from '../src/core/send.js';
import { LocalTopics } from '../src/core/topics.js';
import { asRefusal, offeredProtocols, runUpgrade } from '../src/core/upgrade.js';
import { defineHooks, type Hooks, type Peer } from '../src/index.js';

describe('createMessage', () => {
  it('text, bytes, arrayBuffer and json agree for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const fromText = createMessage(s, false);
        const fromBytes = createMessage(new TextEncoder().encode(s), false);
        expect(fromBytes.text()).toBe(s);
        expect([...fromText.bytes()]).toEqual([...new TextEncoder().encode(s)]);
        expect(new Uint8Array(fromText.arrayBuffer())).toEqual(fromText.bytes());
        expect(`${fromBytes}`).toBe(s);
        expect(fromText.type).toBe('text');
        expect(fromText.isBinary).toBe(false);
      }),
    );
  });

  it('binary: arrayBuffer copies only a view that does not fill its buffer', () => {
    const whole = new Uint8Array([1, 2, 3]);
    expect(createMessage(whole, true).arrayBuffer()).toBe(whole.buffer);
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    const copy = createMessage(view, true).arrayBuffer();
    expect(copy).not.toBe(view.buffer);
    expect([...new Uint8Array(copy)]).toEqual([1, 2, 3]);
    expect(createMessage(view, true).type).toBe('binary');
  });

  it('json parses (and throws SyntaxError for bad JSON); text is decoded once', () => {
    const m = createMessage(new TextEncoder().encode('{"a":[1,2]}'), false);
    expect(m.json<{ a: number[] }>().a).toEqual([1, 2]);
    expect(m.text()).toBe(m.text());
    expect(() => createMessage('{', false).json()).toThrow(SyntaxError);
  });
});

describe('toPayload', () => {
  it('strings are text; buffers and views are binary views of the same memory', () => {
    expect(toPayload('x')).toEqual({ data: 'x', isBinary: false });
    const buffer = new ArrayBuffer(8);
    const p = toPayload(new DataView(buffer, 2, 4));
    expect(p.isBinary).toBe(true);
    expect((p.data as Uint8Array).buffer).toBe(buffer);
    expect((p.data as Uint8Array).byteOffset).toBe(2);
    expect((toPayload(buffer).data as Uint8Array).byteLength).toBe(8);
  });
  it('anything else is a TypeError naming the type', () => {
    expect(() => toPayload(42 as never)).toThrow(/got number/);
    expect(() => toPayload(null as never)).toThrow(/got null/);
  });
});

describe('runUpgrade', () => {
  const request = (protocols?: string) =>
    new Request('http://h/x', {
      headers: protocols === undefined ? {} : { 'sec-websocket-protocol': protocols },
    });

  it('no hook: accepts with {} and the server-preferred protocol among the offered', async () => {
    const outcome = await runUpgrade({}, request(), ['b', 'a'], { protocols: ['a', 'b'] });
    expect(outcome).toMatchObject({ kind: 'accept', context: {}, protocol: 'a' });
    const none = await runUpgrade({}, request(), ['c'], { protocols: ['a'] });
    expect(none).toMatchObject({ kind: 'accept', protocol: '' });
  });

  it('a returned or thrown Response refuses; a status under 400 becomes 403', async () => {
    const returned = await runUpgrade(
      { upgrade: () => new Response('no', { status: 401 }) },
      request(),
      [],
    );
    expect(returned.kind === 'refuse' && returned.response.status).toBe(401);
    const thrown = await runUpgrade(
      {
        upgrade: async () => {
          throw new Response('later', { status: 429, headers: { 'retry-after': '3' } });
        },
      },
      request(),
      [],
    );
    expect(thrown.kind === 'refuse' && thrown.response.headers.get('retry-after')).toBe('3');
    const ok = asRefusal(new Response('hm', { status: 200, headers: { 'x-a': '1' } }));
    expect(ok.status).toBe(403);
    expect(ok.headers.get('x-a')).toBe('1');
    expect(await ok.text()).toBe('hm');
  });

  it('another throw refuses with 500 and reaches onError with the request', async () => {
    const onError = vi.fn();
    const req = request();
    const outcome = await runUpgrade(
      {
        upgrade: () => {
          throw new Error('db down');
        },
      },
      req,
      [],
      { onError },
    );
    expect(outcome.kind === 'refuse' && outcome.response.status).toBe(500);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'db down' }), req);
  });

  it('context, headers and protocol; a protocol the client did not offer is a 500', async () => {
    const hooks = defineHooks<{ n: number }>({
      upgrade: () => ({ context: { n: 1 }, protocol: 'b', headers: { 'set-cookie': 'a=1' } }),
    });
    const outcome = await runUpgrade(hooks, request(), ['a', 'b']);
    if (outcome.kind !== 'accept') throw new Error('refused');
    expect(outcome.context.n).toBe(1);
    expect(outcome.protocol).toBe('b');
    expect(outcome.headers.get('set-cookie')).toBe('a=1');
    const onError = vi.fn();
    const bad = await runUpgrade(hooks, request(), ['a'], { onError });
    expect(bad.kind === 'refuse' && bad.response.status).toBe(500);
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(TypeError);
    expect(String(onError.mock.calls[0]![0].message)).toMatch(/"b".*did not offer/);
  });

  it('crossws style: the protocol as a sec-websocket-protocol header; sec-websocket-* headers dropped', async () => {
    const outcome = await runUpgrade(
      { upgrade: () => ({ headers: { 'Sec-WebSocket-Protocol': 'a', 'x-y': 'z' } }) },
      request(),
      ['a'],
    );
    if (outcome.kind !== 'accept') throw new Error('refused');
    expect(outcome.protocol).toBe('a');
    expect([...outcome.headers.keys()]).toEqual(['x-y']);
    const explicitNone = await runUpgrade({ upgrade: () => ({ protocol: '' }) }, request(), ['a'], {
      protocols: ['a'],
    });
    expect(explicitNone).toMatchObject({ kind: 'accept', protocol: '' });
  });

  it('a non-object answer is a 500', async () => {
    const onError = vi.fn();
    const outcome = await runUpgrade({ upgrade: () => 42 as never }, request(), [], { onError });
    expect(outcome.kind === 'refuse' && outcome.response.status).toBe(500);
    expect(onError).toHaveBeenCalledOnce();
  });

  it('offeredProtocols: client order, trimmed, no repeats', () => {
    expect(offeredProtocols(request('a, b ,a,, c'))).toEqual(['a', 'b', 'c']);
    expect(offeredProtocols(request())).toEqual([]);
  });
});

/** A minimal peer for the runner: records close calls. */
function fakePeer(): Peer & { closes: number[]; terminated: number } {
  const peer = {
    closes: [] as number[],
    terminated: 0,
    readyState: 1 as 1 | 2 | 3,
    close(code?: number) {
      peer.closes.push(code ?? 1000);
      peer.readyState = 2;
    },
    terminate() {
      peer.terminated++;
    },
  };
  return peer as unknown as Peer & { closes: number[]; terminated: number };
}

describe('HookRunner', () => {
  it('checks the hooks at construction', () => {
    expect(() => new HookRunner(null as never)).toThrow(TypeError);
    expect(() => new HookRunner({ message: 'x' } as never)).toThrow(
      /hooks\.message must be a function/,
    );
  });

  it('a throwing or rejecting hook goes to error(peer, err); the connection stays open', async () => {
    const seen: string[] = [];
    const runner = new HookRunner({
      message: () => {
        throw new Error('sync');
      },
      open: async () => {
        throw new Error('async');
      },
      error: (_peer, error) => void seen.push(error.message),
    } satisfies Hooks);
    const peer = fakePeer();
    runner.message(peer, createMessage('x', false));
    runner.open(peer);
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['sync', 'async']);
    expect(peer.closes).toEqual([]);
  });

  it('without an error hook (or when it fails) the peer is closed with 1011, once', async () => {
    const runner = new HookRunner({
      message: () => {
        throw new Error('x');
      },
    });
    const peer = fakePeer();
    runner.message(peer, createMessage('x', false));
    runner.message(peer, createMessage('x', false));
    expect(peer.closes).toEqual([1011]);
    const failing = new HookRunner({
      message: async () => {
        throw new Error('x');
      },
      error: async () => {
        throw new Error('y');
      },
    });
    const peer2 = fakePeer();
    failing.message(peer2, createMessage('x', false));
    await new Promise((r) => setTimeout(r, 0));
    expect(peer2.closes).toEqual([1011]);
  });

  it('close runs once per peer; report() never closes', () => {
    const close = vi.fn();
    const runner = new HookRunner({ close });
    const peer = fakePeer();
    runner.close(peer, { code: 1000, reason: '' });
    runner.close(peer, { code: 1006, reason: '' });
    expect(close).toHaveBeenCalledOnce();
    expect(runner.isClosed(peer)).toBe(true);
    runner.report(peer, new Error('protocol'));
    expect(peer.closes).toEqual([]);
  });
});

describe('LocalTopics', () => {
  it('keeps both directions consistent under any sequence of operations', () => {
    const op = fc.record({
      kind: fc.constantFrom('sub', 'unsub', 'all'),
      peer: fc.integer({ min: 0, max: 3 }),
      topic: fc.constantFrom('a', 'b', 'c'),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const topics = new LocalTopics<number>();
        const model = new Map<number, Set<string>>();
        for (const { kind, peer, topic } of ops) {
          if (kind === 'sub') {
            topics.subscribe(peer, topic);
            if (!model.has(peer)) model.set(peer, new Set());
            model.get(peer)!.add(topic);
          } else if (kind === 'unsub') {
            topics.unsubscribe(peer, topic);
            model.get(peer)?.delete(topic);
          } else {
            topics.unsubscribeAll(peer);
            model.delete(peer);
          }
        }
        for (const topic of ['a', 'b', 'c']) {
          const expected = [...model].filter(([, t]) => t.has(topic)).map(([p]) => p);
          expect([...(topics.subscribers(topic) ?? [])].sort()).toEqual(expected.sort());
          expect(topics.subscriberCount(topic)).toBe(expected.length);
        }
        for (let p = 0; p <= 3; p++) {
          expect([...topics.topicsOf(p)].sort()).toEqual([...(model.get(p) ?? [])].sort());
          expect(topics.isSubscribed(p, 'a')).toBe(model.get(p)?.has('a') === true);
        }
      }),
    );
  });

  it('a topic must be a string', () => {
    expect(() => new LocalTopics<number>().subscribe(1, 5 as never)).toThrow(
      /topic must be a string/,
    );
  });
});

it('peer ids are unique strings', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => nextPeerId()));
  expect(ids.size).toBe(1000);
});
