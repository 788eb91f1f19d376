/**
 * Strata server ↔ Debian's python3-websockets client (peers/python_client.py): text and
 * binary (empty, multi-byte UTF-8, the 125/126/65535/65536 length edges, 1-2 MiB, fragmented),
 * ping, a client close with a code and a server-initiated close — with permessage-deflate
 * negotiated, offered but declined, and not offered. python runs once per case; the tests
 * assert on its report and on what the server recorded.
 */
import type { PerMessageDeflateOptions } from '@strata-ws/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EchoServer,
  type ProcessResult,
  PYTHON,
  peerFile,
  pythonWebsocketsAvailable,
  report,
  run,
  type ServerRecord,
  startEchoServer,
} from './helpers.js';

interface CloseSeen {
  code?: number;
  reason?: string;
  /** python waited its close_timeout (3 s) for the server's TCP close and gave up. */
  tcpCloseTimedOut?: boolean;
  unexpectedMessage?: string;
}

interface PythonReport {
  websockets: string;
  error?: string;
  extensionsHeader: string;
  extensions: string[];
  messages: { name: string; sent: string; received: string; equal: boolean; bytes: number }[];
  pong: boolean;
  close: CloseSeen;
  serverClose: CloseSeen;
  tooBig: { sent?: number | null; received?: number | null; unexpectedMessage?: string };
}

const available = pythonWebsocketsAvailable();

interface Case {
  name: string;
  server: boolean | PerMessageDeflateOptions;
  client: 'deflate' | 'none';
  /** The agreed `Sec-WebSocket-Extensions`, or null for none. */
  negotiated: RegExp | null;
}

const cases: Case[] = [
  {
    name: 'both sides deflate',
    server: true,
    client: 'deflate',
    // The server's default keeps the compression context (no *_no_context_takeover).
    negotiated: /^permessage-deflate(?!.*no_context_takeover)/,
  },
  {
    // Context kept across messages both ways, windows below the default 15 bits.
    name: 'context takeover, 10/11-bit windows',
    server: {
      threshold: 0,
      serverNoContextTakeover: false,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 11,
    },
    client: 'deflate',
    negotiated:
      /^permessage-deflate(?!.*no_context_takeover)(?=.*server_max_window_bits=10)(?=.*client_max_window_bits=11)/,
  },
  { name: 'client offers, server declines', server: false, client: 'deflate', negotiated: null },
  {
    name: 'server willing, client offers nothing',
    server: true,
    client: 'none',
    negotiated: null,
  },
];

for (const c of cases) {
  describe.skipIf(!available)(`Strata server ↔ python3-websockets client (${c.name})`, () => {
    let server: EchoServer;
    let result: ProcessResult;
    let r: PythonReport;
    let first: ServerRecord;
    let second: ServerRecord;
    let third: ServerRecord;

    beforeAll(async () => {
      server = await startEchoServer(c.server);
      result = await run(PYTHON, [peerFile('python_client.py'), server.url, c.client], 40_000);
      r = report<PythonReport>(result);
      [first, second, third] = server.connections as [ServerRecord, ServerRecord, ServerRecord];
    }, 45_000);
    afterAll(() => server?.stop());

    it('runs both connections without an error', () => {
      expect(r.error, result.stderr).toBeUndefined();
      expect(server.connections).toHaveLength(3);
    });

    it(c.negotiated ? 'negotiates permessage-deflate' : 'does not negotiate compression', () => {
      if (c.client === 'deflate') expect(first.offered).toMatch(/^permessage-deflate/);
      else expect(first.offered).toBe('');
      if (c.negotiated) {
        expect(r.extensions).toEqual(['permessage-deflate']);
        expect(r.extensionsHeader).toMatch(c.negotiated);
      } else {
        expect(r.extensions).toEqual([]);
        expect(r.extensionsHeader).toBe('');
      }
      expect(first.extensions).toBe(r.extensionsHeader);
    });

    it('echoes every message with its type and content, in order', () => {
      expect(r.messages).toHaveLength(13);
      for (const m of r.messages) {
        expect(m, m.name).toMatchObject({ received: m.sent, equal: true });
      }
      // The server received the same messages (fragments reassembled), types and sizes.
      expect(first.messages.map((m) => [m.isBinary ? 'binary' : 'text', m.length])).toEqual(
        r.messages.map((m) => [m.sent, m.bytes]),
      );
      expect(r.pong).toBe(true);
    });

    it('reports a client-initiated close with its code and reason on both sides', async () => {
      expect(await first.close).toEqual({ code: 4000, reason: 'python bye ✓' });
      expect(r.close).toMatchObject({ code: 4000 });
      expect(r.close.tcpCloseTimedOut).toBe(false);
      expect(first.firstFin).toBe('server');
    });

    it('delivers a server-initiated close with its code and reason', async () => {
      expect(r.serverClose).toMatchObject({ code: 4001, reason: 'server bye ✓' });
      expect((await second.close).code).toBe(4001);
    });

    it("reports the client's 1009 when an echo is over its limit", async () => {
      // python fails the connection (RFC 6455 §7.1.7): it sends 1009 and reads nothing more,
      // so it never sees the server's reply; the server reports the 1009 and ends TCP.
      expect(r.tooBig).toMatchObject({ sent: 1009 });
      expect(third.messages).toEqual([{ isBinary: false, length: 2000 }]);
      expect((await third.close).code).toBe(1009);
      expect(third.firstFin).toBe('server');
    });

    it('closes TCP first once the server-initiated closing handshake is done (RFC 6455 §7.1.1)', () => {
      // python-websockets, like Chromium, waits for the server's FIN after it answered the
      // close frame; a server that waits for the client instead costs every such close
      // the client's close timeout.
      expect(second.firstFin).toBe('server');
      expect(r.serverClose.tcpCloseTimedOut).toBe(false);
    });
  });
}
