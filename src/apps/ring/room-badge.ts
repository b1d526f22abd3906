// The ring console's room line: whether the room is protected by a secret, "copy invite link", and
// for an open room a way to start a protected one. The secret comes from this page's own fragment;
// the node never hands it out.

import type { DynamoNode } from '../../runtime';
import { h } from '../shared/dom';
import { inviteLink, newSecret, secretOf } from '../shared/invite';

export function roomBadge(node: DynamoNode): HTMLElement {
  const room = node.room;
  const note = h('span', { class: 'invite-note', id: 'invite-note', 'aria-live': 'polite' });
  // Built at the click: the cart page rewrites its query (?user=) as the shopper changes.
  const link = () => inviteLink(location.href, room.protected ? secretOf(location.hash) : undefined);
  const copy = h('button', { type: 'button', class: 'small', id: 'copy-invite', onclick: () => void copyInvite(link(), note) }, 'Copy invite link');
  const state = room.protected
    ? h('span', { class: 'room-state protected', title: 'Only peers holding the secret get in; the signaling server sees neither the room name nor the secret' }, 'protected room')
    : h('span', { class: 'room-state open', title: 'Anyone who knows the room name can join, read and write' }, 'open room');
  const protect = room.protected
    ? null
    : h('a', { href: inviteLink(location.href, newSecret()), id: 'new-protected', title: 'The same room name with a new secret: a new, empty, protected ring' }, 'start a protected room');
  return h('p', { class: 'room-line', id: 'room-line', 'data-protected': String(room.protected) }, h('code', {}, room.name), ' ', state, ' ', copy, ' ', protect, note);
}

async function copyInvite(link: string, note: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(link);
    note.replaceChildren(' Copied: anyone with this link can join.');
  } catch {
    // No clipboard (permission, insecure page): show the link to copy by hand.
    const field = h('input', { type: 'text', readonly: true, value: link, id: 'invite-link', 'aria-label': 'Invite link', size: 40 });
    note.replaceChildren(' ', field);
    field.select();
  }
}
