/**
 * The fuzzing client: plays every case against a server under test over raw TCP (and the
 * RFC 8441 cases over node:http2 extended CONNECT), one connection per case.
 */
import http2 from 'node:http2';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerHandshakeCase } from './cases/handshake.js';
import type { Case, Outcome } from './cases/types.js';
import { agreementOf, FuzzDeflate, formatDeflate, parseExtensions } from './deflate.js';
import { acceptOf, header, newKey, readHead } from './http.js';
import { playCase } from './runner.js';
import { verdict } from './verdict.js';

/** A server under test. */
export interface ServerTarget {
  name: string;
  host: string;
  port: number;
  /** Path of the WebSocket endpoint. */
  path?: string;
  /** The server has the origin allow-list `http://allowed.example` (handshake cases H.24/25). */
  origin?: boolean;
  /** Cleartext HTTP/2 port with extended CONNECT, if the implementation has it. */
  h2Port?: number;
}

function connect(target: ServerTarget): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const socket = net.connect(target.port, target.host);
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(null));
  });
}

/** Opens a WebSocket with the given offer; a string result says why it could not. */
async function open(
  target: ServerTarget,
  c: Case,
): Promise<
  | { io: Duplex; head: Buffer; deflate: FuzzDeflate | null }
  | { unsupported: string }
  | { fail: string }
