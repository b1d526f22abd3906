// The console's counters: node.stats() as labelled groups. Fields this file does not know are shown
// by name, so counters the core adds later appear without a change here.

import { clockTime, h } from '../shared/dom';

const GROUPS: Record<string, string> = {
  requests: 'Requests',
  errors: 'Errors',
  hints: 'Hints',
  repairs: 'Repairs',
  messages: 'Messages',
  latencyMs: 'Latency (ms)',
  transport: 'Transport',
};
/** Too detailed for the grid; shown as a tooltip of their parent instead. */
const TOOLTIPS = new Set(['dropReasons']);

type Row = { label: string; value: string; title?: string };

export function renderCounters(stats: unknown): HTMLElement {
  const groups = new Map<string, Row[]>();
  const other: Row[] = [];
  if (stats && typeof stats === 'object') {
    for (const [key, value] of Object.entries(stats)) {
      if (typeof value === 'number') other.push({ label: key, value: format(key, value) });
      else if (value && typeof value === 'object') groups.set(key, flatten(value as Record<string, unknown>, ''));
    }
  }
  const order = [...Object.keys(GROUPS).filter((k) => groups.has(k)), ...[...groups.keys()].filter((k) => !(k in GROUPS))];
  const sections = order.map((k) => group(GROUPS[k] ?? title(k), groups.get(k)!, k));
  if (other.length) sections.push(group('Other', other, 'other'));
  return h('div', { class: 'counters' }, ...sections);
}

/** When anti-entropy last pushed keys a replica lacked (the node's clock, ms), if ever. */
export function lastAntiEntropy(stats: { antiEntropy?: { lastRepairAt?: number } }): number | undefined {
  return stats.antiEntropy?.lastRepairAt;
}

function flatten(obj: Record<string, unknown>, prefix: string): Row[] {
  const rows: Row[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const label = prefix ? `${prefix} ${k}` : k;
    if (typeof v === 'number') rows.push({ label, value: format(k, v) });
    else if (TOOLTIPS.has(k) && v && typeof v === 'object') {
      const parent = rows.at(-1);
      const detail = Object.entries(v).map(([r, n]) => `${r}: ${String(n)}`).join('\n');
      if (parent && detail) parent.title = detail;
    } else if (v && typeof v === 'object') rows.push(...flatten(v as Record<string, unknown>, label));
  }
  return rows;
}

function group(title: string, rows: Row[], key: string): HTMLElement {
  return h(
    'section',
    { class: 'counter-group', 'data-group': key },
    h('h4', {}, title),
    h('dl', {}, ...rows.flatMap((r) => [h('dt', { title: r.title }, r.label), h('dd', { title: r.title }, r.value)])),
  );
}

/** `antiEntropy` -> `Anti entropy`: a readable heading for a group this file does not know. */
function title(key: string): string {
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Made once: toLocaleString builds a formatter per call, and the counters redraw ten times a second. */
const INTEGER = new Intl.NumberFormat('en-US');

function format(key: string, v: number): string {
  if (v > 1e12 && /last|At$/i.test(key)) return clockTime(v);
  return Number.isInteger(v) ? INTEGER.format(v) : v.toFixed(1);
}
