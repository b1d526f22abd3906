// The shopping-cart demo page (the default page). For now: this tab's node and its peers.

import { boot, text } from '../shared/boot';

const status = document.getElementById('status') as HTMLElement;
const peerList = document.getElementById('peers') as HTMLElement;

const node = await boot(status);
if (node) {
  const render = () =>
    peerList.replaceChildren(
      ...node.members().map((m) => text('li', `${m.id}${m.id === node.id ? ' (this tab)' : ''} — ${m.status}`, m.status)),
    );
  node.on('members', render);
  render();
}
