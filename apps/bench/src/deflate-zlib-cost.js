// Where the time of a compressed 16 KiB echo goes, in process, without sockets: CPU per message
// (best of 7 runs, process.cpuUsage: all threads) of Strata's engine compressing with a kept
// context with its defaults and at fixed levels 1..6 (the sizes it sends, against level 6 =
// ws's output; in-process averages include each sequence's first message), and of inflating
// the client's fresh-context message. Shows the floor zlib itself sets for each row of
// deflate-echo.js: no server can go below "inflate + deflate at the level that meets the bytes
// goal", whatever its framing costs.
//
//   npx tsc -p packages/permessage-deflate/tsconfig.build.json &&
//     flock /tmp/bench.lock node apps/bench/src/deflate-zlib-cost.js
import { constants, deflateRawSync } from 'node:zlib';
import { createPerMessageDeflate, DeflateContextBudget } from '@strata-ws/permessage-deflate/node';
import { jsonMessage } from './lib/json-message.js';

const agreement = {
  role: 'server',
  serverNoContextTakeover: false,
  clientNoContextTakeover: true,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const docs = Array.from({ length: 64 }, (_, i) => jsonMessage(16 * 1024, i + 1));
const shapes = {
  same: Array.from({ length: 200 }, () => docs[0]),
  varied: Array.from({ length: 256 }, (_, i) => docs[i % 64]),
};
const call = (fn) => new Promise((res, rej) => fn((e, d) => (e ? rej(e) : res(d))));

async function cost(seq, options, op) {
  let best = Number.POSITIVE_INFINITY;
  let bytes = 0;
  for (let r = 0; r < 7; r++) {
    const ext = createPerMessageDeflate(agreement, {
      threshold: 0,
      syncLimit: 1 << 20,
      contextBudget: new DeflateContextBudget(1 << 20),
      ...options,
    });
    const inputs =
      op === 'decode'
        ? seq.map((m) => {
            const z = deflateRawSync(m, { finishFlush: constants.Z_SYNC_FLUSH });
            return z.subarray(0, z.length - 4);
          })
        : seq;
    bytes = 0;
    const t0 = process.cpuUsage();
    for (const m of inputs) {
      const out = await call((cb) =>
        op === 'decode' ? ext.decode(m, true, 1 << 24, cb) : ext.encode(m, cb),
      );
      bytes += out.length;
    }
    const c = process.cpuUsage(t0);
    best = Math.min(best, (c.user + c.system) / inputs.length);
    ext.dispose();
  }
  return { us: best, bytes: bytes / seq.length };
}

console.log(`node ${process.version}: CPU per 16 KiB message, best of 7 (engine, synchronous)`);
for (const [name, seq] of Object.entries(shapes)) {
  const l6 = await cost(seq, { takeoverLevel: 6, adaptiveLevel: false }, 'encode');
  const parts = [];
  const byDefault = await cost(seq, {}, 'encode');
  parts.push(
    `default ${byDefault.us.toFixed(0)} us ${byDefault.bytes.toFixed(0)} B (${(byDefault.bytes / l6.bytes).toFixed(2)}x)`,
  );
  for (const level of [1, 3, 4, 5, 6]) {
    const r =
      level === 6 ? l6 : await cost(seq, { takeoverLevel: level, adaptiveLevel: false }, 'encode');
    parts.push(
      `L${level} ${r.us.toFixed(0)} us ${r.bytes.toFixed(0)} B (${(r.bytes / l6.bytes).toFixed(2)}x)`,
    );
  }
  const inflate = await cost(seq, {}, 'decode');
  console.log(`${name.padEnd(7)} deflate kept context: ${parts.join(' | ')}`);
  console.log(`${''.padEnd(7)} inflate fresh client message: ${inflate.us.toFixed(0)} us`);
}
