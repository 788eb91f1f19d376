import { createRequire } from 'node:module';
import { maskInto } from '@strata-ws/codec';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeMasking } from '../src/host.js';
import type { WebSocketServer } from '../src/index.js';
import { echo, openClient, startServer, stopServer } from './helpers.js';

const require = createRequire(import.meta.url);
const hasBufferUtil = (() => {
  try {
    require('bufferutil');
    return true;
  } catch {
    return false;
  }
})();

describe('native unmasking from bufferutil (optional, as ws)', () => {
  let wss: WebSocketServer<unknown> | undefined;
  afterEach(async () => {
    if (wss) await stopServer(wss);
    wss = undefined;
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it.runIf(hasBufferUtil)('is used when installed and gives the codec JavaScript bytes', () => {
    const masking = nodeMasking();
    expect(masking).not.toBeNull();
    const source = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
    for (const keyOffset of [0, 1, 2, 3]) {
      const expected = new Uint8Array(1003);
      const actual = new Uint8Array(1003);
      maskInto(source, expected, 3, 0x37fa213d, keyOffset, null);
      masking!.maskInto(source, actual, 3, 0x37fa213d, keyOffset);
      expect(actual).toEqual(expected);
      const inPlace = source.slice();
      masking!.mask(inPlace, 0x37fa213d, keyOffset);
      expect(inPlace).toEqual(expected.subarray(3));
    }
  });

  it('is off with STRATA_NO_BUFFERUTIL=1', async () => {
    vi.stubEnv('STRATA_NO_BUFFERUTIL', '1');
    vi.resetModules();
    const fresh = await import('../src/host.js');
    expect(fresh.nodeMasking()).toBeNull();
  });

  it('echoes large messages split across reads byte for byte', async () => {
    const started = await startServer();
    wss = started.wss;
    echo(wss);
    const client = await openClient(started.url);
    const payload = Buffer.alloc(3 * 65536 + 5).map((_, i) => (i * 7) & 0xff);
    const echoed = new Promise<Buffer>((resolve) =>
      client.once('message', (d: Buffer) => resolve(d)),
    );
    client.send(payload);
    expect(Buffer.compare(await echoed, payload)).toBe(0);
    client.close();
  });
});
