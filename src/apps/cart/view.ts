// The cart page's views: catalog, cart lines, sync state, quorum problems and the last sibling merge.

import { clockTime, h } from '../shared/dom';
import { CATALOG, money, product } from './catalog';
import type { Line } from './orset';
import * as OR from './orset';
import type { MergeReport, SessionState } from './session';

export interface CartActions {
  add(item: string): void;
  setQuantity(item: string, qty: number): void;
  remove(item: string): void;
  retry(): void;
}

export interface CartElements {
  catalog: HTMLElement;
  cart: HTMLElement;
  total: HTMLElement;
  versions: HTMLElement;
  sync: HTMLElement;
  notice: HTMLElement;
  mergeNote: HTMLElement;
}

export function renderCatalog(el: HTMLElement, state: SessionState | undefined, act: CartActions): void {
  el.replaceChildren(
    ...CATALOG.map((p) => {
      const inCart = state ? OR.quantity(state.cart, p.id) : 0;
      return h(
        'li',
        { 'data-product': p.id },
        badge(p.id),
        h('span', { class: 'name' }, p.name, inCart > 0 && h('small', { class: 'in-cart' }, ` · ${inCart} in cart`)),
        h('span', { class: 'price' }, money(p.price)),
        h('button', { type: 'button', 'data-add': p.id, onclick: () => act.add(p.id), 'aria-label': `Add ${p.name}` }, 'Add'),
      );
    }),
  );
}

export function renderCart(els: CartElements, state: SessionState, act: CartActions): void {
  const lines = OR.lines(state.cart);
  els.cart.dataset.items = lines.map((l) => l.item).join(',');
  els.cart.dataset.loaded = String(state.loaded);
  els.cart.replaceChildren(...(lines.length ? lines.map((l) => cartLine(l, act)) : [emptyCart(state.loaded)]));
  els.total.textContent = money(lines.reduce((sum, l) => sum + product(l.item).price * l.qty, 0));

  els.versions.hidden = state.versions <= 1;
  els.versions.textContent = `${state.versions} versions merged`;

  els.sync.textContent = syncText(state);
  els.sync.className = `sync${state.pending ? ' busy' : ''}`;

  renderProblem(els.notice, state, act);
  renderMerge(els.mergeNote, state.lastMerge);
}

function cartLine(l: Line, act: CartActions): HTMLElement {
  const p = product(l.item);
  return h(
    'li',
    { 'data-item': l.item, 'data-qty': l.qty },
    badge(l.item),
    h('span', { class: 'name' }, p.name),
    h(
      'span',
      { class: 'stepper' },
      h('button', { type: 'button', 'aria-label': `One ${p.name} less`, onclick: () => act.setQuantity(l.item, l.qty - 1) }, '−'),
      h('output', { 'aria-label': 'quantity' }, String(l.qty)),
      h('button', { type: 'button', 'aria-label': `One ${p.name} more`, disabled: l.qty >= OR.MAX_QTY, onclick: () => act.setQuantity(l.item, l.qty + 1) }, '+'),
    ),
    h('span', { class: 'price' }, money(p.price * l.qty)),
    h('button', { type: 'button', class: 'remove', 'data-remove': l.item, 'aria-label': `Remove ${p.name}`, title: 'Remove', onclick: () => act.remove(l.item) }, '×'),
  );
}

function emptyCart(loaded: boolean): HTMLElement {
  return h('li', { class: 'empty' }, loaded ? 'The cart is empty. Add something from the catalog.' : 'Reading the cart…');
}

function syncText(s: SessionState): string {
  if (s.pending) return `saving ${s.pending} ${s.pending === 1 ? 'change' : 'changes'}…`;
  if (!s.loaded) return '';
  if (s.savedLocally) return 'saved on this tab; it reaches the others when the network is back';
  return s.replicas ? `saved · ${s.replicas} ${s.replicas === 1 ? 'replica' : 'replicas'}` : 'up to date';
}

function renderProblem(el: HTMLElement, s: SessionState, act: CartActions): void {
  // A cut-off tab that saved its changes locally is fine: the sync line says so, calmly.
  const p = s.savedLocally && !s.pending ? undefined : s.problem;
  el.hidden = !p;
  if (!p) return el.replaceChildren();
  const what =
    p.during === 'write' || s.pending
      ? `Your ${s.pending === 1 ? 'change is' : 'changes are'} not saved yet: ${p.message}. ${s.pending === 1 ? 'It is' : 'They are'} kept on this page and retried automatically.`
      : `Could not read the cart: ${p.message}. Showing what this tab last read; retrying automatically.`;
  el.replaceChildren(
    h('span', {}, what, p.attempts > 1 ? ` (attempt ${p.attempts})` : ''),
    h('button', { type: 'button', class: 'retry', onclick: () => act.retry() }, 'Retry now'),
  );
}

function renderMerge(el: HTMLElement, m: MergeReport | undefined): void {
  el.hidden = !m;
  if (!m) return el.replaceChildren();
  const names = (ls: Line[]) => (ls.length ? ls.map((l) => product(l.item).name).join(', ') : 'nothing');
  el.dataset.resurfaced = m.resurfaced.join(',');
  el.replaceChildren(
    h('strong', {}, `${m.versions} versions merged`),
    ` at ${clockTime(m.at)}${m.written ? ', merge written back' : ''}.`,
    h('br'),
    'Shown (add-wins OR-set): ',
    h('b', {}, names(m.merged)),
    '.',
    h('br'),
    "The paper's union merge would show: ",
    h('b', {}, names(m.union)),
    m.resurfaced.length
      ? h('span', { class: 'resurfaced' }, ` — ${m.resurfaced.map((i) => product(i).name).join(', ')} ${m.resurfaced.length === 1 ? 'was' : 'were'} removed and would come back.`)
      : '.',
    m.unreadable ? h('span', {}, ` ${m.unreadable} version(s) were not a cart and were ignored.`) : '',
  );
}

function badge(item: string): HTMLElement {
  const p = product(item);
  return h('span', { class: 'badge', style: `--badge:${p.color}`, 'aria-hidden': 'true' }, p.name.charAt(0).toUpperCase());
}
