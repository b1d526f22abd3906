// The ring console panel: ring, members with status and fault buttons, a key's preference list,
// counters and the last repair. Full on /ring.html, compact beside the cart; driven by node events.

import type { DynamoNode } from '../../runtime';
import { clockTime, coalesce, h } from '../shared/dom';
import { lastAntiEntropy, renderCounters } from './counters';
import { ringModel, type RingModel } from './model';
import { drawRing } from './ring-view';

export interface RingPanel {
  /** Shows `key`'s preference list (the cart page follows its shopper's cart key). */
  setKey(key: string): void;
  dispose(): void;
}

/** Feature-detected: a build without membership has no leave, and the button says so. */
type MaybeLeaving = { leave?: () => Promise<unknown> };

const FALLBACKS_SHOWN = 4;

export function mountRingPanel(root: HTMLElement, node: DynamoNode, opts: { compact?: boolean; key?: string } = {}): RingPanel {
  const compact = opts.compact ?? false;
  const ringBox = h('div', { class: 'ring-box' });
  const memberList = h('ul', { class: 'members', id: 'members' });
  const actions = h('div', { class: 'actions' });
  const keyInput = h('input', { type: 'text', id: 'lookup', value: opts.key ?? 'cart:alice', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'Key to look up' });
  const prefList = h('ol', { class: 'pref', id: 'pref' });
  const counters = h('div', { class: 'counters-box' });
  const lastRepair = h('p', { class: 'last-repair', id: 'last-repair' }, 'No repair seen yet.');
  const leaveNote = h('p', { class: 'leave-note', id: 'leave-note', 'aria-live': 'polite' });
  let repairEvent: { at: number; key: string | undefined } | undefined;
  let left = false;

  const countersBlock = compact
    ? h('details', { class: 'more' }, h('summary', {}, 'Counters'), counters)
    : h('section', { class: 'counters-section' }, h('h3', {}, 'Counters'), counters);
  root.replaceChildren(
    h('div', { class: 'panel-head' }, h('h2', {}, compact ? 'Ring' : 'Ring console'), h('span', { class: 'self' }, 'this tab: ', h('code', {}, node.id))),
    h(
      'div',
      { class: 'panel-grid' },
      ringBox,
      h(
        'div',
        { class: 'panel-side' },
        h('h3', {}, 'Members'),
        memberList,
        actions,
        leaveNote,
        h('h3', {}, h('label', { for: 'lookup' }, 'Preference list of')),
        keyInput,
        prefList,
      ),
    ),
    lastRepair,
    countersBlock,
  );

  const model = (): RingModel => ringModel(node.members(), node.id);

  const drawAll = () => {
    const m = model();
    const p = keyPartition(node, keyInput.value, m);
    ringBox.replaceChildren(
      drawRing(m, { keyPartition: p, keyLabel: keyInput.value, caption: `N=${node.options.n} R=${node.options.r} W=${node.options.w}` }),
      h(
        'p',
        { class: 'ring-legend' },
        p !== undefined ? h('span', {}, h('span', { class: 'key-glyph' }, '▲'), ' ', h('code', {}, keyInput.value), ` → partition ${p}`) : '',
        h('span', {}, h('span', { class: 'self-glyph' }), ` this tab's ${m.owners.filter((o) => o === node.id).length} partitions`),
        h('span', {}, h('span', { class: 'faded-glyph' }), ' owner down or suspect'),
      ),
    );
    renderMembers(m);
    renderPref(m);
    renderActions();
    drawCounters();
  };

  const renderMembers = (m: RingModel) => {
    const cut = new Set(node.faults.isolated());
    memberList.replaceChildren(
      ...m.members.map((mem) => {
        const self = mem.id === node.id;
        const isCut = cut.has(mem.id);
        return h(
          'li',
          { 'data-member': mem.id, 'data-status': mem.status, class: self ? 'is-self' : undefined },
          h('span', { class: 'swatch', style: `--swatch:${m.color.get(mem.id)}` }),
          h('span', { class: 'member-id' }, mem.id, self ? h('small', {}, ' this tab') : null),
          h('span', { class: `pill ${mem.status}` }, mem.status),
          h('span', { class: 'parts', title: 'partitions owned' }, `${mem.tokens.length} ${mem.tokens.length === 1 ? 'partition' : 'partitions'}`),
          self
            ? h('span', { class: 'spacer' })
            : h(
                'button',
                {
                  type: 'button',
                  class: isCut ? 'small heal' : 'small',
                  'data-isolate': mem.id,
                  title: isCut ? `Restore this tab's link to ${mem.id}` : `Cut this tab's link to ${mem.id} (both directions, as seen from here)`,
                  onclick: () => {
                    const now = new Set(node.faults.isolated());
                    if (now.has(mem.id)) now.delete(mem.id);
                    else now.add(mem.id);
                    node.faults.isolate([...now]);
                    refresh();
                  },
                },
                isCut ? 'Heal' : 'Isolate',
              ),
        );
      }),
    );
  };

  const renderPref = (m: RingModel) => {
    const key = keyInput.value;
    if (!key) return prefList.replaceChildren(h('li', { class: 'muted' }, 'Type a key.'));
    let walk: string[];
    try {
      walk = node.preferenceList(key);
    } catch (err) {
      return prefList.replaceChildren(h('li', { class: 'muted' }, (err as Error).message));
    }
    const n = node.options.n;
    const status = new Map(m.members.map((x) => [x.id, x.status]));
    // Sloppy quorum: a request goes to the first N healthy nodes of the walk, fallbacks included.
    const inUse = new Set(walk.filter((id) => id === node.id || status.get(id) === 'up').slice(0, n));
    const shown = walk.slice(0, n + FALLBACKS_SHOWN);
    prefList.replaceChildren(
      ...shown.map((id, i) =>
        h(
          'li',
          { 'data-node': id, class: i < n ? 'primary' : 'fallback' },
          h('span', { class: 'swatch', style: `--swatch:${m.color.get(id) ?? '#8a93a6'}` }),
          h('span', { class: 'member-id' }, id),
          h('span', { class: 'role' }, i < n ? 'primary' : 'fallback'),
          h('span', { class: `pill ${status.get(id) ?? 'down'}` }, status.get(id) ?? 'unknown'),
          inUse.has(id) ? h('span', { class: 'in-use', title: 'would take a request now' }, 'in use') : null,
        ),
      ),
      walk.length > shown.length ? h('li', { class: 'muted' }, `+${walk.length - shown.length} more fallbacks`) : '',
    );
  };

  const renderActions = () => {
    const canLeave = typeof (node as MaybeLeaving).leave === 'function';
    const isolated = node.faults.isolated().length > 0;
    const healAll = () => {
      node.faults.heal();
      refresh();
    };
    actions.replaceChildren(
      h('button', { type: 'button', class: 'small', id: 'heal-all', disabled: !isolated, onclick: healAll }, 'Heal all links'),
      h(
        'button',
        {
          type: 'button',
          class: 'small danger',
          id: 'leave',
          disabled: !canLeave || left,
          title: canLeave ? 'Hand this tab\'s data to the new owners, then leave the ring' : 'leave() is not available in this build',
          onclick: (ev: Event) => void leave(ev.currentTarget as HTMLButtonElement),
        },
        left ? 'Left the ring' : 'Leave the ring',
      ),
    );
  };

  /** Asks twice: leaving moves data and cannot be undone from this page. */
  const leave = async (button: HTMLButtonElement) => {
    if (button.dataset.confirm !== 'yes') {
      button.dataset.confirm = 'yes';
      button.textContent = 'Click again to leave';
      setTimeout(() => {
        if (!left) renderActions();
      }, 4000);
      return;
    }
    button.disabled = true;
    button.textContent = 'Leaving…';
    try {
      const result = (await (node as MaybeLeaving).leave?.()) as { moved?: unknown; partitionsPending?: unknown } | undefined;
      left = true;
      leaveNote.textContent =
        typeof result?.moved === 'number'
          ? `Left the ring: ${result.moved} keys handed to their new owners${result.partitionsPending ? `, ${String(result.partitionsPending)} partitions still pending (owners unreachable)` : ''}.`
          : 'Left the ring.';
    } catch (err) {
      leaveNote.textContent = `Leave failed: ${(err as Error).message}`;
    }
    refresh();
  };

  const drawCounters = () => {
    let stats: ReturnType<DynamoNode['stats']> | undefined;
    try {
      stats = node.stats();
    } catch {
      stats = undefined;
    }
    counters.replaceChildren(renderCounters(stats));
    const ae = stats ? lastAntiEntropy(stats) : undefined;
    const parts: (string | HTMLElement)[] = [];
    if (ae !== undefined) parts.push('Last anti-entropy repair: ', h('b', {}, clockTime(ae)), '. ');
    if (repairEvent) parts.push('Last repair event: ', h('b', {}, clockTime(repairEvent.at)), repairEvent.key ? h('span', {}, ' on ', h('code', {}, repairEvent.key)) : '', '.');
    lastRepair.replaceChildren(...(parts.length ? parts : ['No repair seen yet.']));
  };

  const refresh = coalesce(drawAll);
  const refreshCounters = coalesce(drawCounters, 100);
  const offs = [
    node.on('members', refresh),
    node.on('change', refreshCounters),
    node.on('repair', (key) => {
      repairEvent = { at: Date.now(), key };
      refreshCounters();
    }),
  ];
  keyInput.addEventListener('input', coalesce(drawAll, 60));
  drawAll();

  return {
    setKey(key: string) {
      if (keyInput.value === key) return;
      keyInput.value = key;
      refresh();
    },
    dispose() {
      for (const off of offs) off();
    },
  };
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