> {
  const socket = await connect(target);
  if (!socket) return { fail: 'connection refused' };
  const key = newKey();
  const lines = [
    `GET ${target.path ?? '/'} HTTP/1.1`,
    `Host: ${target.host}:${target.port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (c.deflate) lines.push(`Sec-WebSocket-Extensions: ${formatDeflate(c.deflate)}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await readHead(socket);
  if (head?.status !== 101 || header(head, 'sec-websocket-accept') !== acceptOf(key)) {
    socket.destroy();
    return { fail: `handshake failed: ${head ? head.line : 'no answer'}` };
  }
  let deflate: FuzzDeflate | null = null;
  const exts = parseExtensions(header(head, 'sec-websocket-extensions'));
  const pmd = exts.find((e) => e.name === 'permessage-deflate');
  if (exts.some((e) => e.name !== 'permessage-deflate') || (pmd && !c.deflate)) {
    socket.destroy();
    return {
      fail: `server answered extensions that were not offered: ${header(head, 'sec-websocket-extensions')}`,
    };
  }
  if (c.deflate) {
    if (!pmd) {
      socket.destroy();
      return { unsupported: `declined permessage-deflate offer "${formatDeflate(c.deflate)}"` };
    }
    const agreement = agreementOf(pmd);
    const offer = c.deflate;
    const problem =
      typeof agreement === 'string'
        ? agreement
        : offer.serverNoContextTakeover && !agreement.serverNoContextTakeover
          ? 'accepted without the offered server_no_context_takeover'
          : offer.serverMaxWindowBits && agreement.serverMaxWindowBits > offer.serverMaxWindowBits
            ? `server_max_window_bits ${agreement.serverMaxWindowBits} above the offered ${offer.serverMaxWindowBits}`
            : offer.clientMaxWindowBits && agreement.clientMaxWindowBits > offer.clientMaxWindowBits
              ? `client_max_window_bits ${agreement.clientMaxWindowBits} above the offered ${offer.clientMaxWindowBits}`
              : null;
    if (problem) {
      socket.destroy();
      return { fail: `bad permessage-deflate response (${problem})` };
    }
    deflate = new FuzzDeflate('client', agreement as Exclude<typeof agreement, string>);
  }
  return { io: socket, head: head.rest, deflate };
}

/** Plays one case against a server. */
export async function runServerCase(target: ServerTarget, c: Case): Promise<Outcome> {
  const base = { id: c.id, group: c.group, title: c.title };
  const opened = await open(target, c);
  if ('unsupported' in opened)
    return { ...base, result: 'UNSUPPORTED', reason: opened.unsupported };
  if ('fail' in opened) return { ...base, result: 'FAIL', reason: opened.fail };
  const obs = await playCase(opened.io, opened.head, 'client', c, opened.deflate);
  return { ...base, ...verdict(c, obs, 'client') };
}

/** Plays one handshake case against a server. */
export async function runServerHandshakeCase(
  target: ServerTarget,
  c: ServerHandshakeCase,
): Promise<Outcome> {
  const base = { id: c.id, group: c.group, title: c.title };
  if (c.origin && !target.origin)
    return {
      ...base,
      result: 'UNSUPPORTED',
      reason: 'no origin allow-list (none, or not configured in this run)',
    };
  const socket = await connect(target);
  if (!socket) return { ...base, result: 'FAIL', reason: 'connection refused' };
  const key = newKey();
  socket.write(`${c.request(`${target.host}:${target.port}`, key).join('\r\n')}\r\n\r\n`);
  const head = await readHead(socket, 3000);
  socket.destroy();
  if (c.expect === 'accept') {
    const ok = head?.status === 101 && header(head, 'sec-websocket-accept') === acceptOf(key);
    return {
      ...base,
      result: ok ? 'PASS' : 'FAIL',
      reason: ok ? '' : `expected 101, got ${head ? head.line : 'no answer'}`,
    };
  }
  if (c.expect === 'refuse') {
    const ok = head !== null && head.status >= 400 && head.status < 500;
    return {
      ...base,
      result: ok ? 'PASS' : 'FAIL',
      reason: ok ? '' : `expected a 4xx, got ${head ? head.line : 'no answer'}`,
    };
  }
  const [result, reason] = c.expect(head, key);
  return { ...base, result, reason };
}

/** The RFC 8441 cases a server is put through when it has an HTTP/2 port. */
const H2_IDS = [
  '1.1.1',
  '1.1.6',
  '1.2.7',
  '2.2',
  '2.5',
  '3.1',
  '4.1.1',
  '5.3',
  '5.5',
  '5.8',
  '6.1.13',
  '6.3.10',
  '6.4.1',
  '7.1.1',
  '7.3.1',
  '7.7.1',
  '7.9.2',
  '9.1.3',
  '12.1.5',
  '13.17',
];

/** Opens an extended CONNECT stream; the headers override the standard ones. */
function h2Open(
  session: http2.ClientHttp2Session,
  target: ServerTarget,
  extra: Record<string, string | undefined> = {},
): Promise<
  | { stream: http2.ClientHttp2Stream; status: number; headers: http2.IncomingHttpHeaders }
  | { error: string }
> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = {
      ':method': 'CONNECT',
      ':protocol': 'websocket',
      ':scheme': 'http',
      ':path': target.path ?? '/',
      ':authority': `${target.host}:${target.h2Port}`,
      'sec-websocket-version': '13',
    };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete headers[k];
      else headers[k] = v;
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (error) {
      resolve({ error: (error as Error).message });
      return;
    }
    const timer = setTimeout(() => resolve({ error: 'no response' }), 3000);
    stream.once('response', (h) => {
      clearTimeout(timer);
      resolve({ stream, status: Number(h[':status']), headers: h });
    });
    stream.once('error', (error) => {
      clearTimeout(timer);
      resolve({ error: error.message });
    });
  });
}

