/**
 * Soak of Strata's server under the fuzzing client, many runs in a row, to catch an
 * intermittent result (a false 1007 on valid 4 MiB fragmented text was seen on 9.3.8 and 9.3.1
 * during engine work). Each run plays the cases in the CI test's order (server handshake cases,
 * then groups 1-13) against the CI's own server (`startStrata`), without and with
 * permessage-deflate enabled, and with `--focus` only groups 6, 9.1 and 9.3 plus 9.1/9.3 with
 * permessage-deflate negotiated (sent compressed). The bytes of every case that is not a PASS
 * are written to `<out>/<run>-<variant>-<case>/` (src/capture.ts), to replay the exact reads.
 *
 *   node --import @strata-ws/test-support/ts-loader apps/conformance/src/soak.ts [runs] [out] [--focus]
 */
import { loadavg } from 'node:os';
import { ByteRecorder } from './capture.js';
import { serverHandshakeCases } from './cases/handshake.js';
import type { Case, Outcome } from './cases/types.js';
import { runServerCase, runServerHandshakeCase } from './fuzz-client.js';
import { harnessStats } from './runner.js';
import { allCases } from './suite.js';
import { startStrata } from './targets/servers.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const focus = process.argv.includes('--focus');
const runs = Number(args[0] ?? 30);
const out = args[1] ?? '/tmp/conformance-soak';

const protocol = allCases().filter((c) => c.fuzzer !== 'server');
const focused = protocol.filter((c) => /^(6\.|9\.[13]\.)/.test(c.id));
const compressed: Case[] = focused
  .filter((c) => /^9\.[13]\./.test(c.id))
  .map((c) => ({ ...c, id: `${c.id}+pmd`, deflate: {} }));
const variants: [string, boolean, Case[], boolean][] = focus
  ? [
      ['plain', false, focused, false],
      ['deflate-enabled', true, focused, false],
      ['deflate-negotiated', true, compressed, false],
    ]
  : [
      ['plain', false, protocol, true],
      ['deflate-enabled', true, protocol, true],
    ];

const totals: Record<string, { cases: number; bad: number }> = {};
for (let run = 1; run <= runs; run++) {
  for (const [name, deflate, cases, handshakes] of variants) {
    const recorder = new ByteRecorder(out);
    const server = await startStrata(deflate, recorder.onConnection);
    const t0 = Date.now();
    const bad: Outcome[] = [];
    const check = (c: { id: string }, outcome: Outcome) => {
      const pass = outcome.result === 'PASS' || (!deflate && /^1[23]\./.test(c.id));
      if (!pass) bad.push(outcome);
      recorder.caseDone(`${run}-${name}-${c.id}`, outcome, !pass);
    };
    if (handshakes) {
      for (const c of serverHandshakeCases())
        check(c, await runServerHandshakeCase(server.target, c));
    }
    for (const c of cases) check(c, await runServerCase(server.target, c));
    await server.stop();
    totals[name] ??= { cases: 0, bad: 0 };
    const total = totals[name];
    total.cases += cases.length;
    total.bad += bad.length;
    console.log(
      JSON.stringify({
        run,
        variant: name,
        cases: cases.length,
        nonPass: bad.map((o) => `${o.id} ${o.result}: ${o.reason}`),
        deferredPongs: harnessStats.deferredPongs,
        seconds: Math.round((Date.now() - t0) / 1000),
        load1: Number(loadavg()[0]!.toFixed(1)),
        at: new Date().toISOString().slice(11, 19),
      }),
    );
  }
}
console.log(JSON.stringify({ totals }));
