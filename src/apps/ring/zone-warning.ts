// The console's warning when every replica of some partitions sits in one zone (issue 19): one
// browser or one host failing would take every copy of their keys. Computed by the node
// (node.sameZonePartitions(), from placement.ts), never by walking the ring here.

import { h } from '../shared/dom';

export interface SameZone {
  zone: string;
  partitions: number;
}

const ZONES_NAMED = 3;

/** The warning's text, or undefined when every partition spans zones. */
export function zoneWarningText(sameZone: readonly SameZone[], q: number): string | undefined {
  if (sameZone.length === 0) return undefined;
  const total = sameZone.reduce((s, z) => s + z.partitions, 0);
  const named = sameZone.slice(0, ZONES_NAMED).map((z) => `${z.partitions} in zone ${z.zone}`);
  if (sameZone.length > ZONES_NAMED) named.push(`${sameZone.length - ZONES_NAMED} more zones`);
  const which = total >= q ? `All ${q}` : `${total} of ${q}`;
  return `${which} partitions keep every replica in one zone (${named.join(', ')}): if that zone fails, their keys are gone. Open a tab in another browser (or ?zone=) or run a replica (npm start -- --replica).`;
}

/** The warning element, kept in place across redraws; hidden when there is nothing to warn about. */
export function renderZoneWarning(el: HTMLElement, sameZone: readonly SameZone[], q: number): void {
  const text = zoneWarningText(sameZone, q);
  el.hidden = text === undefined;
  el.dataset.partitions = String(sameZone.reduce((s, z) => s + z.partitions, 0));
  el.dataset.zones = sameZone.map((z) => z.zone).join(' ');
  if (text === undefined) return el.replaceChildren();
  if (el.dataset.text === text) return;
  el.dataset.text = text;
  el.replaceChildren(h('span', { 'aria-hidden': 'true' }, '⚠ '), text);
}
