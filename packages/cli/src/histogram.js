// A latency histogram with logarithmic buckets: bucket i holds values in
// [GROWTH^(i-1), GROWTH^i) microseconds, so every percentile is exact to 1% and memory is a
// fixed ~2,000 counters however many values are recorded. Min and max are kept exactly.

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Up to 1e9 µs (1000 s); larger values land in the last bucket. */
const BUCKETS = Math.ceil(Math.log(1e9) / LOG_GROWTH) + 2;

export class LatencyHistogram {
  counts = new Float64Array(BUCKETS);
  total = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  /** Records one value in milliseconds. */
  record(ms) {
    const us = ms * 1000;
    const index = us < 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(us) / LOG_GROWTH) + 1);
    this.counts[index]++;
    this.total++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /** The value (ms) at or below which `p` percent of the values lie (0 when empty). */
  percentile(p) {
    if (this.total === 0) return 0;
    const rank = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        // The bucket's upper bound, never above the exact maximum.
        return Math.min(this.max, GROWTH ** i / 1000);
      }
    }
    return this.max;
  }

  /** min, mean, p50, p90, p99, p99.9, max in ms (3 decimals). */
  summary() {
    const r = (n) => Number(n.toFixed(3));
    return {
      min: r(this.total === 0 ? 0 : this.min),
      mean: r(this.total === 0 ? 0 : this.sum / this.total),
      p50: r(this.percentile(50)),
      p90: r(this.percentile(90)),
      p99: r(this.percentile(99)),
      p999: r(this.percentile(99.9)),
      max: r(this.max),
    };
  }

  /** Text rows: counts per power-of-two range of milliseconds, with bars. */
  render(width = 40) {
    if (this.total === 0) return [];
    const rows = [];
    let low = 2 ** Math.floor(Math.log2(Math.max(this.min, 0.001)));
    while (low <= this.max) {
      const high = low * 2;
      let n = 0;
      for (let i = 0; i < BUCKETS; i++) {
        const upper = GROWTH ** i / 1000;
        if (upper > low && upper <= high) n += this.counts[i];
      }
      rows.push([low, high, n]);
      low = high;
    }
    const most = Math.max(...rows.map((row) => row[2]));
    return rows.map(([lo, hi, n]) => {
      const bar = '#'.repeat(Math.round((n / most) * width));
      return `  ${lo.toPrecision(3).padStart(8)} - ${hi.toPrecision(3).padEnd(8)} ms | ${bar.padEnd(width)} ${n}`;
    });
  }
}
