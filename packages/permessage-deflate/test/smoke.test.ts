import { describe, expect, it } from 'vitest';
import { PerMessageDeflateClient, PerMessageDeflateServer } from '../src/index.js';
import { createPerMessageDeflate } from '../src/node/index.js';

function run(fn: (cb: (e: Error | null, d?: Uint8Array) => void) => void): Promise<Uint8Array> {
  return new Promise((resolve, reject) => fn((e, d) => (e ? reject(e) : resolve(d as Uint8Array))));
}

describe('smoke', () => {
  it('negotiates and round-trips', async () => {
    const client = new PerMessageDeflateClient({ clientNoContextTakeover: true });
    const server = new PerMessageDeflateServer();
    const sel = server.select(client.offer());
    expect(sel).not.toBeNull();
    expect(client.checkResponse(sel!.response)).toBeNull();
    const ca = client.agreement(sel!.response);
    const c = createPerMessageDeflate(ca, { threshold: 0 });
    const s = createPerMessageDeflate(sel!.agreement, { threshold: 0 });
    for (const mode of ['x', 'y']) {
      const msg = new TextEncoder().encode(`${mode} hello hello hello`);
      const z = await run((cb) => c.encode(msg, cb));
      const back = await run((cb) => s.decode(z, true, 1 << 20, cb));
      expect(new TextDecoder().decode(back)).toBe(`${mode} hello hello hello`);
    }
  });
});
