// A small live line chart on a <canvas>: two series (messages/s and round-trip ms), each
// scaled to its own maximum over the window, newest sample on the right.

/** Keeps the last `size` samples of each series and draws them. */
export class LiveChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ label: string, color: string, unit: string }[]} series
   * @param {number} [size] samples kept (default 60)
   */
  constructor(canvas, series, size = 60) {
    this.canvas = canvas;
    this.series = series.map((s) => ({ ...s, values: [] }));
    this.size = size;
  }

  /** Appends one sample per series (null: no value this time) and redraws. */
  push(...values) {
    this.series.forEach((s, i) => {
      s.values.push(values[i] ?? null);
      if (s.values.length > this.size) s.values.shift();
    });
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const ratio = globalThis.devicePixelRatio || 1;
    const width = canvas.clientWidth || canvas.width;
    const height = canvas.clientHeight || canvas.height;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = '#222b40';
    ctx.lineWidth = 1;
    for (let y = 0.25; y < 1; y += 0.25) {
      ctx.beginPath();
      ctx.moveTo(0, Math.round(height * y) + 0.5);
      ctx.lineTo(width, Math.round(height * y) + 0.5);
      ctx.stroke();
    }
    const step = width / (this.size - 1);
    ctx.font = '11px system-ui, sans-serif';
    this.series.forEach((s, index) => {
      const present = s.values.filter((v) => v !== null);
      const max = Math.max(1e-9, ...present) * 1.15;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      let drawing = false;
      const offset = this.size - s.values.length;
      s.values.forEach((v, i) => {
        if (v === null) {
          drawing = false;
          return;
        }
        const x = (offset + i) * step;
        const y = height - 4 - (v / max) * (height - 18);
        if (drawing) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        drawing = true;
      });
      ctx.stroke();
      ctx.fillStyle = s.color;
      const top = present.length > 0 ? Math.max(...present) : 0;
      ctx.fillText(`${s.label} (max ${formatNumber(top)} ${s.unit})`, 6 + index * 190, 12);
    });
  }
}

/** 1234.5 -> "1.23k", 0.4567 -> "0.457". */
export function formatNumber(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (n >= 100) return n.toFixed(0);
  return n.toPrecision(3).replace(/\.?0+$/, '');
}
