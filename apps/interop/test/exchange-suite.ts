/**
 * The assertions shared by every standard `WebSocket` client that runs peers/exchange.js
 * against the Strata echo server (Chromium, Bun, Deno).
 */
import { expect, it } from 'vitest';
import type { ServerRecord } from './helpers.js';

interface ClientEvent {
  type: string;
  [key: string]: unknown;
}

/** What peers/exchange.js resolves with. */
export interface ExchangeReport {
  error?: string;
  first: {
    events: ClientEvent[];
    greeting: string;
    echoes: { name: string; equal: boolean }[];
    bufferedAmountAtEnd: number;
    openMicrotaskOrder: string[];
  };
  second: { events: ClientEvent[] };
}

/** The server options the suite expects: see {@link startExchangeServer}. */
export const GREETING = 'welcome ✓';
export const SERVER_PROTOCOLS: string[] = ['strata.v1', 'strata.v2'];

export interface ExchangeRun {
  report: ExchangeReport;
  /** Diagnostics shown when the report is missing or has an error. */
  diagnostics: string;
  connections: ServerRecord[];
}

export interface ExchangeExpectations {
  /** Whether this client offers permessage-deflate (the server accepts it). */
  offersDeflate: boolean;
  /**
   * Whether the client drops messages that arrive after its `close()` call, as the WHATWG
   * standard says ("if ready state is not OPEN, return").
   */
  dropsMessagesWhileClosing: boolean;
}

/** Registers the tests; `get()` returns the finished run (filled in a `beforeAll`). */
export function exchangeSuite(get: () => ExchangeRun, expected: ExchangeExpectations): void {
  const first = (): ServerRecord => get().connections[0]!;
  const second = (): ServerRecord => get().connections[1]!;

  it('runs both connections without an error', () => {
    const { report, diagnostics, connections } = get();
    expect(report.error, diagnostics).toBeUndefined();
    expect(connections).toHaveLength(2);
  });

  it(
    expected.offersDeflate
      ? 'negotiates permessage-deflate and the server-preferred subprotocol'
      : 'negotiates no extension and the server-preferred subprotocol',
    () => {
      const { report } = get();
      if (expected.offersDeflate) {
        expect(first().offered).toMatch(/^permessage-deflate/);
        expect(first().extensions).toMatch(/^permessage-deflate/);
      } else {
        expect(first().offered).toBe('');
        expect(first().extensions).toBe('');
      }
      // The client's `extensions` attribute shows what the server's 101 said.
      expect(report.first.events[0]).toEqual({
        type: 'open',
        protocol: 'strata.v1',
        extensions: first().extensions,
      });
      // No subprotocol offered on the second connection: none chosen.
      expect(report.second.events[0]).toEqual({
        type: 'open',
        protocol: '',
        extensions: second().extensions,
      });
    },
  );

  it('delivers open, the greeting, every echo in order with its type, then close', () => {
    const { report } = get();
    const events = report.first.events;
    expect(events.map((e) => e.type)).toEqual(['open', ...Array(10).fill('message'), 'close']);
    expect(report.first.greeting).toBe(GREETING);
    expect(events.slice(1, 11).map((e) => e.kind)).toEqual([
      'text',
      'text',
      'text',
      'text',
      'arraybuffer',
      'arraybuffer',
      'text',
      'arraybuffer',
      'arraybuffer',
      'arraybuffer',
    ]);
    expect(report.first.echoes).toHaveLength(9);
    expect(report.first.echoes.filter((e) => !e.equal)).toEqual([]);
    expect(report.first.bufferedAmountAtEnd).toBe(0);
  });

  it('runs a microtask queued by the open listener before the first message', () => {
    // The reference behaviour (separate tasks per event) for the Strata client's test.
    expect(get().report.first.openMicrotaskOrder).toEqual(['microtask queued by open', 'message']);
  });

  it('delivered every message to the server with its type and size', () => {
    const messages = first().messages;
    expect(messages.map((m) => [m.isBinary, m.length])).toEqual([
      [false, 5],
      [false, 0],
      [false, Buffer.byteLength('héllo wörld — 你好 🌍 𝄞')],
      [true, 256],
      [true, 0],
      [false, messages[5]?.length],
      [true, 1 << 20],
      [true, 7],
      [true, 65536],
      [false, Buffer.byteLength('close:4002:server says bye ✓')],
      // Sent right behind the close request, normally before the server's close frame
      // arrives: then it reaches the server (which does not answer it). A client that saw
      // the close frame first may rightly not send it.
      ...(messages.length === 11 ? [[false, Buffer.byteLength('after close request')]] : []),
    ]);
    expect(messages[5]!.length).toBeGreaterThanOrEqual(1 << 20);
  });

  it('reports the server-initiated close with its code and reason, clean', async () => {
    expect(get().report.first.events.at(-1)).toEqual({
      type: 'close',
      code: 4002,
      reason: 'server says bye ✓',
      wasClean: true,
      readyState: 3,
    });
    expect((await first().close).code).toBe(4002);
  });

  it('delivers a client-initiated close to the server with its code and reason', async () => {
    expect(await second().close).toEqual({ code: 4003, reason: 'client bye ✓' });
    let events = get().report.second.events;
    if (!expected.dropsMessagesWhileClosing) events = events.filter((e) => e.type !== 'message');
    expect(events).toEqual([
      { type: 'open', protocol: '', extensions: second().extensions },
      { type: 'after close()', readyState: 2 },
      // The reason is the server's to repeat; the code comes back.
      { type: 'close', code: 4003, reason: expect.any(String), wasClean: true, readyState: 3 },
    ]);
    expect(second().firstFin).toBe('server');
  });

  it('closes TCP first once the server-initiated closing handshake is done (RFC 6455 §7.1.1)', async () => {
    // Clients answer the close frame, then wait for the server's FIN (Chromium about 2 s)
    // before they give up and close themselves; the close event is late by that much.
    await first().close;
    expect(first().firstFin).toBe('server');
  });
}
