/**
 * CI, bounded peer subset: the interop exchange (9 messages up to 2 MiB, every echo checked,
 * close 1000) between Strata and peers we did not write, with and without compression —
 * `ws` and python3-websockets both ways, headless Chromium against Strata's server (HTTP/1.1,
 * and over TLS HTTP/2 with the transport asserted). The full
 * matrix runs in `npm run report`.
 */
import { describe, expect, it } from 'vitest';
import {
  chromiumClient,
  pythonClient,
  strataClient,
  strataStreamClient,
  wsClient,
} from '../src/targets/clients.js';
import { startPython, startStrata, startStrataTls, startWs } from '../src/targets/servers.js';

describe.each([false, true])('interop exchange, permessage-deflate %s', (deflate) => {
  it('ws and python3-websockets clients -> Strata server', async () => {
    const server = await startStrata(deflate);
    try {
      const url = `ws://127.0.0.1:${server.target.port}/`;
      for (const client of [wsClient(), pythonClient()]) {
        if (!client) continue;
        const result = await client.exchange(url);
        expect(result.problems, client.name).toEqual([]);
        expect(result.extensions.includes('permessage-deflate'), client.name).toBe(deflate);
      }
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('Strata WebSocket and WebSocketStream -> ws and python3-websockets servers', async () => {
    for (const start of [startWs, startPython]) {
      const server = await start(deflate);
      if (!server) continue;
      try {
        const url = `ws://127.0.0.1:${server.target.port}/`;
        for (const client of [strataClient(true), strataStreamClient(true)]) {
          const result = await client.exchange(url);
          expect(result.problems, `${client.name} -> ${server.target.name}`).toEqual([]);
          expect(result.extensions.includes('permessage-deflate')).toBe(deflate);
        }
      } finally {
        await server.stop();
      }
    }
  }, 60_000);
});

describe('headless Chromium -> Strata server', () => {
  it('exchange with and without compression; over TLS HTTP/2 (RFC 8441) from a page of the origin', async () => {
    const chromium = await chromiumClient(['--ignore-certificate-errors']);
    try {
      // RFC 8441: the page is loaded over h2 from Strata's TLS server, and the WebSocket must
      // share that session (the server records the transport of each connection).
      const tls = await startStrataTls(true);
      if (tls) {
        try {
          const result = await chromium.exchangeFrom!(
            `https://127.0.0.1:${tls.target.port}/`,
            `wss://127.0.0.1:${tls.target.port}/`,
          );
          expect(result.problems).toEqual([]);
          expect(result.extensions).toBe('permessage-deflate');
          expect(tls.transports).toEqual(['h2']);
        } finally {
          await tls.stop();
        }
      }
      for (const deflate of [false, true]) {
        const server = await startStrata(deflate);
        try {
          const result = await chromium.exchange(`ws://127.0.0.1:${server.target.port}/`);
          expect(result.problems).toEqual([]);
          expect(result.extensions.includes('permessage-deflate')).toBe(deflate);
        } finally {
          await server.stop();
        }
      }
    } finally {
      await chromium.close?.();
    }
  }, 60_000);
});
