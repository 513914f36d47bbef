// Small multiples: one inline-SVG sparkline per metric path (its own scale), newest value and range
// alongside. Only the datapoints that encoded are drawn.
import { esc } from './hexdump.mjs';

const W = 200;
const H = 40;
const PAD = 3;
export const MAX_SERIES = 8;

const fmt = (v) => (Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(+v.toFixed(3)));

/** @param {Array<{path, timestamp, value}>} points @returns {string} HTML */
export function chartHtml(points) {
  const series = new Map();
  for (const p of points) {
    if (!series.has(p.path)) series.set(p.path, []);
    series.get(p.path).push(p);
  }
  if (series.size === 0) return '<p class="muted">No datapoints to draw yet.</p>';
  const out = [];
  let n = 0;
  for (const [path, pts] of series) {
    if (n++ === MAX_SERIES) break;
    // Points sorted by time (stable: equal timestamps keep their order, as carbon would overwrite them).
    const s = pts.map((p, i) => [p.timestamp, p.value, i]).sort((a, b) => a[0] - b[0] || a[2] - b[2]);
    const t0 = s[0][0];
    const t1 = s[s.length - 1][0];
    let lo = Infinity;
    let hi = -Infinity;
    for (const [, v] of s) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const x = (t) => (t1 === t0 ? W / 2 : PAD + ((t - t0) / (t1 - t0)) * (W - 2 * PAD));
    const y = (v) => (hi === lo ? H / 2 : H - PAD - ((v - lo) / (hi - lo)) * (H - 2 * PAD));
    const xy = s.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    const last = s[s.length - 1];
    const dots = s.length <= 24 ? s.map(([t, v]) => `<circle cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="1.8"/>`).join('') : '';
    out.push(
      `<figure class="spark" data-path="${esc(path)}">` +
        `<figcaption><span class="path" title="${esc(path)}">${esc(path)}</span><span class="last">${esc(fmt(last[1]))}</span></figcaption>` +
        `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(`${path}: ${s.length} points`)}">` +
        `<polyline points="${xy.join(' ')}"/>${dots}</svg>` +
        `<div class="range">${s.length} pt · ${esc(fmt(lo))} … ${esc(fmt(hi))}</div>` +
        `</figure>`,
    );
  }
  if (series.size > MAX_SERIES) out.push(`<p class="muted">+ ${series.size - MAX_SERIES} more paths</p>`);
  return out.join('');
}
