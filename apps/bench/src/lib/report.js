// Small timing helpers shared by the benchmarks: run a function in batches until a time
// budget is spent, repeat, report the median rate. Plain ESM, Node only.
//
// Time is this process's CPU time (user + system, from process.cpuUsage), not wall time:
// on a machine shared with other work, wall time counts the periods the process was not
// even running, and rates swing by 3x from run to run; CPU time does not.

/** Median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Calls `fn(iterations)` (which should do `iterations` units of work) in growing batches until
 * `ms` milliseconds pass; repeats `repeats` times after one warm-up and returns the median
 * rate in units per second.
 */
export function measure(fn, { ms = 300, repeats = 5 } = {}) {
  const rates = [];
  let batch = 1;
  // Warm-up and batch sizing: aim for batches of ~10 ms.
  for (;;) {
    const t0 = cpuMs();
    fn(batch);
    if (cpuMs() - t0 > 10 || batch >= 1 << 24) break;
    batch *= 2;
  }
  for (let r = 0; r < repeats; r++) rates.push(rateFor(fn, batch, ms));
  return median(rates);
}

/** `1.23M`, `45.6k`, `789`. */
export function formatRate(rate) {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(2)}M`;
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)}k`;
  return rate.toFixed(0);
}

/** Bytes per second as GB/s. */
export function formatBandwidth(bytesPerSecond) {
  return `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
}

/** Prints rows as an aligned table; `rows` are arrays of strings, the first is the header. */
export function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [n, row] of rows.entries()) {
    console.log(
      row
        .map((cell, i) => String(cell).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/** Command-line flag helper: `--quick` shortens every measurement. */
export function options(argv = process.argv) {
  const quick = argv.includes('--quick');
  return { quick, ms: quick ? 120 : 300, repeats: quick ? 3 : 5 };
}

function batchSize(fn) {
  let batch = 1;
  for (;;) {
    const t0 = cpuMs();
    fn(batch);
    if (cpuMs() - t0 > 5 || batch >= 1 << 24) return batch;
    batch *= 2;
  }
}

/** CPU milliseconds used by this process so far. */
export function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function rateFor(fn, batch, ms) {
  let done = 0;
  const t0 = cpuMs();
  let elapsed = 0;
  while (elapsed < ms) {
    fn(batch);
    done += batch;
    elapsed = cpuMs() - t0;
  }
  return (done / elapsed) * 1000;
}

/**
 * Measures two implementations of the same work in alternating rounds (A B, B A, A B …), so
 * that load from other processes hits both alike. `a(n)` and `b(n)` do `n` units of work.
 * Returns the median rate of each (units/s) and the median of the per-round ratios b/a.
 */
export function compare(a, b, { ms = 300, repeats = 5 } = {}) {
  const batchA = batchSize(a);
  const batchB = batchSize(b);
  const ratesA = [];
  const ratesB = [];
  const ratios = [];
  for (let round = 0; round < repeats; round++) {
    let rateA;
    let rateB;
    if (round % 2 === 0) {
      rateA = rateFor(a, batchA, ms);
      rateB = rateFor(b, batchB, ms);
    } else {
      rateB = rateFor(b, batchB, ms);
      rateA = rateFor(a, batchA, ms);
    }
    ratesA.push(rateA);
    ratesB.push(rateB);
    ratios.push(rateB / rateA);
  }
  return { a: median(ratesA), b: median(ratesB), ratio: median(ratios) };
}
