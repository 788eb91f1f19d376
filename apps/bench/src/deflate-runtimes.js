// The node:zlib engine in every runtime that has node:zlib: round trips (pooled sync, pooled
// thread pool, dedicated; with and without context takeover), a 4 MiB zip bomb against a
// 1 MiB limit (must end in 1009) and invalid data (must end in 1007). Runs on the BUILT package (`npx turbo run build` first):
//   node apps/bench/src/deflate-runtimes.js
//   npx bun apps/bench/src/deflate-runtimes.js
//   npx deno run -A apps/bench/src/deflate-runtimes.js
import {
  createPerMessageDeflate,
  PerMessageDeflateClient,
  PerMessageDeflateServer,
} from '@strata-ws/permessage-deflate/node';

const client = new PerMessageDeflateClient({ clientNoContextTakeover: true });
const server = new PerMessageDeflateServer();
const sel = server.select(client.offer());
const results = [];
for (const opts of [{}, { syncLimit: 0 }, { memoryMode: 'dedicated' }]) {
  for (const takeover of [false, true]) {
    const a = { ...sel.agreement, serverNoContextTakeover: !takeover };
    const s = createPerMessageDeflate(a, { threshold: 0, ...opts });
    const c = createPerMessageDeflate({ ...a, role: 'client' }, { threshold: 0, ...opts });
    const run = (fn) => new Promise((res, rej) => fn((e, d) => (e ? rej(e) : res(d))));
    let ok = true;
    for (let i = 0; i < 4; i++) {
      const msg = new TextEncoder().encode(
        JSON.stringify({ i, data: 'x'.repeat(20000 + i), more: [1, 2, 3] }),
      );
      const z = await run((cb) => s.encode(msg, cb));
      const back = await run((cb) => c.decode(z, true, 1 << 20, cb));
      if (back.length !== msg.length) ok = false;
    }
    const bomb = new Uint8Array(await run((cb) => s.encode(new Uint8Array(4 << 20), cb)));
    const c2 = createPerMessageDeflate({ ...a, role: 'client' }, { ...opts });
    let code = 0;
    try {
      await run((cb) => c2.decode(bomb, true, 1 << 20, cb));
    } catch (e) {
      code = e.closeCode;
    }
    // Invalid data (RFC 7692 test 12.3.3's payload) must fail with 1007, on every path.
    const c3 = createPerMessageDeflate({ ...a, role: 'client' }, { ...opts });
    let invalid = 0;
    try {
      await run((cb) =>
        c3.decode(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x01, 0x02]), true, 1 << 20, cb),
      );
    } catch (e) {
      invalid = e.closeCode;
    }
    results.push(
      `${JSON.stringify(opts)} takeover=${takeover} roundtrip=${ok} bomb=${code} invalid=${invalid}`,
    );
    s.dispose();
    c.dispose();
    c2.dispose();
    c3.dispose();
  }
}
const failed = results.filter((r) => !r.includes('roundtrip=true bomb=1009 invalid=1007'));
console.log(results.join('\n'));
if (failed.length > 0) throw new Error(`failed: ${failed.join('; ')}`);
