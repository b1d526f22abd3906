// The shopping-cart demo (the default page): this tab is a Dynamo node and a shopper; the ring
// panel beside the cart shows where the cart lives.

import { mountRingPanel } from '../ring/panel';
import { boot } from '../shared/boot';
import { coalesce } from '../shared/dom';
import * as OR from './orset';
import { CartSession, tagMaker, type SessionState } from './session';
import { renderCart, renderCatalog, type CartActions, type CartElements } from './view';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const els: CartElements = {
  catalog: $('catalog'),
  cart: $('cart'),
  total: $('total'),
  versions: $('versions'),
  sync: $('sync'),
  notice: $('notice'),
  mergeNote: $('merge-note'),
};
const userInput = $('user') as HTMLInputElement;
const USER = /^[A-Za-z0-9_.-]{1,40}$/;

const node = await boot($('status'));
if (node) {
  const newTag = tagMaker(node.id);
  const panel = mountRingPanel($('ring-panel'), node, { compact: true });
  // A tab that holds no replica of the cart hears of no change (the core emits 'change' only where
  // a copy is stored). Tabs of this browser nudge each other instead; the nudge carries only the
  // key, never data, so what a tab shows still comes from a quorum read, partitions included.
  const nudges = 'BroadcastChannel' in globalThis ? new BroadcastChannel(`dynamo-cart:${node.room.id}`) : undefined;
  let session: CartSession | undefined;
  let state: SessionState | undefined;

  const actions: CartActions = {
    add: (item) => session?.change((cart, tag) => OR.add(cart, item, 1, tag)),
    setQuantity: (item, qty) => session?.change((cart, tag) => OR.setQuantity(cart, item, qty, tag)),
    remove: (item) => session?.change((cart) => OR.remove(cart, item)),
    retry: () => session?.retryNow(),
  };
  const render = coalesce(() => {
    renderCatalog(els.catalog, state, actions);
    if (state) renderCart(els, state, actions);
  }, 0);

  const open = (user: string) => {
    session?.dispose();
    const key = `cart:${user}`;
    $('cart-key').textContent = key;
    document.title = `${user}'s cart · Dynamo`;
    state = undefined;
    session = new CartSession(node, key, {
      newTag,
      onUpdate: (s) => {
        state = s;
        render();
      },
      announce: (k) => nudges?.postMessage(k),
    });
    panel.setKey(key);
    render();
  };

  const refreshIf = (key?: string) => {
    if (session && (key === undefined || key === session.key)) session.refresh();
  };
  node.on('change', (key) => key && refreshIf(key));
  node.on('repair', (key) => key && refreshIf(key));
  node.on('members', () => {
    // A peer coming back brings its writes as hints a moment later: look now and once more then.
    session?.refresh();
    session?.refreshLater(1500);
  });
  nudges?.addEventListener('message', (ev: MessageEvent) => refreshIf(String(ev.data)));
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && refreshIf());
  addEventListener('beforeunload', (ev) => {
    // Changes not yet acknowledged live only in this page.
    if (state?.pending) ev.preventDefault();
  });

  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('user');
  userInput.value = fromUrl && USER.test(fromUrl) ? fromUrl : (sessionStorage.getItem('cart-user') ?? 'alice');
  $('shopper').addEventListener('submit', (ev) => ev.preventDefault());
  userInput.addEventListener('change', () => {
    const user = userInput.value.trim();
    if (!USER.test(user)) return userInput.reportValidity();
    sessionStorage.setItem('cart-user', user);
    const url = new URL(location.href);
    url.searchParams.set('user', user);
    history.replaceState(null, '', url);
    open(user);
  });
  open(userInput.value);
}
