// The latency distributions of a bench run as one SVG: a horizontal bar per latency row (unit ms,
// more than one sample), p50 → p99 as a box, p99 → p99.9 as a whisker, markers at each, on a
// log-scale millisecond axis. Floors are drawn in grey so each measurement sits next to its floor.
// Rows with fewer than 3 samples are left out. Hand-written SVG, no dependencies: it opens in any
// browser or in a GitHub markdown view.

import type { Row } from './stats';

const WIDTH = 1200;
const LABEL_W = 470;
const PLOT_L = LABEL_W + 10;
const PLOT_R = WIDTH - 150;
const TOP = 70;
const ROW_H = 24;

export function latencyChart(rows: Row[], title: string): string {
  const bars = rows.filter((r) => r.unit === 'ms' && r.n >= 3 && [r.p50, r.p99, r.p999].every((x) => Number.isFinite(x) && x > 0));
  const height = TOP + Math.max(1, bars.length) * ROW_H + 50;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="600">${esc(title)}</text>`,
    legend(),
  ];
  if (bars.length === 0) {
    out.push(`<text x="10" y="${TOP + 16}">no latency rows</text>`, '</svg>');
    return out.join('\n');
  }
  const lo = 10 ** Math.floor(Math.log10(Math.min(...bars.map((r) => r.p50))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...bars.map((r) => r.p999))));
  const span = Math.log10(hi) - Math.log10(lo) || 1;
  const x = (v: number) => PLOT_L + ((Math.log10(v) - Math.log10(lo)) / span) * (PLOT_R - PLOT_L);
  const bottom = TOP + bars.length * ROW_H;

  // Grid: 1, 2, 5 × 10^k, labelled at the powers of ten.
  for (let decade = lo; decade < hi * 1.001; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v > hi * 1.001) break;
      const gx = x(v).toFixed(1);
      out.push(`<line x1="${gx}" y1="${TOP - 6}" x2="${gx}" y2="${bottom}" stroke="${m === 1 ? '#bbb' : '#e6e6e6'}"/>`);
      out.push(`<text x="${gx}" y="${bottom + 16}" text-anchor="middle" fill="${m === 1 ? '#333' : '#999'}">${ms(v)}</text>`);
    }
  }
  out.push(`<text x="${(PLOT_L + PLOT_R) / 2}" y="${bottom + 36}" text-anchor="middle" fill="#333">milliseconds (log scale)</text>`);

  bars.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    const mid = y + ROW_H / 2;
    const floor = r.name.startsWith('floor');
    const [box, ink] = floor ? ['#d4d4d4', '#555'] : ['#9ecae1', '#08519c'];
    if (i % 2 === 1) out.push(`<rect x="0" y="${y}" width="${WIDTH}" height="${ROW_H}" fill="#f7f7f7"/>`);
    const label = r.name.length > 78 ? `${r.name.slice(0, 76)}…` : r.name;
    out.push(`<text x="${LABEL_W}" y="${mid + 4}" text-anchor="end" fill="#222"><title>${esc(`${r.name}: p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, p99.9 ${ms(r.p999)} ms, n=${r.n}${r.vsFloor ? `, ${r.vsFloor.ratio.toFixed(2)}× ${r.vsFloor.floor}` : ''}`)}</title>${esc(label)}</text>`);
    const [a, b, c] = [x(r.p50), x(r.p99), x(r.p999)];
    out.push(`<line x1="${b.toFixed(1)}" y1="${mid}" x2="${c.toFixed(1)}" y2="${mid}" stroke="${ink}" stroke-width="1.5"/>`);
    out.push(`<rect x="${a.toFixed(1)}" y="${mid - 6}" width="${Math.max(1, b - a).toFixed(1)}" height="12" fill="${box}" stroke="${ink}" stroke-width="0.8"/>`);
    out.push(`<line x1="${a.toFixed(1)}" y1="${mid - 8}" x2="${a.toFixed(1)}" y2="${mid + 8}" stroke="${ink}" stroke-width="3"/>`);
    out.push(`<line x1="${b.toFixed(1)}" y1="${mid - 6}" x2="${b.toFixed(1)}" y2="${mid + 6}" stroke="${ink}" stroke-width="1.5"/>`);
    out.push(`<circle cx="${c.toFixed(1)}" cy="${mid}" r="3" fill="#fff" stroke="${ink}" stroke-width="1.5"/>`);
    const ratio = r.vsFloor && Number.isFinite(r.vsFloor.ratio) ? ` · ${r.vsFloor.ratio.toFixed(1)}× floor` : '';
    out.push(`<text x="${(c + 6).toFixed(1)}" y="${mid + 4}" fill="#666" font-size="10">${ms(r.p50)} / ${ms(r.p99)} / ${ms(r.p999)}${ratio}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function legend(): string {
  const y = 44;
  return [
    `<g transform="translate(${PLOT_L}, ${y})" fill="#333">`,
    `<line x1="0" y1="-8" x2="0" y2="8" stroke="#08519c" stroke-width="3"/><text x="6" y="4">p50</text>`,
    `<rect x="40" y="-6" width="40" height="12" fill="#9ecae1" stroke="#08519c" stroke-width="0.8"/><text x="86" y="4">p50 → p99</text>`,
    `<line x1="160" y1="0" x2="190" y2="0" stroke="#08519c" stroke-width="1.5"/><circle cx="190" cy="0" r="3" fill="#fff" stroke="#08519c" stroke-width="1.5"/><text x="198" y="4">p99 → p99.9</text>`,
    `<rect x="290" y="-6" width="30" height="12" fill="#d4d4d4" stroke="#555" stroke-width="0.8"/><text x="326" y="4">floor</text>`,
    `<text x="380" y="4" fill="#666">numbers: p50 / p99 / p99.9 ms</text>`,
    '</g>',
  ].join('');
}

function ms(v: number): string {
  if (v >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
  if (v >= 10) return v.toFixed(0);
  if (v >= 1) return +v.toFixed(1) + '';
  return +v.toPrecision(2) + '';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
