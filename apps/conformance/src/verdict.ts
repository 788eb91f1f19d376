/**
 * Judges an observation against a case's expectation: PASS, NON-STRICT (tolerated, not what the
 * RFC prefers), or FAIL, with a reason. Pure; no I/O.
 */
import type { Case, Msg, Result } from './cases/types.js';
import type { Observation } from './runner.js';

/** A short description of a message for reasons. */
export function describe(m: Msg | undefined): string {
  if (!m) return 'nothing';
  const preview =
    m.data.length <= 24
      ? m.type === 'binary'
        ? `0x${m.data.toString('hex')}`
        : JSON.stringify(m.data.toString('utf8'))
      : `${m.data.length} bytes`;
  return `${m.type} ${preview}`;
}

const same = (a: Msg, b: Msg) => a.type === b.type && a.data.equals(b.data);

/**
 * Compares received messages with the expected ones; null when they match. Data messages and
 * pongs are compared as two sequences: a pong (protocol level) may overtake an echo
 * (application level) or follow it.
 */
function mismatch(got: Msg[], want: Msg[]): string | null {
  for (const pongs of [false, true]) {
    const g = got.filter((m) => (m.type === 'pong') === pongs);
    const w = want.filter((m) => (m.type === 'pong') === pongs);
    for (let i = 0; i < Math.max(g.length, w.length); i++) {
      if (!g[i] || !w[i] || !same(g[i] as Msg, w[i] as Msg))
        return `${pongs ? 'pong' : 'message'} ${i + 1}: expected ${describe(w[i])}, got ${describe(g[i])} (${g.length}/${w.length} received)`;
    }
  }
  return null;
}

function sameMultiset(got: Msg[], want: Msg[]): boolean {
  if (got.length !== want.length) return false;
  const left = [...want];
  for (const g of got) {
    const i = left.findIndex((w) => same(g, w));
    if (i < 0) return false;
    left.splice(i, 1);
  }
  return true;
}

const closeText = (obs: Observation) =>
  obs.close
    ? `close ${obs.close.code}${obs.close.reason ? ` "${obs.close.reason}"` : ''}`
    : 'no close frame';

/** The verdict for one case. */
export function verdict(
  c: Case,
  obs: Observation,
  role: 'client' | 'server',
): { result: Result; reason: string } {
  if (obs.violations.length > 0)
    return { result: 'FAIL', reason: obs.violations.slice(0, 3).join('; ') };
  const expect = c.expect;
  if ('echo' in expect) {
    const earlyClose = obs.close && !obs.close.afterOurs && !expect.closed;
    if (earlyClose)
      return {
        result: 'FAIL',
        reason: `failed the connection (${closeText(obs)}) after ${obs.messages.length}/${expect.echo.length} expected messages`,
      };
    const diff = mismatch(obs.messages, expect.echo);
    if (diff) {
      if (sameMultiset(obs.messages, expect.echo))
        return { result: 'NON-STRICT', reason: 'messages and pongs in another order' };
      if (obs.ended && !obs.close)
        return { result: 'FAIL', reason: `dropped the connection without a close frame; ${diff}` };
      return { result: 'FAIL', reason: diff };
    }
    if (!obs.close)
      return obs.ended
        ? { result: 'NON-STRICT', reason: 'closed TCP without answering the close frame' }
        : { result: 'FAIL', reason: 'no answer to the close frame' };
    const reply = expect.reply ?? [1000];
    if (!reply.includes(obs.close.code))
      return {
        result: 'FAIL',
        reason: `answered the close frame with ${obs.close.code}, expected ${reply.join(' or ')}`,
      };
    if (role === 'client' && !obs.peerEndedFirst)
      return {
        result: 'NON-STRICT',
        reason: 'server did not close TCP first after the closing handshake (RFC 6455 §7.1.1)',
      };
    return { result: 'PASS', reason: '' };
  }
  const before = expect.before ?? [];
  if (obs.gaveUp || (!obs.close && !obs.ended)) {
    if (expect.lenient && mismatch(obs.messages, expect.lenient) === null)
      return {
        result: 'NON-STRICT',
        reason: `accepted it (RFC: fail with ${expect.fail.join('/')})`,
      };
    return {
      result: 'FAIL',
      reason: `did not fail the connection within ${c.timeout ?? 2000} ms${obs.messages.length ? `; sent ${describe(obs.messages.at(-1))}` : ''}`,
    };
  }
  const prefix = before.slice(0, obs.messages.length);
  if (obs.messages.length > before.length || mismatch(obs.messages, prefix) !== null) {
    const bad = obs.messages.find((m, i) => !before[i] || !same(m, before[i] as Msg));
    return {
      result: 'FAIL',
      reason: `processed data it had to refuse (sent ${describe(bad)}) before ${closeText(obs)}`,
    };
  }
  const tolerated =
    obs.close !== undefined &&
    !expect.fail.includes(obs.close.code) &&
    (expect.tolerate ?? []).includes(obs.close.code);
  if (obs.close && !obs.close.afterOurs && !expect.fail.includes(obs.close.code) && !tolerated)
    return {
      result: 'FAIL',
      reason: `failed with ${obs.close.code}, expected ${expect.fail.join(' or ')}`,
    };
  const notes: string[] = [];
  let result: Result = 'PASS';
  if (tolerated) {
    result = 'NON-STRICT';
    notes.push(`failed with ${obs.close?.code}; ${expect.fail.join(' or ')} is the precise code`);
  }
  if (!obs.close) {
    result = 'NON-STRICT';
    notes.push('dropped TCP without a close frame');
  }
  if (expect.fastBy && obs.marks[expect.fastBy] === false) {
    result = 'NON-STRICT';
    notes.push(
      'failed only after the rest of the data arrived, not as soon as the invalid bytes were seen (RFC 6455 §8.1 fail-fast)',
    );
  }
  // A client under test is excused: a WHATWG client dispatches messages in later tasks, and once
  // it has failed the connection its send() is a no-op, so an echo cannot be required of it.
  if (obs.messages.length < before.length && role === 'client') {
    result = 'NON-STRICT';
    notes.push('failed before echoing the valid messages that preceded the violation');
  }
  return { result, reason: notes.join('; ') };
}
