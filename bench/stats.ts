// Latency summaries for benchmark rows: nearest-rank percentiles over raw samples.

import { quantile } from '../src/core/latency';

export interface Row {
  name: string;
  unit: string;
  n: number;
  p50: number;
  p99: number;
  p999: number;
  /** Ratio of p50 to the floor row named in `floor`, measured in the same run. */
  vsFloor?: { floor: string; ratio: number };
  note?: string;
}

export function summarize(name: string, samples: number[], unit = 'ms', note?: string): Row {
  const s = [...samples].sort((a, b) => a - b);
  return { name, unit, n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99), p999: quantile(s, 0.999), note };
}

export function single(name: string, value: number, unit: string, note?: string): Row {
  return { name, unit, n: 1, p50: value, p99: value, p999: value, note };
}

/** A row whose measurement failed: NaN, with the reason in the note (the run goes on). */
export function failed(name: string, unit: string, reason: string): Row {
  return single(name, NaN, unit, `failed: ${reason.split('\n')[0]!.slice(0, 200)}`);
}

export function withFloor(row: Row, floor: Row | number, floorName: string): Row {
  const f = typeof floor === 'number' ? floor : floor.p50;
  return { ...row, vsFloor: { floor: floorName, ratio: f > 0 ? row.p50 / f : NaN } };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function table(rows: Row[]): string {
  const head = '| measurement | n | p50 | p99 | p99.9 | unit | vs floor | note |\n|---|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.name} | ${r.n} | ${fmt(r.p50)} | ${r.n > 1 ? fmt(r.p99) : ''} | ${r.n > 1 ? fmt(r.p999) : ''} | ${r.unit} | ${
        r.vsFloor ? `${r.vsFloor.ratio.toFixed(2)}× ${r.vsFloor.floor}` : ''
      } | ${r.note ?? ''} |`,
  );
  return [head, ...body].join('\n');
}
