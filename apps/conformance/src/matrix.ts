/**
 * The whole matrix, as the report runs it: every server and client under test, both
 * directions, the interop exchange between every client and every server with and without
 * compression, and the WPT-derived API cases. Each part can be filtered (CONFORMANCE_ONLY).
 */
import { runAbuseCases } from './abuse.js';
import type { Outcome } from './cases/types.js';
import type { ExchangeCell, Row, WptRow } from './report.js';
import { runClientDirection, runServerSuite } from './suite.js';
import {
  bunClient,
  type ClientImpl,
  chromiumClient,
  nodeClient,
  pythonClient,
  strataClient,
  strataStreamClient,
  wsClient,
} from './targets/clients.js';
import {
  type RunningServer,
  startBun,
  startHandlerBun,
  startHandlerDeno,
  startPython,
  startStrata,
  startStrataTls,
  startWs,
} from './targets/servers.js';
import { runWpt } from './wpt/runner.js';

type Starter = (deflate: boolean) => Promise<RunningServer | null>;

const SERVERS: [string, Starter][] = [
  ['strata', startStrata],
  ['ws', startWs],
  ['bun', startBun],
  ['python-websockets', startPython],
  ['strata handler/bun', startHandlerBun],
  ['strata handler/deno', startHandlerDeno],
];

/** Everything the report shows. */
export interface MatrixResult {
  rows: Row[];
  exchange: ExchangeCell[];
  wpt: WptRow[];
  notes: string[];
}

const wanted = (name: string) => {
  const only = process.env.CONFORMANCE_ONLY;
  return !only || only.split(',').some((o) => name.includes(o));
};

async function timed(
  impl: string,
  role: 'server' | 'client',
  run: () => Promise<Outcome[]>,
): Promise<Row> {
  const t0 = Date.now();
  try {
    const outcomes = await run();
    return { impl, role, outcomes, seconds: Math.round((Date.now() - t0) / 1000) };
  } catch (error) {
    return { impl, role, outcomes: [], skipped: (error as Error).message.slice(0, 200) };
  }
}

/** Runs everything; `log` gets progress lines. */
export async function runMatrix(log: (line: string) => void): Promise<MatrixResult> {
  const rows: Row[] = [];
  const exchange: ExchangeCell[] = [];
  const notes: string[] = [];
  // Servers, fuzzed.
  for (const [name, start] of SERVERS) {
    for (const deflate of [false, true]) {
      const label = `${name}${deflate ? '+deflate' : ''}`;
      if (!wanted(label)) continue;
      const server = await start(deflate);
      if (!server) {
        rows.push({ impl: label, role: 'server', outcomes: [], skipped: 'not installed' });
        continue;
      }
      rows.push(
        await timed(label, 'server', async () => {
          const outcomes = await runServerSuite(server.target);
          // The memory abuse cases: Strata only.
          if (name === 'strata' && !deflate) outcomes.push(...(await runAbuseCases(server.target)));
          return outcomes;
        }),
      );
      log(`server ${label} done`);
      await server.stop();
    }
  }
  // Clients, fuzzed, and their exchanges with every server.
  const chromium = wanted('chromium')
    ? await chromiumClient(['--ignore-certificate-errors']).catch(() => null)
    : null;
  const clients: (ClientImpl | null)[] = [
    strataClient(true),
    strataClient(false),
    strataStreamClient(true),
    wsClient(),
    nodeClient(),
    bunClient(),
    pythonClient(),
    chromium,
  ];
  for (const client of clients) {
    if (!client || !wanted(client.name)) continue;
    rows.push(
      await timed(client.name, 'client', () => runClientDirection((base) => client.launch(base))),
    );
    log(`client ${client.name} done`);
    for (const [name, start] of SERVERS) {
      for (const deflate of [false, true]) {
        const server = await start(deflate);
        if (!server) continue;
        const url = `ws://${server.target.host}:${server.target.port}/`;
        const r = await client.exchange(url).catch((error: Error) => ({
          ok: false,
          problems: [error.message],
          extensions: '',
          close: 0,
        }));
        exchange.push({
          client: client.name,
          server: name,
          compression: deflate,
          ok: r.ok,
          detail: r.ok ? (r.extensions ? '(deflate)' : '') : r.problems.slice(0, 2).join('; '),
        });
        await server.stop();
      }
    }
  }
  // Chromium over HTTP/2 with TLS (RFC 8441) to Strata, from a page of that origin (Chromium
  // uses RFC 8441 only on an h2 session it already holds); the cell shows the transport the
  // server recorded, and is not ok unless every connection was h2.
  if (chromium) {
    for (const deflate of chromium.exchangeFrom ? [false, true] : []) {
      const server = await startStrataTls(deflate);
      if (!server) continue;
      const origin = `https://127.0.0.1:${server.target.port}`;
      const r = await chromium.exchangeFrom!(
        `${origin}/`,
        `wss://127.0.0.1:${server.target.port}/`,
      ).catch((error: Error) => ({
        ok: false,
        problems: [error.message],
        extensions: '',
        close: 0,
      }));
      const h2Only = server.transports.length > 0 && server.transports.every((t) => t === 'h2');
      exchange.push({
        client: `${chromium.name} (wss)`,
        server: 'strata h2+tls',
        compression: deflate,
        ok: r.ok && h2Only,
        detail:
          `${r.ok ? '' : r.problems.join('; ')} transport ${server.transports.join(',') || 'none'}`.trim(),
      });
      await server.stop();
    }
    await chromium.close?.();
  }
  // Findings the cases carry (e.g. 9.10.2's memory figures next to the node:net floor).
  for (const row of rows) for (const o of row.outcomes) if (o.note) notes.push(o.note);
  // Behaviour evidence: abrupt drops after open.
  for (const row of rows.filter((r) => r.role === 'client')) {
    const d = row.outcomes.find((o) => o.id === 'D.1');
    if (d?.events)
      notes.push(
        `Abrupt TCP FIN after open, **${row.impl}**: ${d.events.join(' → ')} (${d.events.includes('error') ? 'fires error before close' : 'no error event'}).`,
      );
  }
  // Behaviour evidence: a refused handshake that never fires close (WHATWG fires error, then close).
  for (const row of rows.filter((r) => r.role === 'client')) {
    const silent = row.outcomes.filter((o) => o.reason.includes('never fired close'));
    if (silent.length > 0)
      notes.push(
        `Refused handshake, **${row.impl}**: fires \`error\` but never \`close\` in ${silent.length} case(s) (${silent.map((o) => o.id).join(', ')}; events ${silent[0]!.events?.join(' → ')}): an application waiting for \`close\` waits forever.`,
      );
  }
  // Behaviour evidence: which transport Chromium's wss:// took to Strata's TLS HTTP/2 server.
  for (const cell of exchange.filter((c) => c.server === 'strata h2+tls'))
    notes.push(
      `**${cell.client}** to Strata's TLS HTTP/2 server, from a page loaded from that origin${cell.compression ? ', with permessage-deflate' : ''}: ${cell.detail} (RFC 8441: Chromium sends the extended CONNECT on the h2 session it holds; it opens no h2 connection for a WebSocket alone).`,
    );
  const wpt = wanted('wpt') ? await runWpt() : [];
  return { rows, exchange, wpt, notes };
}
