// The cart as an add-wins observed-remove set (OR-set) of line items with quantities: the pure model.
//
// Public API
//   type Cart = { entries: Entry[]; removed: Tag[] }   plain JSON, canonical (sorted, no duplicates)
//   type Entry = { item, qty, tag }                    one add; `tag` is unique in the whole world
//   empty(): Cart
//   lines(cart): Line[]                                what the shopper sees: { item, qty } by item
//   quantity(cart, item): number                       0 when absent
//   add(cart, item, n, tag)  setQuantity(cart, item, qty, tag)  remove(cart, item)  clear(cart)
//                                                      -> a delta (a small Cart); apply it with merge
//   merge(a, b)  mergeAll(carts)                       the join: commutative, associative, idempotent
//   parse(json): Cart | undefined                      a stored value, validated (undefined: not a cart)
//
// Model. Every add carries a fresh tag. A remove does not delete an item by name: it records the
// tags of that item it has seen (tombstones in `removed`). Merging two carts is the union of their
// entries minus every entry whose tag either side removed, and the union of their tombstones. So
// an add the remover never saw keeps its tag alive (add wins), and an item removed on one sibling
// stays removed when merged with a sibling that still holds the same tag — unlike the paper's
// union merge (union.ts), under which deleted items resurface (DeCandia et al. §4.4).
//
// Quantities. An entry holds an absolute quantity. Changing it is remove-observed-tags + add a new
// tag with the new quantity, so a change is itself an add and wins over a concurrent remove.
// Concurrent changes of one item leave several live entries; the item's quantity is the largest
// of them. Why the largest: it is deterministic and order-free, never drops the item, and never
// invents a quantity nobody chose (a sum would turn concurrent 2→3 and 2→5 into 8). The next
// change by anyone removes every tag it saw and so collapses them back into one entry.
//
// Why operations return deltas: the page keeps a shopper's unacknowledged changes as deltas and
// replays them onto whatever it reads next. Applying is merge, which is idempotent, and a delta
// only removes tags the shopper saw, so a replay onto a newer read cannot remove a concurrent add.
//
// Cost: tombstones are never reaped (that needs every replica to have seen them: causal
// stability). A cart's removed list grows by one tag per change; fine for a cart, not for a log.

export type Tag = string;
// Type aliases, not interfaces: a Cart must be assignable to the store's Json type.
export type Entry = { item: string; qty: number; tag: Tag };
export type Cart = { entries: Entry[]; removed: Tag[] };
export type Line = { item: string; qty: number };

export const MAX_QTY = 99;
const MAX_ID = 200;

export function empty(): Cart {
  return { entries: [], removed: [] };
}

export function lines(cart: Cart): Line[] {
  const qty = new Map<string, number>();
  for (const e of cart.entries) qty.set(e.item, Math.max(qty.get(e.item) ?? 0, e.qty));
  return [...qty].map(([item, q]) => ({ item, qty: q })).sort((a, b) => cmp(a.item, b.item));
}

export function quantity(cart: Cart, item: string): number {
  let q = 0;
  for (const e of cart.entries) if (e.item === item) q = Math.max(q, e.qty);
  return q;
}

/** Adds `n` of `item` on top of what `cart` shows (a quantity change if it is already there). */
export function add(cart: Cart, item: string, n: number, tag: Tag): Cart {
  return setQuantity(cart, item, quantity(cart, item) + n, tag);
}

/** Sets `item`'s quantity; 0 or less removes it. */
export function setQuantity(cart: Cart, item: string, qty: number, tag: Tag): Cart {
  const q = Math.min(MAX_QTY, Math.floor(qty));
  if (!(q > 0)) return remove(cart, item);
  return canonical({ entries: [{ item, qty: q, tag }], removed: observed(cart, (e) => e.item === item) });
}

export function remove(cart: Cart, item: string): Cart {
  return canonical({ entries: [], removed: observed(cart, (e) => e.item === item) });
}

export function clear(cart: Cart): Cart {
  return canonical({ entries: [], removed: observed(cart, () => true) });
}

export function merge(a: Cart, b: Cart): Cart {
  return canonical({ entries: [...a.entries, ...b.entries], removed: [...a.removed, ...b.removed] });
}

export function mergeAll(carts: readonly Cart[]): Cart {
  return carts.reduce(merge, empty());
}

/**
 * A stored value as a cart. Also reads a plain array of item names (what the README's console
 * example writes), as entries tagged by name, so that every tab reads such a value the same way.
 */
export function parse(json: unknown): Cart | undefined {
  if (Array.isArray(json)) {
    if (!json.every(isId)) return undefined;
    return canonical({ entries: json.map((item) => ({ item, qty: 1, tag: `plain:${item}` })), removed: [] });
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { entries, removed } = json as Partial<Record<keyof Cart, unknown>>;
  if (!Array.isArray(entries) || !Array.isArray(removed) || !removed.every(isId)) return undefined;
  if (!entries.every(isEntry)) return undefined;
  return canonical({ entries: entries.map(({ item, qty, tag }) => ({ item, qty, tag })), removed });
}

function isEntry(x: unknown): x is Entry {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  return isId(e.item) && isId(e.tag) && Number.isInteger(e.qty) && (e.qty as number) >= 1 && (e.qty as number) <= MAX_QTY;
}

function isId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_ID;
}

function observed(cart: Cart, which: (e: Entry) => boolean): Tag[] {
  return cart.entries.filter(which).map((e) => e.tag);
}

/**
 * Tombstoned entries dropped, one entry per tag, sorted: equal carts are equal JSON, whatever order
 * their parts were merged in.
 */
function canonical(cart: Cart): Cart {
  const removed = [...new Set(cart.removed)].sort(cmp);
  const dead = new Set(removed);
  const byTag = new Map<Tag, Entry>();
  for (const e of cart.entries) {
    if (dead.has(e.tag)) continue;
    const seen = byTag.get(e.tag);
    // Tags are unique, so one tag with two bodies is a bug or a forgery: keep one, independently of order.
    if (!seen || entryKey(e) > entryKey(seen)) byTag.set(e.tag, e);
  }
  const entries = [...byTag.values()].sort((a, b) => cmp(a.tag, b.tag));
  return { entries, removed };
}

function entryKey(e: Entry): string {
  return `${e.tag}\u0000${e.item}\u0000${e.qty}`;
}

/** Code-unit order, not localeCompare: every tab must sort identically. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
