/**
 * REPORT.md: one row per implementation and direction with PASS / NON-STRICT / FAIL /
 * UNSUPPORTED counts per case group, every non-PASS with its reason, the interop exchange
 * matrix, the WPT-derived API cases, and the behaviour notes (with their evidence).
 */
import type { Outcome, Result } from './cases/types.js';

/** One implementation in one direction. */
export interface Row {
  /** e.g. `strata+deflate`, `chromium 139`. */
  impl: string;
  /** `server`: the implementation is the server (fuzzing client); `client`: the reverse. */
  role: 'server' | 'client';
  outcomes: Outcome[];
  /** Why the row could not run, if it could not. */
  skipped?: string;
  seconds?: number;
}

/** One cell of the exchange matrix. */
export interface ExchangeCell {
  client: string;
  server: string;
  compression: boolean;
  ok: boolean;
  detail: string;
}

/** The WPT-derived cases of one client API. */
export interface WptRow {
  api: string;
  results: { name: string; file: string; ok: boolean; error?: string }[];
}

const RESULTS: Result[] = ['PASS', 'NON-STRICT', 'FAIL', 'UNSUPPORTED'];

/** Counts by result. */
export function tally(outcomes: Outcome[]): Record<Result, number> {
  const t = { PASS: 0, 'NON-STRICT': 0, FAIL: 0, UNSUPPORTED: 0 } as Record<Result, number>;
  for (const o of outcomes) t[o.result]++;
  return t;
}

function groupsOf(rows: Row[]): string[] {
  const seen: string[] = [];
  for (const row of rows)
    for (const o of row.outcomes) if (!seen.includes(o.group)) seen.push(o.group);
  return seen;
}

const cell = (t: Record<Result, number>) =>
  t.PASS + t['NON-STRICT'] + t.FAIL + t.UNSUPPORTED === 0
    ? '–'
    : `${t.PASS}/${t['NON-STRICT']}/${t.FAIL}/${t.UNSUPPORTED}`;
const shortGroup = (g: string) => g.split(' ')[0];

/** Non-PASS outcomes with the same result and reason, folded into one line. */
function details(outcomes: Outcome[]): string[] {
  const lines: string[] = [];
  for (const result of ['FAIL', 'NON-STRICT', 'UNSUPPORTED'] as Result[]) {
    const byReason = new Map<string, Outcome[]>();
    for (const o of outcomes) {
      if (o.result !== result) continue;
      const key = `${o.reason}`;
      byReason.set(key, [...(byReason.get(key) ?? []), o]);
    }
    for (const [reason, list] of byReason) {
      const ids =
        list.length <= 6
          ? list.map((o) => `${o.id} (${o.title})`).join('; ')
          : `${list.length} cases: ${list.map((o) => o.id).join(', ')}`;
      lines.push(`- **${result}** ${ids} — ${reason || 'no reason recorded'}`);
    }
  }
  return lines;
}

/** Renders the whole report. */
export function renderReport(input: {
  rows: Row[];
  exchange: ExchangeCell[];
  wpt: WptRow[];
  notes: string[];
  generated: string;
  command: string;
  caseCounts: Record<string, number>;
}): string {
  const { rows } = input;
  const groups = groupsOf(rows);
  const out: string[] = [];
  out.push('# Strata conformance and interop report', '');
  out.push(
    `Generated ${input.generated} by \`${input.command}\` (apps/conformance). Cells are PASS/NON-STRICT/FAIL/UNSUPPORTED counts per case group. "server" rows: the implementation is the server, driven by the raw-socket fuzzing client; "client" rows: the implementation is the client, driven by the fuzzing server. Strata runs with default options (the +deflate rows enable permessage-deflate on the server; Strata's client offers it by default).`,
    '',
  );
  out.push('## Cases per group', '', '| group | cases |', '| --- | --- |');
  for (const [g, n] of Object.entries(input.caseCounts)) out.push(`| ${g} | ${n} |`);
  out.push('', '## Summary', '');
  out.push(`| implementation | role | ${groups.map(shortGroup).join(' | ')} | total P/N/F/U | s |`);
  out.push(`| --- | --- | ${groups.map(() => '---').join(' | ')} | --- | --- |`);
  for (const row of rows) {
    if (row.skipped) {
      out.push(
        `| ${row.impl} | ${row.role} | ${groups.map(() => '–').join(' | ')} | not run: ${row.skipped} | |`,
      );
      continue;
    }
    const cells = groups.map((g) => cell(tally(row.outcomes.filter((o) => o.group === g))));
    out.push(
      `| ${row.impl} | ${row.role} | ${cells.join(' | ')} | **${cell(tally(row.outcomes))}** | ${row.seconds ?? ''} |`,
    );
  }
  out.push('', `Groups: ${groups.join(' · ')}.`, '');
  out.push('## Behaviour notes', '', ...input.notes.map((n) => `- ${n}`), '');
  if (input.exchange.length > 0) {
    out.push(
      '## Interop exchange matrix',
      '',
      'Each client sends 9 messages (empty, small, 125/126 bytes, 64 KiB, 1-2 MiB text and binary) to each echo server, checks every echo, and closes with 1000.',
      '',
    );
    const servers = [...new Set(input.exchange.map((e) => e.server))];
    const clients = [...new Set(input.exchange.map((e) => e.client))];
    out.push(
      `| client \\ server | ${servers.flatMap((s) => [`${s}`, `${s} +deflate`]).join(' | ')} |`,
    );
    out.push(`| --- | ${servers.flatMap(() => ['---', '---']).join(' | ')} |`);
    for (const c of clients) {
      const cells = servers.flatMap((s) =>
        [false, true].map((z) => {
          const e = input.exchange.find(
            (x) => x.client === c && x.server === s && x.compression === z,
          );
          return e ? `${e.ok ? 'ok' : '**FAIL**'}${e.detail ? ` ${e.detail}` : ''}` : '–';
        }),
      );
      out.push(`| ${c} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  if (input.wpt.length > 0) {
    out.push(
      '## WebSocket API (cases written from the web-platform-tests `websockets/` names and assertions)',
      '',
    );
    for (const w of input.wpt) {
      const failed = w.results.filter((r) => !r.ok);
      out.push(`### ${w.api}: ${w.results.length - failed.length}/${w.results.length} pass`, '');
      for (const r of failed) out.push(`- **FAIL** ${r.file} — ${r.name}: ${r.error ?? ''}`);
      if (failed.length === 0) out.push('- all pass');
      out.push('');
    }
  }
  out.push('## Non-PASS results, by implementation', '');
  for (const row of rows) {
    if (row.skipped) continue;
    const lines = details(row.outcomes);
    out.push(`### ${row.impl} (${row.role})`, '', ...(lines.length ? lines : ['- all PASS']), '');
  }
  return `${out.join('\n')}\n`;
}

export { RESULTS };
