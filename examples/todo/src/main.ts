// The page: one tab, one node. Every tab of the room shows the same list, live.

import { startNode, type ORMap } from 'dynamo-browser';
import { add, remove, resolveTodos, toggle, todos, TODOS_KEY } from './todos.js';

const params = new URLSearchParams(location.search);
const node = await startNode({
  room: params.get('room') ?? 'todos',
  signalingUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`,
});

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let shown: ORMap | undefined;

function render(): void {
  const list = $<HTMLUListElement>('list');
  list.replaceChildren(
    ...todos(shown).map((t) => {
      const li = document.createElement('li');
      li.className = t.done ? 'done' : '';
      li.dataset.id = t.id;
      const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: t.done });
      box.onchange = () => void change((l) => toggle(l, t.id));
      const del = Object.assign(document.createElement('button'), { textContent: '×', title: 'remove' });
      del.onclick = () => void change((l) => remove(l, t.id));
      li.append(box, ' ', Object.assign(document.createElement('span'), { textContent: t.text }), ' ', del);
      return li;
    }),
  );
  $('status').textContent = `node ${node.id} · ${node.members().filter((m) => m.status === 'up').length} up in room ${node.room.name}`;
}

async function change(fn: (list: ORMap | undefined) => ORMap): Promise<void> {
  const res = await node.update(TODOS_KEY, fn, { resolve: resolveTodos });
  shown = resolveTodos([res.value ?? null]);
  render();
}

node.watch(TODOS_KEY, (read) => {
  shown = resolveTodos(read.values);
  render();
}, { initial: true });
node.on('members', render);

$<HTMLFormElement>('add').onsubmit = (e) => {
  e.preventDefault();
  const input = $<HTMLInputElement>('text');
  if (input.value.trim()) void change((l) => add(l, input.value));
  input.value = '';
};

// For the console and for tests: the node and the list as this tab sees it.
Object.assign(window, { todo: { node, list: () => todos(shown), add: (text: string) => change((l) => add(l, text)) } });
render();
