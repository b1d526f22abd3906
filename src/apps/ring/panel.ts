// The ring console panel: ring, members with status and fault buttons, a key's preference list,
// counters and the last repair. Full on /ring.html, compact beside the cart; driven by node events.

import type { DynamoNode } from '../../runtime';
import { clockTime, coalesce, h } from '../shared/dom';
import { BadFrames, showBadFrames } from './bad-frames';
import { lastAntiEntropy, renderCounters } from './counters';
import { keepMemberFocus, renderMembers, renderPref } from './lists';
import { roomBadge } from './room-badge';
import { ringModel, type RingModel } from './model';
import { drawRing } from './ring-view';
import { renderZoneWarning } from './zone-warning';

export interface RingPanel {
  /** Shows `key`'s preference list (the cart page follows its shopper's cart key). */
  setKey(key: string): void;
  dispose(): void;
}

/** Feature-detected: a build without membership has no leave, and the button says so. */
type MaybeLeaving = { leave?: () => Promise<unknown> };

interface PanelElements {
  ringBox: HTMLElement;
  memberList: HTMLElement;
  actions: HTMLElement;
  keyInput: HTMLInputElement;
  prefList: HTMLElement;
  counters: HTMLElement;
  lastRepair: HTMLElement;
  leaveNote: HTMLElement;
  zoneWarning: HTMLElement;
}

/** What the panel's parts share: the node, its elements, and what happened on this page. */
interface Panel {
  node: DynamoNode;
  el: PanelElements;
  /** Redraws everything soon (coalesced). */
  refresh: () => void;
  left: boolean;
  repairEvent: { at: number; key: string | undefined } | undefined;
  /** Members sending bad frames, as seen by the counters' redraws. */
  badFrames: BadFrames;
}

export function mountRingPanel(root: HTMLElement, node: DynamoNode, opts: { compact?: boolean; key?: string } = {}): RingPanel {
  const el = layout(root, node, opts.compact ?? false, opts.key ?? 'cart:alice');
  const panel: Panel = { node, el, refresh: () => {}, left: false, repairEvent: undefined, badFrames: new BadFrames() };
  const drawAll = (): void => draw(panel);
  panel.refresh = coalesce(drawAll);
  // Twice a second at most: under load every write is a 'change', and a redraw (stats() sorts the
  // latency logs, the counters are rebuilt) cost a busy tab 4-5% of its main thread at ten a second.
  const refreshCounters = coalesce(() => drawCounters(panel), 500);
  const offs = [
    node.on('members', panel.refresh),
    node.on('change', refreshCounters),
    node.on('repair', (key) => {
      panel.repairEvent = { at: Date.now(), key };
      refreshCounters();
    }),
  ];
  el.keyInput.addEventListener('input', coalesce(drawAll, 60));
  drawAll();

  return {
    setKey(key: string) {
      if (el.keyInput.value === key) return;
      el.keyInput.value = key;
      panel.refresh();
    },
    dispose() {
      for (const off of offs) off();
    },
  };
}

