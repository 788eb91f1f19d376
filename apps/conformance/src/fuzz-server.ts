/**
 * The fuzzing server: a raw node:net server that plays one case per incoming connection against
 * a client agent (peers/agent.js and its twins), which reconnects to `/next?prev=<events>` after
 * each case. The events the client saw (open, error, close code) arrive with the next request,
 * and are the evidence for the handshake and abrupt-drop cases.
 */
import net from 'node:net';
import type { ClientHandshakeCase } from './cases/handshake.js';
import type { Case, Outcome, Result } from './cases/types.js';
import { agreementOf, FuzzDeflate, formatDeflate, parseExtensions } from './deflate.js';
import { closePayload, encodeFrame, Op } from './frames.js';
import { acceptOf, header, readHead } from './http.js';
import { playCase } from './runner.js';
import { verdict } from './verdict.js';

/** An abrupt end of the transport after the connection opened. */
export interface DropCase {
  id: string;
  group: string;
  title: string;
  drop: 'fin' | 'reset';
}

/** Any case the fuzzing server can play. */
export type ClientCase =
  | { protocol: Case }
  | { handshake: ClientHandshakeCase }
  | { drop: DropCase };

/** The abrupt-drop cases (evidence for the error-before-close behaviour). */
export function dropCases(): DropCase[] {
  const g = 'D abrupt close (client)';
  return [
    {
      id: 'D.1',
      group: g,
      title: 'server sends a message, then FIN without a close frame',
      drop: 'fin',
    },
    { id: 'D.2', group: g, title: 'server sends a message, then a TCP reset', drop: 'reset' },
  ];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function caseInfo(c: ClientCase): { id: string; group: string; title: string } {
  const x = 'protocol' in c ? c.protocol : 'handshake' in c ? c.handshake : c.drop;
  return { id: x.id, group: x.group, title: x.title };
}

/** Picks the response parameters for the client's offer; a string is why it cannot. */
function negotiate(
  offerHeader: string,
  wanted: NonNullable<Case['deflate']>,
): string | { response: string } {
  const offers = parseExtensions(offerHeader).filter((e) => e.name === 'permessage-deflate');
  if (offers.length === 0) return 'the client offered no permessage-deflate';
  const offer = offers.find(
    (o) => !wanted.clientMaxWindowBits || o.params.some(([n]) => n === 'client_max_window_bits'),
  );
  if (!offer) return 'the client offered no client_max_window_bits';
  return { response: formatDeflate(wanted, false) };
}

/**
 * How long a client may take over one case, from its connection to its next one (the
 * watchdog): a handshake or drop case ends within a second when the client behaves; a protocol
 * case gets its own wait plus room for 16 MiB messages on a slow client.
 */
export function caseLimitMs(c: ClientCase): number {
  if ('protocol' in c) return (c.protocol.timeout ?? 2000) + 20_000;
  return 10_000;
}

/** The first line of an error (a crash's message without its stack). */
function firstLine(text: string): string {
  const line = text.split('\n').find((l) => /\w/.test(l) && !/^\s+at /.test(l)) ?? text;
  return line.trim().slice(0, 200);
}

/** Options of {@link runClientSuite}. */
export interface ClientSuiteOptions {
  /** The whole row's budget (default 10 min). */
  budgetMs?: number;
  /** The per-case watchdog (default {@link caseLimitMs}). */
  caseLimit?: (c: ClientCase) => number;
  /** How many times an agent that died mid-run is started again (default 5). */
  relaunches?: number;
}

/**
 * Runs `cases` against one client; `launch` starts the agent on the base URL and resolves when
 * it ends. A per-case watchdog records a case the client does not finish in time as a FAIL
 * (timeout) and drops its connection, so the agent moves on; an agent that dies mid-run
 * (a client that crashes its process) fails the case it was in and is started again, so the
 * row always completes.
 */
export async function runClientSuite(
  cases: ClientCase[],
  launch: (base: string) => Promise<unknown>,
  options: ClientSuiteOptions = {},
): Promise<Outcome[]> {
  const budgetMs = options.budgetMs ?? 600_000;
  const caseLimit = options.caseLimit ?? caseLimitMs;
  const outcomes: (Outcome & { opened?: boolean; probeEchoed?: boolean })[] = [];
  let index = 0;
  let finished = false;
  const sockets = new Set<net.Socket>();
  /** The sockets of the case in progress, and its watchdog. */
  let caseSockets = new Set<net.Socket>();
  let watchdog: NodeJS.Timeout | undefined;
  const startWatchdog = (record: Outcome, c: ClientCase, own: Set<net.Socket>) => {
    clearTimeout(watchdog);
    const limit = caseLimit(c);
    watchdog = setTimeout(() => {
      if (record.events) return;
      record.result = 'FAIL';
      record.reason = `timeout: the client neither finished this case nor came back within ${limit / 1000} s${record.reason && record.reason !== 'client did not report back' ? ` (${record.reason})` : ''}`;
      record.events = ['watchdog'];
      for (const s of own) s.destroy();
    }, limit);
    watchdog.unref();
  };
  const judgeWithEvents = (events: string[]) => {
    const last = outcomes.at(-1);
    if (!last) return;
    if (last.events?.[0] === 'watchdog') {
      // The client came back after the watchdog failed the case: keep the FAIL, add its evidence.
      last.events = ['watchdog', ...events];
      last.reason += `; the client reported later: ${events.join(' ') || 'no events'}`;
      return;
    }
    if (last.events) return;
    last.events = events;
    const c = cases[outcomes.length - 1];
    if (!c) return;
    // The agent caught an exception its WebSocket threw outside any handler (a crash of the
    // implementation, which a process without the agent's handler would die of).
    const uncaught = events.find((e) => e.startsWith('uncaught:'));
    if (uncaught) {
      last.result = 'FAIL';
      last.reason = `the client threw an uncaught exception (${uncaught.slice(9)}); events: ${events.filter((e) => e !== uncaught).join(' ') || 'none'}`;
      return;
    }
    const opened = events.includes('open') || last.probeEchoed === true;
    if ('handshake' in c) {
      const must = c.handshake.opens;
      const closed = events.some((e) => e.startsWith('close:'));
      const ok = opened === must;
      // WHATWG "fail the WebSocket connection": error, then close (1006). A client that never
      // fires close leaves the application waiting for it forever.
      last.result = ok && closed ? 'PASS' : 'FAIL';
      last.reason = !ok
        ? must
          ? `did not open (${events.join(' ')})`
          : `opened the connection (${events.join(' ')})`
        : closed
          ? ''
          : `${must ? 'opened' : 'refused the handshake'} but never fired close (${events.join(' ')})`;
    } else if ('drop' in c) {
      const close = events.find((e) => e.startsWith('close:'));
      const ok = close?.startsWith('close:1006:unclean');
      const errorFirst = events.includes('error');
      last.result = ok ? 'PASS' : 'FAIL';
      last.reason = `${ok ? '' : 'expected close 1006 (unclean); '}events: ${events.join(' ')}${errorFirst ? ' (error before close)' : ' (no error event)'}`;
    }
  };
  const server = net.createServer(async (socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    const head = await readHead(socket, 10_000);
    if (!head) {
      socket.destroy();
      return;
    }
    const url = new URL(head.line.split(' ')[1] ?? '/', 'http://x');
    if (url.pathname !== '/next') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const prev = url.searchParams.get('prev');
    clearTimeout(watchdog);
    if (prev !== null && outcomes.length > 0) judgeWithEvents(prev ? prev.split(',') : []);
    const key = header(head, 'sec-websocket-key');
    const ok101 = [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptOf(key)}`,
    ];
    const c = cases[index++];
    if (!c) {
      finished = true;
      socket.write(`${ok101.join('\r\n')}\r\n\r\n`);
      socket.end(
        encodeFrame({ op: Op.close, payload: closePayload(4999, 'conformance:done') }, false),
      );
      return;
    }
    const info = caseInfo(c);
    const record: Outcome & { probeEchoed?: boolean } = {
      ...info,
      result: 'FAIL',
      reason: 'client did not report back',
    };
    outcomes.push(record);
    caseSockets = new Set([socket]);
    startWatchdog(record, c, caseSockets);
    if (process.env.CONFORMANCE_TRACE) console.log('case', info.id, new Date().toISOString());
    if ('handshake' in c) {
      const lines = c.handshake.response(
        key,
        header(head, 'sec-websocket-extensions'),
        header(head, 'sec-websocket-protocol'),
      );
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      socket.write(encodeFrame({ op: Op.text, payload: 'probe' }, false));
      record.probeEchoed = false;
      socket.on('data', () => {
        record.probeEchoed = true;
      });
      await sleep(300);
      socket.end(encodeFrame({ op: Op.close, payload: closePayload(1000) }, false));
      setTimeout(() => socket.destroy(), 500);
      return;
    }
    if ('drop' in c) {
      socket.write(`${ok101.join('\r\n')}\r\n\r\n`);
      socket.write(encodeFrame({ op: Op.text, payload: 'bye' }, false));
      await sleep(200);
      if (c.drop.drop === 'fin') socket.end();
      else socket.resetAndDestroy();
      return;
    }
    const pc = c.protocol;
    let deflate: FuzzDeflate | null = null;
    const lines = [...ok101];
    if (pc.deflate) {
      const chosen = negotiate(header(head, 'sec-websocket-extensions'), pc.deflate);
      if (typeof chosen === 'string') {
        record.result = 'UNSUPPORTED' as Result;
        record.reason = chosen;
        record.events = [];
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        socket.end(encodeFrame({ op: Op.close, payload: closePayload(1000, 'skipped') }, false));
        return;
      }
      lines.push(`Sec-WebSocket-Extensions: ${chosen.response}`);
      const pmd = parseExtensions(chosen.response)[0];
      const agreement = pmd ? agreementOf(pmd) : 'none';
      if (typeof agreement !== 'string') deflate = new FuzzDeflate('server', agreement);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    const obs = await playCase(socket, head.rest, 'server', pc, deflate);
    Object.assign(record, verdict(pc, obs, 'server'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const base = `ws://127.0.0.1:${port}/`;
  let budgetTimer: NodeJS.Timeout | undefined;
  const timer = new Promise<string>((resolve) => {
    budgetTimer = setTimeout(() => resolve('timeout'), budgetMs);
  });
  let end: unknown;
  for (let attempt = 0; ; attempt++) {
    const agent = launch(base).catch((error: Error) => error);
    end = await Promise.race([agent, timer]);
    if (end === 'timeout' || finished || index >= cases.length) break;
    // The agent died before the end: the case it was in is its crash; start it again.
    const last = outcomes.at(-1);
    if (last && !last.events) {
      last.result = 'FAIL';
      last.reason = `the client's process died in this case: ${firstLine(end instanceof Error ? end.message : String(end))}`;
      last.events = ['crash'];
    }
    clearTimeout(watchdog);
    for (const s of caseSockets) s.destroy();
    if (attempt >= (options.relaunches ?? 5)) break;
  }
  clearTimeout(budgetTimer);
  clearTimeout(watchdog);
  await sleep(100);
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
  const result: Outcome[] = outcomes.map(({ opened: _o, probeEchoed: _p, ...rest }) => rest);
  for (let i = outcomes.length; i < cases.length; i++) {
    result.push({
      ...caseInfo(cases[i]!),
      result: 'FAIL',
      reason:
        end === 'timeout'
          ? 'agent ran out of time before this case'
          : `agent stopped before this case${finished ? '' : ` (${String(end)})`}`,
    });
  }
  return result;
}