/** RFC 8441: the handshake cases and a subset of the protocol cases over HTTP/2 streams. */
export async function runH2Cases(target: ServerTarget, cases: Case[]): Promise<Outcome[]> {
  const g = 'H2 RFC 8441';
  const subset = cases.filter((c) => H2_IDS.includes(c.id));
  const all = [
    { id: 'H2.1', title: 'SETTINGS_ENABLE_CONNECT_PROTOCOL advertised' },
    { id: 'H2.2', title: 'extended CONNECT without sec-websocket-version' },
    { id: 'H2.3', title: 'extended CONNECT with sec-websocket-version 8' },
    { id: 'H2.4', title: ':protocol other than websocket (501)' },
  ];
  if (!target.h2Port) {
    return [
      ...all.map((c) => ({
        ...c,
        group: g,
        result: 'UNSUPPORTED' as const,
        reason: 'no WebSockets over HTTP/2',
      })),
      ...subset.map((c) => ({
        id: `H2/${c.id}`,
        group: g,
        title: c.title,
        result: 'UNSUPPORTED' as const,
        reason: 'no WebSockets over HTTP/2',
      })),
    ];
  }
  const session = http2.connect(`http://${target.host}:${target.h2Port}`);
  session.on('error', () => {});
  const settings = await new Promise<http2.Settings | null>((resolve) => {
    session.once('remoteSettings', resolve);
    setTimeout(() => resolve(null), 3000);
  });
  const out: Outcome[] = [];
  const enabled = settings?.enableConnectProtocol === true;
  out.push({
    ...all[0]!,
    group: g,
    result: enabled ? 'PASS' : 'FAIL',
    reason: enabled ? '' : 'not advertised',
  });
  // `precise`: the status the RFCs name; another 4xx is then tolerated (NON-STRICT).
  const refusal = async (
    id: string,
    title: string,
    extra: Record<string, string | undefined>,
    needVersion: boolean,
    precise?: { status: number; rfc: string },
  ) => {
    const r = await h2Open(session, target, extra);
    if ('error' in r)
      out.push({
        id,
        group: g,
        title,
        result: 'NON-STRICT',
        reason: `stream reset instead of a 4xx (${r.error})`,
      });
    else {
      r.stream.close(http2.constants.NGHTTP2_CANCEL);
      if (precise !== undefined) {
        const exact = r.status === precise.status;
        const refused = r.status >= 400 && r.status < 600;
        out.push({
          id,
          group: g,
          title,
          result: exact ? 'PASS' : refused ? 'NON-STRICT' : 'FAIL',
          reason: exact
            ? ''
            : refused
              ? `answered ${r.status}, ${precise.rfc} says ${precise.status}`
              : `answered ${r.status}`,
        });
        return;
      }
      const ok = r.status >= 400 && r.status < 500;
      const versionOk = !needVersion || r.headers['sec-websocket-version'] === '13';
      out.push({
        id,
        group: g,
        title,
        result: ok ? (versionOk ? 'PASS' : 'NON-STRICT') : 'FAIL',
        reason: ok ? (versionOk ? '' : 'no sec-websocket-version: 13') : `answered ${r.status}`,
      });
    }
  };
  await refusal('H2.2', all[1]!.title, { 'sec-websocket-version': undefined }, false);
  await refusal('H2.3', all[2]!.title, { 'sec-websocket-version': '8' }, true);
  // RFC 8441 names no status for an unknown :protocol; RFC 9220 §3 (the same extended CONNECT
  // semantics over HTTP/3) says 501 (Not Implemented).
  await refusal('H2.4', all[3]!.title, { ':protocol': 'x-not-websocket' }, false, {
    status: 501,
    rfc: 'RFC 9220 §3',
  });
  for (const c of subset) {
    const base = { id: `H2/${c.id}`, group: g, title: c.title };
    const r = await h2Open(
      session,
      target,
      c.deflate ? { 'sec-websocket-extensions': formatDeflate(c.deflate) } : {},
    );
    if ('error' in r || r.status !== 200) {
      out.push({ ...base, result: 'FAIL', reason: 'error' in r ? r.error : `status ${r.status}` });
      continue;
    }
    let deflate: FuzzDeflate | null = null;
    if (c.deflate) {
      const pmd = parseExtensions(String(r.headers['sec-websocket-extensions'] ?? '')).find(
        (e) => e.name === 'permessage-deflate',
      );
      const agreement = pmd ? agreementOf(pmd) : 'declined';
      if (typeof agreement === 'string') {
        r.stream.close();
        out.push({ ...base, result: 'UNSUPPORTED', reason: `permessage-deflate ${agreement}` });
        continue;
      }
      deflate = new FuzzDeflate('client', agreement);
    }
    // Bounded: an h2 stream whose flow-control window never opens must not hang the run.
    const limit = (c.timeout ?? 2000) + 10_000;
    let timer: NodeJS.Timeout | undefined;
    const obs = await Promise.race([
      playCase(r.stream, Buffer.alloc(0), 'client', c, deflate),
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), limit);
      }),
    ]);
    clearTimeout(timer);
    if (!obs) {
      r.stream.destroy();
      out.push({ ...base, result: 'FAIL', reason: `no progress within ${limit / 1000} s` });
      continue;
    }
    // Role 'server' in the verdict: on h2 there is no TCP close to expect of the server.
    out.push({ ...base, ...verdict(c, obs, 'server') });
  }
  session.destroy();
  return out;
}
