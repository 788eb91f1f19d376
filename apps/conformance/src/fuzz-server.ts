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

/** Runs `cases` against one client; `launch` starts the agent on the base URL and resolves when it ends. */
export async function runClientSuite(
  cases: ClientCase[],
  launch: (base: string) => Promise<unknown>,
  budgetMs = 600_000,
): Promise<Outcome[]> {
  const outcomes: (Outcome & { opened?: boolean; probeEchoed?: boolean })[] = [];
  let index = 0;
  let finished = false;
  const sockets = new Set<net.Socket>();
  const judgeWithEvents = (events: string[]) => {
    const last = outcomes.at(-1);
    if (!last || last.events) return;
    last.events = events;
    const c = cases[outcomes.length - 1];
    if (!c) return;
    const opened = events.includes('open') || last.probeEchoed === true;
    if ('handshake' in c) {
      const must = c.handshake.opens;
      const ok = opened === must;
      last.result = ok ? 'PASS' : 'FAIL';
      last.reason = ok
        ? ''
        : must
          ? `did not open (${events.join(' ')})`
          : `opened the connection (${events.join(' ')})`;
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
  const agent = launch(`ws://127.0.0.1:${port}/`).catch((error: Error) => error);
  const timer = sleep(budgetMs).then(() => 'timeout');
  const end = await Promise.race([agent, timer]);
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
