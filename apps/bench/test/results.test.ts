// The writers of `npm run bench` on fixed input: the ratio table, RESULTS.md and the SVG chart.
// No timing here (benchmarks are never run by tests).
import { describe, expect, it } from 'vitest';
import {
  advantage,
  formatRatio,
  formatValue,
  median,
  medianRatio,
  ratioTable,
  renderRatioChart,
  renderResultsMarkdown,
} from '../src/lib/results.js';

const sections = [
  {
    name: 'Server',
    command: 'node apps/bench/src/server-bench.js --json',
    how: 'interleaved runs',
    raw: 'strata 3.2M | ws 180k\n```inner fence```',
    rows: [
      {
        id: 'echo',
        title: '64 B echo',
        unit: 'msgs/s',
        values: { strata: 3_200_000, ws: 180_000, bun: 5_890_000 },
        ratio: 17.9,
        bunRatio: 32.7,
        goal: '≥ 10x ws',
        goalMet: true,
      },
      {
        id: 'idle',
        title: 'idle <memory> & more',
        unit: 'bytes',
        higherIsBetter: false,
        values: { strata: 1707, ws: 3090, bun: 798 },
        ratio: 0.5,
        bunRatio: 0.25,
        goal: '≤ 0.4x',
        goalMet: false,
      },
      { id: 'hidden', title: 'not charted', ratio: 2, chart: false },
      { id: 'none', title: 'no ratio', values: {} },
    ],
  },
  { name: 'External | script', error: 'exit 1', rows: [] },
];

describe('numbers', () => {
  it('medians and per-round ratios', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
    expect(median([null, 5, Number.NaN])).toBe(5);
    // Per-round ratios 2, 0.5, 4 → median 2 (not the ratio of medians, 1.5).
    expect(medianRatio([2, 1, 4], [1, 2, 1])).toBe(2);
    expect(medianRatio([1], [0])).toBeNull();
  });

  it('advantage inverts where less is better', () => {
    expect(advantage(2)).toBe(2);
    expect(advantage(0.5, false)).toBe(2);
    expect(advantage(null)).toBeNull();
    expect(advantage(0)).toBeNull();
  });

  it('formats values and ratios', () => {
    expect(formatValue(3_200_000)).toBe('3.20M');
    expect(formatValue(45_600)).toBe('45.6k');
    expect(formatValue(1707)).toBe('1707');
    expect(formatValue(12.345)).toBe('12.3');
    expect(formatValue(0.426)).toBe('0.43');
    expect(formatValue(undefined)).toBe('—');
    expect(formatRatio(1.234)).toBe('1.23x');
    expect(formatRatio(null)).toBe('—');
  });
});

describe('RESULTS.md', () => {
  it('has one table line per row with values, ratios and the goal mark', () => {
    const lines = ratioTable(sections).split('\n');
    expect(lines).toHaveLength(2 + 4);
    expect(lines[2]).toBe(
      '| 64 B echo | msgs/s | 3.20M | 180.0k | 5.89M | **17.90x** | 32.70x |  | ≥ 10x ws ✔ |',
    );
    expect(lines[3]).toContain(
      '| bytes (lower is better) | 1707 | 3090 | 798 | **0.50x** | 0.25x |',
    );
    expect(lines[3]).toContain('≤ 0.4x ✘');
    expect(lines[5]).toBe('| no ratio |  | — | — | — | **—** | — |  |  |');
  });

  it('writes machine, table, chart link, how each was taken and the raw output', () => {
    const md = renderResultsMarkdown(
      {
        date: '2026-12-06 17:30 UTC',
        machine: [
          ['Node', 'v20.20.2'],
          ['CPU', 'x | y'],
        ],
        notes: ['interleaved'],
        sections,
      },
      { chartFile: 'results.svg' },
    );
    expect(md.startsWith('# Strata benchmark results\n')).toBe(true);
    expect(md).toContain('on 2026-12-06 17:30 UTC');
    expect(md).toContain('| Node | v20.20.2 |');
    expect(md).toContain('| CPU | x \\| y |');
    expect(md).toContain('- interleaved');
    expect(md).toContain('](results.svg)');
    expect(md).toContain(
      '### Server\n\n`node apps/bench/src/server-bench.js --json`\n\ninterleaved runs',
    );
    expect(md).toContain('**Failed:** exit 1');
    // A fence inside the raw output cannot end the code block early.
    expect(md).toContain("'''inner fence'''");
    expect(md.match(/```/g)).toHaveLength(2);
    expect(md).toContain('</details>');
    expect(md.endsWith('**Failed:** exit 1\n')).toBe(true);
  });
});

describe('chart', () => {
  const svg = renderRatioChart(sections);

  it('is one SVG with a Strata and a Bun bar per charted row', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // An accessible name first (biome's a11y rule, screen readers).
    expect(svg.split('\n')[1]).toBe(
      '<title id="chart-title">Times better than ws (log scale): Strata and Bun against ws</title>',
    );
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/class="strata"/g)).toHaveLength(2);
    expect(svg.match(/class="bun"/g)).toHaveLength(2);
    expect(svg).not.toContain('not charted');
    expect(svg).not.toContain('no ratio');
  });

  it('escapes labels and shows the advantage (inverse where less is better)', () => {
    expect(svg).toContain('idle &lt;memory&gt; &amp; more');
    expect(svg).not.toContain('<memory>');
    expect(svg).toContain('>17.90x<');
    expect(svg).toContain('>2.00x<'); // idle: ws / Strata
    expect(svg).toContain('>4.00x<'); // idle: ws / Bun
  });

  it('draws bars from the 1x line: right when better than ws, left when worse', () => {
    const x1 = Number(/<line x1="([\d.]+)"[^>]*stroke="#111827"/.exec(svg)?.[1]);
    const bars = [...svg.matchAll(/<rect class="(\w+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)];
    for (const [, , x, width] of bars) {
      expect(Number(x)).toBeCloseTo(x1, 0);
      expect(Number(width)).toBeGreaterThan(0);
    }
    const worse = renderRatioChart([{ name: 's', rows: [{ title: 'slow', ratio: 0.5 }] }]);
    const [, x, width] =
      /<rect class="strata" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(worse) ?? [];
    const one = Number(/<line x1="([\d.]+)"[^>]*stroke="#111827"/.exec(worse)?.[1]);
    expect(Number(x) + Number(width)).toBeCloseTo(one, 0);
  });
});
