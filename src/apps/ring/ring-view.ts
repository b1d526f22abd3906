// The ring as SVG: Q partitions as arcs coloured by owner, this tab's partitions underlined, a key's partition marked.

import { s } from '../shared/dom';
import type { RingModel } from './model';

export interface RingMarks {
  /** The partition a looked-up key hashes to. */
  keyPartition?: number;
  keyLabel?: string;
  /** Centre caption, e.g. "N=3 R=2 W=2". */
  caption?: string;
}

const R_OUT = 96;
const R_IN = 70;
const R_SELF = [62, 66] as const;

export function drawRing(model: RingModel, marks: RingMarks = {}): SVGSVGElement {
  const status = new Map(model.members.map((m) => [m.id, m.status]));
  const svg = s('svg', { viewBox: '-112 -112 224 224', class: 'ring', role: 'img', 'aria-label': ariaLabel(model) });
  svg.append(
    s('defs', {}, s('pattern', { id: 'ring-hatch', width: 4, height: 4, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, s('rect', { width: 2, height: 4, fill: '#ffffff', opacity: 0.75 }))),
    s('circle', { r: (R_OUT + R_IN) / 2, fill: 'none', stroke: '#e4e7ee', 'stroke-width': R_OUT - R_IN }),
  );
  const arcs = s('g', { class: 'arcs' });
  const mine = s('g', { class: 'mine' });
  model.owners.forEach((owner, p) => {
    const [a0, a1] = [angle(p, model.q), angle(p + 1, model.q)];
    const st = owner ? status.get(owner) ?? 'down' : 'none';
    const fill = owner ? model.color.get(owner) ?? '#8a93a6' : '#d5d9e2';
    const arc = s('path', { d: sector(a0, a1, R_IN, R_OUT), fill, 'fill-rule': 'evenodd', class: `arc ${st}`, 'data-owner': owner ?? '' }, s('title', {}, `partition ${p} · ${owner ?? 'no owner'} (${st})`));
    arcs.append(arc);
    if (st === 'down' || st === 'suspect') arcs.append(s('path', { d: sector(a0, a1, R_IN, R_OUT), fill: 'url(#ring-hatch)', 'pointer-events': 'none' }));
    if (owner === model.self) mine.append(s('path', { d: sector(a0, a1, R_SELF[0], R_SELF[1]), class: 'self-mark' }));
  });
  svg.append(arcs, mine, centre(model, marks));
  if (marks.keyPartition !== undefined && marks.keyPartition < model.q) svg.append(keyMarker(marks.keyPartition, model.q, marks.keyLabel));
  return svg;
}

function centre(model: RingModel, marks: RingMarks): SVGGElement {
  return s(
    'g',
    { class: 'centre', 'text-anchor': 'middle' },
    s('text', { y: -14, class: 'q' }, `Q = ${model.q}`),
    s('text', { y: 4, class: 'sub' }, `${model.members.length} ${model.members.length === 1 ? 'member' : 'members'}`),
    marks.caption ? s('text', { y: 20, class: 'sub' }, marks.caption) : null,
  );
}

function keyMarker(p: number, q: number, label = 'key'): SVGGElement {
  const a = (angle(p, q) + angle(p + 1, q)) / 2;
  const [x0, y0] = xy(R_IN - 6, a);
  const [x1, y1] = xy(R_OUT + 1, a);
  const wing = (d: number) => xy(R_OUT + 10, a + d).join(',');
  return s(
    'g',
    { class: 'key-marker' },
    s('line', { x1: x0, y1: y0, x2: x1, y2: y1 }),
    s('polygon', { points: `${x1},${y1} ${wing(0.07)} ${wing(-0.07)}` }),
    s('title', {}, `${label} → partition ${p}`),
  );
}

function xy(r: number, a: number): [string, string] {
  return [(r * Math.cos(a)).toFixed(2), (r * Math.sin(a)).toFixed(2)];
}

/** Partition boundaries, clockwise from twelve o'clock. */
function angle(p: number, q: number): number {
  return (p / q) * 2 * Math.PI - Math.PI / 2;
}

function sector(a0: number, a1: number, r0: number, r1: number): string {
  const pt = (r: number, a: number) => xy(r, a).join(' ');
  const large = a1 - a0 > Math.PI ? 1 : 0;
  // One partition of a one-member ring is the whole circle, which a single arc command cannot draw.
  if (a1 - a0 >= 2 * Math.PI - 1e-9) {
    const mid = a0 + Math.PI;
    return `M${pt(r1, a0)}A${r1} ${r1} 0 1 1 ${pt(r1, mid)}A${r1} ${r1} 0 1 1 ${pt(r1, a0)}M${pt(r0, a0)}A${r0} ${r0} 0 1 0 ${pt(r0, mid)}A${r0} ${r0} 0 1 0 ${pt(r0, a0)}Z`;
  }
  return `M${pt(r1, a0)}A${r1} ${r1} 0 ${large} 1 ${pt(r1, a1)}L${pt(r0, a1)}A${r0} ${r0} 0 ${large} 0 ${pt(r0, a0)}Z`;
}

function ariaLabel(model: RingModel): string {
  const counts = new Map<string, number>();
  for (const o of model.owners) if (o) counts.set(o, (counts.get(o) ?? 0) + 1);
  return `Ring of ${model.q} partitions: ${[...counts].map(([id, n]) => `${id} owns ${n}`).join(', ')}`;
}