/** Builds the panel's DOM under `root`: the ring beside members and a key lookup, then counters. */
function layout(root: HTMLElement, node: DynamoNode, compact: boolean, key: string): PanelElements {
  const el: PanelElements = {
    ringBox: h('div', { class: 'ring-box' }),
    memberList: h('ul', { class: 'members', id: 'members' }),
    actions: h('div', { class: 'actions' }),
    keyInput: h('input', { type: 'text', id: 'lookup', value: key, spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Key to look up' }),
    prefList: h('ol', { class: 'pref', id: 'pref' }),
    counters: h('div', { class: 'counters-box' }),
    lastRepair: h('p', { class: 'last-repair', id: 'last-repair' }, 'No repair seen yet.'),
    leaveNote: h('p', { class: 'leave-note', id: 'leave-note', 'aria-live': 'polite' }),
    zoneWarning: h('p', { class: 'zone-warning', id: 'zone-warning', role: 'status', hidden: true }),
  };
  const countersBlock = compact
    ? h('details', { class: 'more' }, h('summary', {}, 'Counters'), el.counters)
    : h('section', { class: 'counters-section' }, h('h3', {}, 'Counters'), el.counters);
  const side = h(
    'div',
    { class: 'panel-side' },
    h('h3', {}, 'Members'),
    el.memberList,
    el.actions,
    el.leaveNote,
    h('h3', {}, h('label', { for: 'lookup' }, 'Preference list of')),
    el.keyInput,
    el.prefList,
  );
  root.replaceChildren(
    h('div', { class: 'panel-head' }, h('h2', {}, compact ? 'Ring' : 'Ring console'), h('span', { class: 'self' }, 'this tab: ', h('code', {}, node.id))),
    roomBadge(node),
    el.zoneWarning,
    h('div', { class: 'panel-grid' }, el.ringBox, side),
    el.lastRepair,
    countersBlock,
  );
  return el;
}

/** Members first: drawCounters puts the bad-frames warnings on the member list it rebuilt. */
function draw(panel: Panel): void {
  const { node, el } = panel;
  const m = ringModel(node.members(), node.id);
  const refocus = keepMemberFocus(el.memberList);
  drawRingBox(el.ringBox, node, m, el.keyInput.value);
  renderMembers(el.memberList, node, m, panel.refresh);
  renderPref(el.prefList, node, m, el.keyInput.value);
  renderActions(panel);
  renderZoneWarning(el.zoneWarning, node.sameZonePartitions(), m.q);
  drawCounters(panel);
  refocus();
}

/** The ring with the looked-up key's partition marked, and its legend. */
function drawRingBox(box: HTMLElement, node: DynamoNode, m: RingModel, key: string): void {
  const p = keyPartition(node, key, m);
  box.replaceChildren(
    drawRing(m, { keyPartition: p, keyLabel: key, caption: `N=${node.options.n} R=${node.options.r} W=${node.options.w}` }),
    h(
      'p',
      { class: 'ring-legend' },
      p !== undefined ? h('span', {}, h('span', { class: 'key-glyph' }, '▲'), ' ', h('code', {}, key), ` → partition ${p}`) : '',
      h('span', {}, h('span', { class: 'self-glyph' }), ` this tab's ${m.owners.filter((o) => o === node.id).length} partitions`),
      h('span', {}, h('span', { class: 'faded-glyph' }), ' owner down or suspect'),
    ),
  );
}

function renderActions(panel: Panel): void {
  const { node } = panel;
  const canLeave = typeof (node as MaybeLeaving).leave === 'function';
  const isolated = node.faults.isolated().length > 0;
  const healAll = (): void => {
    node.faults.heal();
    panel.refresh();
  };
  panel.el.actions.replaceChildren(
    h('button', { type: 'button', class: 'small', id: 'heal-all', disabled: !isolated, onclick: healAll }, 'Heal all links'),
    h(
      'button',
      {
        type: 'button',
        class: 'small danger',
        id: 'leave',
        disabled: !canLeave || panel.left,
        title: canLeave ? 'Hand this tab\'s data to the new owners, then leave the ring' : 'leave() is not available in this build',
        onclick: (ev: Event) => void leave(panel, ev.currentTarget as HTMLButtonElement),
      },
      panel.left ? 'Left the ring' : 'Leave the ring',
    ),
  );
}

/** Asks twice: leaving moves data and cannot be undone from this page. */
async function leave(panel: Panel, button: HTMLButtonElement): Promise<void> {
  if (button.dataset.confirm !== 'yes') {
    button.dataset.confirm = 'yes';
    button.textContent = 'Click again to leave';
    setTimeout(() => {
      if (!panel.left) renderActions(panel);
    }, 4000);
    return;
  }
  button.disabled = true;
  button.textContent = 'Leaving…';
  try {
    const result = (await (panel.node as MaybeLeaving).leave?.()) as { moved?: unknown; partitionsPending?: unknown } | undefined;
    panel.left = true;
    panel.el.leaveNote.textContent =
      typeof result?.moved === 'number'
        ? `Left the ring: ${result.moved} keys handed to their new owners${result.partitionsPending ? `, ${String(result.partitionsPending)} partitions still pending (owners unreachable)` : ''}.`
        : 'Left the ring.';
  } catch (err) {
    panel.el.leaveNote.textContent = `Leave failed: ${(err as Error).message}`;
  }
  panel.refresh();
}

function drawCounters(panel: Panel): void {
  let stats: ReturnType<DynamoNode['stats']> | undefined;
  try {
    stats = panel.node.stats();
  } catch {
    stats = undefined;
  }
  panel.el.counters.replaceChildren(renderCounters(stats));
  // Read here, with the counters, so the warning costs no extra stats() call and no timer.
  const now = Date.now();
  panel.badFrames.observe(stats?.messages.malformedByPeer, now);
  showBadFrames(panel.el.memberList, panel.badFrames, now);
  const ae = stats ? lastAntiEntropy(stats) : undefined;
  const parts: (string | HTMLElement)[] = [];
  const repair = panel.repairEvent;
  if (ae !== undefined) parts.push('Last anti-entropy repair: ', h('b', {}, clockTime(ae)), '. ');
  if (repair) parts.push('Last repair event: ', h('b', {}, clockTime(repair.at)), repair.key ? h('span', {}, ' on ', h('code', {}, repair.key)) : '', '.');
  panel.el.lastRepair.replaceChildren(...(parts.length ? parts : ['No repair seen yet.']));
}

/** Where a key sits on the ring: its partition, as the node computes it. */
function keyPartition(node: DynamoNode, key: string, m: RingModel): number | undefined {
  if (!key) return undefined;
  try {
    const p = node.partitionOf(key);
    return p < m.q ? p : undefined;
  } catch {
    return undefined;
  }
}
