// The server on @strata-ws/node-host's per-connection masking (bufferutil when installed, as ws;
// the loader's own tests are in packages/node-host): large frames split across reads come back
// byte for byte.
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocketServer } from '../src/index.js';
import { echo, openClient, startServer, stopServer } from './helpers.js';

describe('native unmasking from bufferutil (optional, as ws)', () => {
  let wss: WebSocketServer<unknown> | undefined;
  afterEach(async () => {
    if (wss) await stopServer(wss);
    wss = undefined;
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
