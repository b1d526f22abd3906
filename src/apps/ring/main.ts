// The live ring view page (/ring.html). For now: the members this node sees and their status.

import { boot, text } from '../shared/boot';

const status = document.getElementById('status') as HTMLElement;
const table = document.getElementById('members') as HTMLElement;

const node = await boot(status);
if (node) {
  const render = () =>
    table.replaceChildren(
      ...node.members().map((m) => {
        const row = document.createElement('tr');
        row.append(text('td', m.id + (m.id === node.id ? ' ★' : '')), text('td', m.status, m.status), text('td', String(m.tokens.length)));
        return row;
      }),
    );
  node.on('members', render);
  render();
}
