// The writers of `npm run bench` (run.js): apps/bench/RESULTS.md (machine, versions, the
// ratio table, how each figure was taken, the raw output) and the SVG chart of the ratios
// the root README shows. Pure functions of a report object (no I/O, no clock), so a unit
// test checks them on fixed input. Hand-written SVG, no dependency.
//
// A report: { title, date, machine: [[label, value]...], notes: [string], sections: [
//   { name, how, command, raw, error, rows: [row] } ] }
// A row: { id, title, unit, higherIsBetter (default true), values: { strata, ws, bun, ... },
//   ratio (Strata / ws as measured), bunRatio (Bun / ws), extra (string: other ratios),
//   goal (text), goalMet (true / false / null), chart (default true) }

/** Median of numbers (null for none). */
export function median(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** The median of per-round ratios a[i] / b[i] (rounds taken side by side). */
export function medianRatio(a, b) {
  const ratios = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (typeof a[i] === 'number' && typeof b[i] === 'number' && b[i] !== 0)
      ratios.push(a[i] / b[i]);
  }
  return median(ratios);
}

/**
 * How many times better than `ws` a ratio is: the ratio itself where more is better, its
 * inverse where less is better (memory, bytes). Null when unknown.
 */
export function advantage(ratio, higherIsBetter = true) {
  if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0) return null;
  return higherIsBetter ? ratio : 1 / ratio;
}

