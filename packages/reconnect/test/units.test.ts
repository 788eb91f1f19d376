/**
 * Units without sockets: option validation (errors name the option), the delay rule, the
 * resume wire format (property tests: formatted headers parse back; random input never throws
 * and only well-formed headers parse), the export surfaces, and the WHATWG-shaped API details.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as portable from '../src/index.js';
import * as node from '../src/node.js';
import {
  defaultShouldReconnect,
  formatResumeRequest,
  parseBinaryEnvelope,
  parseNotice,
  parseResumeRequest,
  parseTextEnvelope,
  ReconnectCloseEvent,
  ReconnectingWebSocket,
} from '../src/node.js';
import { reconnectionDelay, resolveReconnectOptions } from '../src/options.js';
import * as server from '../src/server.js';
import { ResumableSessions } from '../src/server.js';
import { formatNotice, numberedHeader } from '../src/wire.js';
import { ManualClock, nextEvent } from './helpers.js';

describe('options', () => {
  it.each([
    [{ minReconnectionDelay: -1 }, RangeError, 'minReconnectionDelay'],
    [{ maxReconnectionDelay: Number.NaN }, TypeError, 'maxReconnectionDelay'],
    [{ minReconnectionDelay: 500, maxReconnectionDelay: 100 }, RangeError, 'maxReconnectionDelay'],
    [{ reconnectionDelayGrowFactor: 0.5 }, RangeError, 'reconnectionDelayGrowFactor'],
    [{ minUptime: Number.POSITIVE_INFINITY }, RangeError, 'minUptime'],
    [{ connectionTimeout: 0 }, RangeError, 'connectionTimeout'],
    [{ maxRetries: 1.5 }, RangeError, 'maxRetries'],
    [{ maxEnqueuedMessages: -3 }, RangeError, 'maxEnqueuedMessages'],
    [{ maxEnqueuedBytes: '10' }, TypeError, 'maxEnqueuedBytes'],
    [{ startClosed: 'yes' }, TypeError, 'startClosed'],
    [{ shouldReconnect: true }, TypeError, 'shouldReconnect'],
    [{ WebSocket: 'ws' }, TypeError, 'WebSocket'],
    [{ jitter: 'half' }, TypeError, 'jitter'],
    [{ clock: {} }, TypeError, 'clock'],
    [{ resume: 1 }, TypeError, 'resume'],
    [{ retryOnNetworkChange: 'no' }, TypeError, 'retryOnNetworkChange'],
    [{ random: 0.5 }, TypeError, 'random'],
    [{ maxEnqueuedBytes: Number.POSITIVE_INFINITY }, RangeError, 'maxEnqueuedBytes'],
  ])('%j throws %o naming the option', (options, type, name) => {
    const make = () =>
      new ReconnectingWebSocket('ws://127.0.0.1:1/', undefined, {
        startClosed: true,
        ...(options as object),
      });
    expect(make).toThrow(type);
    expect(make).toThrow(name);
  });

  it('the portable class needs a WebSocket class where the runtime has none', () => {
    const hasGlobal = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function';
    const make = () => new portable.ReconnectingWebSocket('ws://127.0.0.1:1/', undefined, {});
    if (hasGlobal) expect(make).not.toThrow();
    else expect(make).toThrow(/WebSocket option/);
  });

  it('resume options are checked too', () => {
    expect(() => new ResumableSessions({ windowMs: 0 })).toThrow(/resume.windowMs/);
    expect(() => new ResumableSessions({ maxBytes: -1 })).toThrow(RangeError);
  });

  it('delays: min * grow^(n-1) capped, full jitter scales it', () => {
    const o = resolveReconnectOptions({ jitter: 'none' });
    expect([1, 2, 3, 10, 20].map((n) => Math.round(reconnectionDelay(o, n)))).toEqual([
      1000, 1300, 1690, 10_000, 10_000,
    ]);
    const j = resolveReconnectOptions({ random: () => 0.1 });
    expect(reconnectionDelay(j, 2)).toBe(130);
  });

  it('defaultShouldReconnect: not after 1008 nor a 4xx status, otherwise yes', () => {
    const e = (code: number) => new ReconnectCloseEvent('close', { code });
    const info = (status?: number) => ({ attempt: 1, opened: false, status });
    expect(defaultShouldReconnect(e(1008), info())).toBe(false);
    expect(defaultShouldReconnect(e(1006), info(401))).toBe(false);
    expect(defaultShouldReconnect(e(1006), info(503))).toBe(true);
    expect(defaultShouldReconnect(e(1006), info())).toBe(true);
    expect(defaultShouldReconnect(e(1001), info())).toBe(true);
  });
});

describe('the resume wire format', () => {
  it('resume requests round-trip; malformed ones are plain connections', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        (id, seq) => {
          expect(parseResumeRequest(formatResumeRequest(id, seq))).toEqual({
            kind: 'resume',
            id,
            seq,
          });
        },
      ),
    );
    expect(parseResumeRequest('new')).toEqual({ kind: 'new' });
    for (const bad of [null, '', 'x', 'short.1', 'aaaaaaaaaaaaaaaa.01', 'aaaaaaaaaaaaaaaa.-1']) {
      expect(parseResumeRequest(bad)).toBeNull();
    }
    expect(parseResumeRequest('aaaaaaaaaaaaaaaa.99999999999999999')).toBeNull();
  });

  it('numbered headers parse back in text and bytes; arbitrary input never throws', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.string(),
        (seq, body) => {
          const text = numberedHeader(seq) + body;
          const t = parseTextEnvelope(text)!;
          expect([t.kind, t.seq, text.slice(t.offset)]).toEqual(['m', seq, body]);
          const bytes = new TextEncoder().encode(text);
          const b = parseBinaryEnvelope(bytes)!;
          expect([b.kind, b.seq]).toEqual(['m', seq]);
          expect(new TextDecoder().decode(bytes.subarray(b.offset))).toBe(body);
        },
      ),
    );
    fc.assert(
      fc.property(fc.string(), fc.uint8Array(), (text, bytes) => {
        const t = parseTextEnvelope(text);
        if (t !== null) expect(text[t.offset - 1]).toBe(':');
        const b = parseBinaryEnvelope(bytes);
        if (b !== null) expect(bytes[b.offset - 1]).toBe(0x3a);
      }),
    );
    expect(parseTextEnvelope('m0:x')).toBeNull(); // numbers start at 1
    expect(parseTextEnvelope('m01:x')).toBeNull();
    expect(parseTextEnvelope('x:')).toBeNull();
    expect(parseTextEnvelope('d:')).toEqual({ kind: 'd', seq: 0, offset: 2 });
  });

  it('notices: only the exact shape is accepted', () => {
    const good = { v: 1, id: 'A'.repeat(22), resumed: true, resync: false, seq: 7 };
    const text = formatNotice(good);
    const h = parseTextEnvelope(text)!;
    expect(h.kind).toBe('s');
    expect(parseNotice(text.slice(h.offset))).toEqual(good);
    for (const bad of ['{', '[]', '{"v":2}', JSON.stringify({ ...good, seq: -1 })]) {
      expect(parseNotice(bad)).toBeNull();
    }
  });
});

describe('API surface', () => {
  it('exports exactly the public runtime names', () => {
    const names = [
      'DropEvent',
      'GiveUpEvent',
      'RESUME_NEW',
      'RESUME_PARAM',
      'ReconnectCloseEvent',
      'ReconnectingEvent',
      'ReconnectingWebSocket',
      'READER_TOO_SLOW',
      'ReconnectingWebSocketStream',
      'SessionEvent',
      'defaultShouldReconnect',
      'formatResumeRequest',
      'messageSize',
      'parseBinaryEnvelope',
      'parseNotice',
      'parseResumeRequest',
      'parseTextEnvelope',
      'reconnectDefaults',
    ];
    expect(Object.keys(portable).sort()).toEqual(names.sort());
    expect(Object.keys(node).sort()).toEqual(names.sort());
    expect(Object.keys(server).sort()).toEqual([
      'ENTRY_OVERHEAD',
      'MemorySessionStore',
      'ResumableSessions',
      'ResumeSession',
      'SESSION_TAKEN_OVER',
      'TRY_AGAIN_LATER',
      'createResumableServer',
    ]);
  });

  it('WHATWG shape: constants, on* attributes, binaryType, close() argument checks', async () => {
    const ws = new ReconnectingWebSocket('ws://127.0.0.1:1/', undefined, { startClosed: true });
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(ReconnectingWebSocket.OPEN).toBe(1);
    expect(ws.binaryType).toBe('blob');
    ws.binaryType = 'arraybuffer';
    ws.binaryType = 'nonsense' as 'blob';
    expect(ws.binaryType).toBe('arraybuffer');
    const calls: string[] = [];
    const handler = (e: Event) => calls.push(e.type);
    ws.onclose = handler;
    expect(ws.onclose).toBe(handler);
    ws.dispatchEvent(new ReconnectCloseEvent('close'));
    ws.onclose = null;
    ws.dispatchEvent(new ReconnectCloseEvent('close'));
    expect(calls).toEqual(['close']);
    expect(() => ws.close(1001)).toThrow(expect.objectContaining({ name: 'InvalidAccessError' }));
    expect(() => ws.close(1000, 'x'.repeat(124))).toThrow(
      expect.objectContaining({ name: 'SyntaxError' }),
    );
    expect(ws.url).toBe('ws://127.0.0.1:1/');
    expect([ws.protocol, ws.extensions]).toEqual(['', '']);
  });

  it('an invalid URL gives up at once (retrying the same input cannot help)', async () => {
    const clock = new ManualClock();
    const ws = new ReconnectingWebSocket('http://[bad', undefined, { clock });
    const giveup = await nextEvent<node.GiveUpEvent>(ws, 'giveup');
    expect(giveup.reason).toBe('invalid-url');
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(clock.pending).toEqual([]);
  });
});
