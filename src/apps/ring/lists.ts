// The ring console's two lists: members with their status and isolate/heal button, and a key's
// preference list with the nodes a request would use now.

import type { DynamoNode } from '../../runtime';
import { h } from '../shared/dom';
import type { MemberView, RingModel } from './model';

const FALLBACKS_SHOWN = 4;

/** Fills `list` with the ring's members; `changed` runs after a button cut or restored a link. */
export function renderMembers(list: HTMLElement, node: DynamoNode, m: RingModel, changed: () => void): void {
  const cut = new Set(node.faults.isolated());
  list.replaceChildren(...m.members.map((mem) => memberItem(node, m, mem, cut.has(mem.id), changed)));
}

/**
 * The member list is rebuilt on every membership event (a peer's status flapping makes many): a
 * keyboard user's focus on a member's warning or button would be lost each time. Returns what puts
 * it back on the same control of the same member, once the list (and its warnings) are redrawn.
 */
export function keepMemberFocus(list: HTMLElement): () => void {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !list.contains(active)) return () => {};
  const member = active.closest<HTMLElement>('li[data-member]')?.dataset.member;
  const what = active.matches('[data-bad-frames]') ? '[data-bad-frames]' : active.tagName === 'BUTTON' ? 'button' : undefined;
  if (member === undefined || what === undefined) return () => {};
  return () => {
    for (const li of list.querySelectorAll<HTMLElement>('li[data-member]')) {
      if (li.dataset.member === member) li.querySelector<HTMLElement>(what)?.focus();
    }
  };
}

function memberItem(node: DynamoNode, m: RingModel, mem: MemberView, isCut: boolean, changed: () => void): HTMLElement {
  const self = mem.id === node.id;
  return h(
    'li',
    { 'data-member': mem.id, 'data-status': mem.status, 'data-kind': mem.kind ?? 'tab', 'data-zone': mem.zone ?? mem.id, class: self ? 'is-self' : undefined },
    h('span', { class: 'swatch', style: `--swatch:${m.color.get(mem.id)}` }),
    h(
      'span',
      { class: 'member-id' },
      mem.id,
      self ? h('small', {}, mem.kind === 'replica' ? ' this node' : ' this tab') : null,
      mem.kind === 'replica' ? h('span', { class: 'pill replica', title: 'an always-on Node replica (dynamo-node)' }, 'replica') : null,
      mem.zone && mem.zone !== mem.id ? h('span', { class: 'zone', title: 'zone: its failure domain' }, mem.zone) : null,
    ),
    h('span', { class: `pill ${mem.status}` }, mem.status),
    h('span', { class: 'parts', title: 'partitions owned' }, `${mem.tokens.length} ${mem.tokens.length === 1 ? 'partition' : 'partitions'}`),
    self ? h('span', { class: 'spacer' }) : isolateButton(node, mem.id, isCut, changed),
  );
}

/** Cuts this tab's link to `peer`, or restores it if it is cut. */
function isolateButton(node: DynamoNode, peer: string, isCut: boolean, changed: () => void): HTMLElement {
  const toggle = (): void => {
    const now = new Set(node.faults.isolated());
    if (now.has(peer)) now.delete(peer);
    else now.add(peer);
    node.faults.isolate([...now]);
    changed();
  };
  return h(
    'button',
    {
      type: 'button',
      class: isCut ? 'small heal' : 'small',
      'data-isolate': peer,
      title: isCut ? `Restore this tab's link to ${peer}` : `Cut this tab's link to ${peer} (both directions, as seen from here)`,
      onclick: toggle,
    },
    isCut ? 'Heal' : 'Isolate',
  );
}

/** Fills `list` with `key`'s preference list: primaries, then the first few fallbacks. */
export function renderPref(list: HTMLElement, node: DynamoNode, m: RingModel, key: string): void {
  if (!key) return list.replaceChildren(h('li', { class: 'muted' }, 'Type a key.'));
  let walk: string[];
  try {
    walk = node.preferenceList(key);
  } catch (err) {
    return list.replaceChildren(h('li', { class: 'muted' }, (err as Error).message));
  }
  const n = node.options.n;
  const status = new Map(m.members.map((x) => [x.id, x.status]));
  // Sloppy quorum: a request goes to the first N healthy nodes of the walk, fallbacks included.
  const inUse = new Set(walk.filter((id) => id === node.id || status.get(id) === 'up').slice(0, n));
  const shown = walk.slice(0, n + FALLBACKS_SHOWN);
  list.replaceChildren(
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
}
