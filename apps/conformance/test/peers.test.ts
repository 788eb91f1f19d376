/**
 * CI, bounded peer subset: the interop exchange (9 messages up to 2 MiB, every echo checked,
 * close 1000) between Strata and peers we did not write, with and without compression —
 * `ws` and python3-websockets both ways, headless Chromium against Strata's server. The full
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
import { startPython, startStrata, startWs } from '../src/targets/servers.js';

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
  it('exchange with and without compression', async () => {
    const chromium = await chromiumClient();
    try {
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
