/**
 * The suite in one place: every case list, and the two directions' runners over them.
 */
import { deflateCases } from './cases/deflate.js';
import { clientHandshakeCases, serverHandshakeCases } from './cases/handshake.js';
import { protocolCases } from './cases/protocol.js';
import type { Case, Outcome } from './cases/types.js';
import {
  runH2Cases,
  runServerCase,
  runServerHandshakeCase,
  type ServerTarget,
} from './fuzz-client.js';
import {
  type ClientCase,
  type ClientSuiteOptions,
  dropCases,
  runClientSuite,
} from './fuzz-server.js';

let cached: Case[] | null = null;

/** Groups 1-13 (built once: the large payloads are shared). */
export function allCases(): Case[] {
  cached ??= [...protocolCases(), ...deflateCases()];
  return cached;
}

/** Options of a run: a filter on case ids (CI subsets). */
export interface RunOptions {
  only?: (c: { id: string; group: string }) => boolean;
  /** Server direction: called after each HTTP/1.1 case (handshake and protocol) with its outcome. */
  onCase?: (outcome: Outcome) => void;
}

/** Every server-direction case against one server (fuzzer as client). */
export async function runServerSuite(
  target: ServerTarget,
  options: RunOptions = {},
): Promise<Outcome[]> {
  const only = options.only ?? (() => true);
  const onCase = options.onCase ?? (() => {});
  const out: Outcome[] = [];
  for (const c of serverHandshakeCases()) {
    if (!only(c)) continue;
    out.push(await runServerHandshakeCase(target, c));
    onCase(out.at(-1)!);
  }
  for (const c of allCases()) {
    if (c.fuzzer === 'server' || !only(c)) continue;
    const t0 = Date.now();
    out.push(await runServerCase(target, c));
    onCase(out.at(-1)!);
    if (process.env.CONFORMANCE_TRACE) console.log(c.id, out.at(-1)?.result, Date.now() - t0);
  }
  out.push(...(await runH2Cases(target, allCases())).filter((o) => only(o)));
  return out;
}

/** Every client-direction case (fuzzer as server) for one client agent. */
export async function runClientDirection(
  launch: (base: string) => Promise<unknown>,
  options: RunOptions = {},
  suite: ClientSuiteOptions = {},
): Promise<Outcome[]> {
  const only = options.only ?? (() => true);
  const cases: ClientCase[] = [
    ...clientHandshakeCases()
      .filter(only)
      .map((handshake) => ({ handshake })),
    ...dropCases()
      .filter(only)
      .map((drop) => ({ drop })),
    ...allCases()
      .filter((c) => c.fuzzer !== 'client' && only(c))
      .map((protocol) => ({ protocol })),
  ];
  return runClientSuite(cases, launch, suite);
}
