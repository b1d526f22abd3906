// The paper's cart merge, kept for comparison: siblings are reconciled by the union of their items.
//
// Public API
//   type UnionCart = Line[]                     { item, qty } sorted by item: just what the shopper saw
//   add(cart, item, n)  setQuantity(cart, item, qty)  remove(cart, item)   -> the next cart
//   merge(a, b)  mergeAll(carts)                union of items, the larger quantity where both have one
//
// DeCandia et al. §4.4: "an 'add to cart' operation can never be lost. However, deleted items can
// resurface." A cart that is only a list of items cannot tell "removed here" from "never added
// here", so a union keeps an item that any sibling still lists. orset.ts fixes that with tags.

import type { Line } from './orset';

export type UnionCart = Line[];

export function add(cart: UnionCart, item: string, n: number): UnionCart {
  return setQuantity(cart, item, (cart.find((l) => l.item === item)?.qty ?? 0) + n);
}

export function setQuantity(cart: UnionCart, item: string, qty: number): UnionCart {
  const rest = remove(cart, item);
  return qty > 0 ? sorted([...rest, { item, qty: Math.floor(qty) }]) : rest;
}

export function remove(cart: UnionCart, item: string): UnionCart {
  return cart.filter((l) => l.item !== item);
}

export function merge(a: UnionCart, b: UnionCart): UnionCart {
  const qty = new Map<string, number>();
  for (const l of [...a, ...b]) qty.set(l.item, Math.max(qty.get(l.item) ?? 0, l.qty));
  return sorted([...qty].map(([item, q]) => ({ item, qty: q })));
}

export function mergeAll(carts: readonly UnionCart[]): UnionCart {
  return carts.reduce(merge, []);
}

function sorted(cart: UnionCart): UnionCart {
  return [...cart].sort((a, b) => (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
}