/** `1.23M`, `45.6k`, `789`, `0.42`. */
export function formatValue(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** `1.23x` (or `—`). */
export function formatRatio(ratio) {
  return typeof ratio === 'number' && Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '—';
}

function cell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function goalCell(row) {
  if (!row.goal) return '';
  const mark = row.goalMet === true ? ' ✔' : row.goalMet === false ? ' ✘' : '';
  return `${row.goal}${mark}`;
}

/** The ratio table (Markdown) of every row of every section. */
export function ratioTable(sections) {
  const lines = [
    '| scenario | unit | Strata | ws | Bun | Strata / ws | Bun / ws | other | goal |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const section of sections) {
    for (const row of section.rows ?? []) {
      const v = row.values ?? {};
      const lower = row.higherIsBetter === false ? ' (lower is better)' : '';
      lines.push(
        `| ${cell(row.title)} | ${cell(`${row.unit ?? ''}${lower}`)} | ${formatValue(v.strata)} | ${formatValue(v.ws)} | ${formatValue(v.bun)} | **${formatRatio(row.ratio)}** | ${formatRatio(row.bunRatio)} | ${cell(row.extra ?? '')} | ${cell(goalCell(row))} |`,
      );
    }
  }
  return lines.join('\n');
}

/** RESULTS.md: title, machine, the table, the chart, how each section was taken, raw output. */
export function renderResultsMarkdown(report, { chartFile = 'results.svg' } = {}) {
  const out = [`# ${report.title ?? 'Strata benchmark results'}`, ''];
  out.push(
    `Written by \`npm run bench\` (apps/bench/src/run.js) on ${report.date}. Every ratio is Strata ÷ \`ws\` (with \`bufferutil\`) or Bun ÷ \`ws\`, taken in the same run with the servers side by side and the rounds interleaved; where a section says so, the ratio is the median of per-round ratios.`,
    '',
  );
  out.push('## Machine', '', '| | |', '| --- | --- |');
  for (const [label, value] of report.machine ?? [])
    out.push(`| ${cell(label)} | ${cell(value)} |`);
  out.push('');
  if (report.notes?.length) {
    for (const note of report.notes) out.push(`- ${note}`);
    out.push('');
  }
  out.push('## Ratios', '', ratioTable(report.sections ?? []), '');
  out.push(
    `![Strata and Bun against ws, times better (log scale)](${chartFile})`,
    '',
    'The chart shows how many times better than `ws` each server is: the ratio where more is better, its inverse where less is better (memory).',
    '',
  );
  out.push('## How each was taken', '');
  for (const section of report.sections ?? []) {
    out.push(`### ${section.name}`, '');
    if (section.command) out.push(`\`${section.command}\``, '');
    if (section.how) out.push(section.how, '');
    if (section.error) out.push(`**Failed:** ${section.error}`, '');
    if (section.raw) {
      out.push(
        '<details><summary>output</summary>',
        '',
        '```text',
        section.raw.replace(/```/g, "'''").trimEnd(),
        '```',
        '',
        '</details>',
        '',
      );
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function escapeXml(text) {
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * The chart: one group per row, a bar for Strata and one for Bun, each from 1x (`ws`) to its
 * advantage on a log2 scale (left of the 1x line: worse than ws). Rows without a ratio or
 * with `chart: false` are left out.
 */
export function renderRatioChart(
  sections,
  { width = 760, title = 'Times better than ws (log scale)' } = {},
) {
  const rows = [];
  for (const section of sections) {
    for (const row of section.rows ?? []) {
      if (row.chart === false) continue;
      const strata = advantage(row.ratio, row.higherIsBetter !== false);
      const bun = advantage(row.bunRatio, row.higherIsBetter !== false);
      if (strata === null && bun === null) continue;
      rows.push({ label: row.title, strata, bun });
    }
  }
  const labelWidth = 300;
  const plotLeft = labelWidth + 10;
  const plotWidth = width - plotLeft - 60;
  const rowHeight = 34;
  const top = 50;
  const height = top + rows.length * rowHeight + 40;
  const all = rows.flatMap((r) => [r.strata, r.bun]).filter((x) => x !== null);
  const minLog = Math.min(-1, Math.floor(Math.log2(Math.min(...all, 1))));
  const maxLog = Math.max(2, Math.ceil(Math.log2(Math.max(...all, 1))));
  const x = (value) => plotLeft + ((Math.log2(value) - minLog) / (maxLog - minLog)) * plotWidth;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12" role="img" aria-labelledby="chart-title">`,
    `<title id="chart-title">${escapeXml(title)}: Strata and Bun against ws</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<rect x="${plotLeft}" y="30" width="10" height="10" fill="#2563eb"/><text x="${plotLeft + 14}" y="39">Strata</text>`,
    `<rect x="${plotLeft + 70}" y="30" width="10" height="10" fill="#9ca3af"/><text x="${plotLeft + 84}" y="39">Bun</text>`,
  ];
  for (let e = minLog; e <= maxLog; e++) {
    const gx = x(2 ** e).toFixed(1);
    const label = e >= 0 ? `${2 ** e}x` : `1/${2 ** -e}x`;
    parts.push(
      `<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 30}" stroke="${e === 0 ? '#111827' : '#e5e7eb'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`,
      `<text x="${gx}" y="${height - 14}" text-anchor="middle" fill="#374151">${label}</text>`,
    );
  }
  const one = x(1);
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    parts.push(
      `<text x="${labelWidth}" y="${y + 17}" text-anchor="end" fill="#111827">${escapeXml(row.label.length > 48 ? `${row.label.slice(0, 47)}…` : row.label)}</text>`,
    );
    for (const [k, value, color, dy] of [
      ['strata', row.strata, '#2563eb', 4],
      ['bun', row.bun, '#9ca3af', 18],
    ]) {
      if (value === null) continue;
      const end = x(Math.min(Math.max(value, 2 ** minLog), 2 ** maxLog));
      const left = Math.min(one, end);
      const w = Math.max(1, Math.abs(end - one));
      parts.push(
        `<rect class="${k}" x="${left.toFixed(1)}" y="${y + dy}" width="${w.toFixed(1)}" height="12" fill="${color}"/>`,
        `<text x="${(Math.max(one, end) + 4).toFixed(1)}" y="${y + dy + 10}" font-size="10" fill="#374151">${value.toFixed(2)}x</text>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
