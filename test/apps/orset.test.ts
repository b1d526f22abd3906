// The cart models side by side: the add-wins OR-set (orset.ts) against the paper's union merge
// (union.ts) on the same concurrent histories, plus fast-check laws of the OR-set join.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as OR from '../../src/apps/cart/orset';
import type { Cart } from '../../src/apps/cart/orset';
import * as U from '../../src/apps/cart/union';

/** A replica that mints its own unique tags, as a tab does (node id + counter). */
function tagger(id: string): () => string {
  let n = 0;
  return () => `${id}:${++n}`;
}
const apply = (cart: Cart, delta: Cart): Cart => OR.merge(cart, delta);
const items = (cart: Cart) => OR.lines(cart).map((l) => l.item);
const unionItems = (cart: U.UnionCart) => cart.map((l) => l.item);

describe('concurrent adds', () => {
  it('both survive, in both models', () => {
    const [a, b] = [tagger('a'), tagger('b')];
    const orA = apply(OR.empty(), OR.add(OR.empty(), 'book', 1, a()));
    const orB = apply(OR.empty(), OR.add(OR.empty(), 'pen', 1, b()));
    expect(items(OR.merge(orA, orB))).toEqual(['book', 'pen']);

    const unA = U.add([], 'book', 1);
    const unB = U.add([], 'pen', 1);
    expect(unionItems(U.merge(unA, unB))).toEqual(['book', 'pen']);
  });

  it('the same item added on two replicas is one line (quantities do not add up)', () => {
    const [a, b] = [tagger('a'), tagger('b')];
    const merged = OR.merge(OR.add(OR.empty(), 'cup', 1, a()), OR.add(OR.empty(), 'cup', 1, b()));
    expect(OR.lines(merged)).toEqual([{ item: 'cup', qty: 1 }]);
  });
});

describe('a remove and a concurrent sibling (the paper\'s resurfacing delete)', () => {
  // Both siblings start from a cart holding a cup. One removes the cup; the other, not having seen
  // that, adds a pen. Dynamo keeps both as siblings and the next reader merges them.
  const base = tagger('base');
  const start = apply(OR.empty(), OR.add(OR.empty(), 'cup', 1, base()));
  const [a, b] = [tagger('a'), tagger('b')];
  const removedHere = apply(start, OR.remove(start, 'cup'));
  const addedThere = apply(start, OR.add(start, 'pen', 1, b()));

  it('union merge: the removed cup comes back', () => {
    const uStart = U.add([], 'cup', 1);
    const merged = U.merge(U.remove(uStart, 'cup'), U.add(uStart, 'pen', 1));
    expect(unionItems(merged)).toEqual(['cup', 'pen']);
  });

  it('OR-set: the cup stays removed and the pen is kept', () => {
    expect(items(OR.merge(removedHere, addedThere))).toEqual(['pen']);
    expect(items(OR.merge(addedThere, removedHere))).toEqual(['pen']);
  });

  it('OR-set: a concurrent re-add of the removed item survives the remove (add wins)', () => {
    const readded = apply(start, OR.add(start, 'cup', 1, a())); // a quantity change: 1 -> 2, new tag
    const merged = OR.merge(removedHere, readded);
    expect(OR.lines(merged)).toEqual([{ item: 'cup', qty: 2 }]);
  });

  it('OR-set: a remove after seeing the re-add removes it too', () => {
    const readded = apply(start, OR.add(start, 'cup', 1, a()));
    const seenBoth = OR.merge(removedHere, readded);
    expect(items(apply(seenBoth, OR.remove(seenBoth, 'cup')))).toEqual([]);
  });
});

describe('quantities', () => {
  const base = tagger('base');
  const start = apply(OR.empty(), OR.setQuantity(OR.empty(), 'pen', 2, base()));
  const [a, b] = [tagger('a'), tagger('b')];

  it('concurrent changes of one item resolve to the larger, in any merge order, keeping the item', () => {
    const x = apply(start, OR.setQuantity(start, 'pen', 3, a()));
    const y = apply(start, OR.setQuantity(start, 'pen', 5, b()));
    expect(OR.lines(OR.merge(x, y))).toEqual([{ item: 'pen', qty: 5 }]);
    expect(OR.merge(x, y)).toEqual(OR.merge(y, x));
  });

  it('the next change collapses the concurrent entries into one', () => {
    const x = apply(start, OR.setQuantity(start, 'pen', 3, a()));
    const y = apply(start, OR.setQuantity(start, 'pen', 5, b()));
    const merged = OR.merge(x, y);
    expect(merged.entries).toHaveLength(2);
    const next = apply(merged, OR.setQuantity(merged, 'pen', 1, a()));
    expect(next.entries).toHaveLength(1);
    expect(OR.lines(next)).toEqual([{ item: 'pen', qty: 1 }]);
  });

  it('a quantity change wins over a concurrent remove', () => {
    const changed = apply(start, OR.setQuantity(start, 'pen', 4, a()));
    const removed = apply(start, OR.remove(start, 'pen'));
    expect(OR.lines(OR.merge(changed, removed))).toEqual([{ item: 'pen', qty: 4 }]);
  });

  it('setting 0 removes; quantities are capped', () => {
    expect(items(apply(start, OR.setQuantity(start, 'pen', 0, a())))).toEqual([]);
    expect(OR.quantity(apply(start, OR.setQuantity(start, 'pen', 1e6, a())), 'pen')).toBe(OR.MAX_QTY);
  });
});

describe('deltas: how the page replays a shopper\'s unacknowledged change', () => {
  it('replaying a delta onto a newer read is idempotent and removes only what the shopper saw', () => {
    const [s, other] = [tagger('s'), tagger('o')];
    const seen = apply(OR.empty(), OR.add(OR.empty(), 'cup', 1, s()));
    const intent = OR.remove(seen, 'cup');
    // Meanwhile another tab re-added the cup (a new tag) and added a lamp.
    const newer = apply(apply(seen, OR.add(seen, 'cup', 1, other())), OR.add(seen, 'lamp', 1, other()));
    const once = apply(newer, intent);
    expect(apply(once, intent)).toEqual(once);
    expect(OR.lines(once)).toEqual([
      { item: 'cup', qty: 2 },
      { item: 'lamp', qty: 1 },
    ]);
  });

  it('clear removes every observed line', () => {
    const t = tagger('t');
    let cart = OR.empty();
    for (const item of ['book', 'pen', 'cup']) cart = apply(cart, OR.add(cart, item, 1, t()));
    expect(items(apply(cart, OR.clear(cart)))).toEqual([]);
  });
});

describe('parse', () => {
  it('round-trips a cart through JSON', () => {
    const t = tagger('t');
    const cart = apply(OR.empty(), OR.add(OR.empty(), 'book', 2, t()));
    expect(OR.parse(JSON.parse(JSON.stringify(cart)))).toEqual(cart);
  });

  it('reads a plain list of names the same way on every tab', () => {
    expect(OR.parse(['book', 'pen', 'book'])).toEqual({
      entries: [
        { item: 'book', qty: 1, tag: 'plain:book' },
        { item: 'pen', qty: 1, tag: 'plain:pen' },
      ],
      removed: [],
    });
  });

  it('rejects what is not a cart', () => {
    for (const bad of [null, 3, 'cart', { entries: [] }, { entries: [{ item: 'x', qty: 0, tag: 't' }], removed: [] }, { entries: [], removed: [1] }, [1]]) {
      expect(OR.parse(bad)).toBeUndefined();
    }
  });
});

// --- laws --------------------------------------------------------------------------------------

const arbTag = fc.constantFrom('a:1', 'a:2', 'b:1', 'b:2', 'c:1', 'c:2', 'c:3');
const arbItem = fc.constantFrom('book', 'pen', 'cup');
// Arbitrary carts, not only reachable ones: tags overlap across carts and may even disagree on an
// entry's body, so the laws are checked beyond what honest tabs produce.
const arbCart: fc.Arbitrary<Cart> = fc
  .record({
    entries: fc.array(fc.record({ item: arbItem, qty: fc.integer({ min: 1, max: 4 }), tag: arbTag }), { maxLength: 6 }),
    removed: fc.array(arbTag, { maxLength: 4 }),
  })
  .map((c) => OR.merge(OR.empty(), c));

/** Three tabs applying random operations and now and then merging another's state: reachable carts. */
type Op = { tab: number; kind: 'add' | 'set' | 'remove' | 'clear' | 'sync'; item: string; n: number; from: number };
const arbOps = fc.array(
  fc.record({
    tab: fc.integer({ min: 0, max: 2 }),
    kind: fc.constantFrom<Op['kind']>('add', 'add', 'set', 'remove', 'clear', 'sync', 'sync'),
    item: arbItem,
    n: fc.integer({ min: 0, max: 5 }),
    from: fc.integer({ min: 0, max: 2 }),
  }),
  { maxLength: 30 },
);

function run(ops: Op[]): { tabs: Cart[]; added: Set<string>; removed: Set<string> } {
  const tags = [tagger('x'), tagger('y'), tagger('z')];
  const tabs = [OR.empty(), OR.empty(), OR.empty()];
  const added = new Set<string>();
  const removed = new Set<string>();
  for (const op of ops) {
    const cart = tabs[op.tab]!;
    const tag = tags[op.tab]!;
    let delta: Cart;
    if (op.kind === 'add') delta = OR.add(cart, op.item, Math.max(1, op.n), tag());
    else if (op.kind === 'set') delta = OR.setQuantity(cart, op.item, op.n, tag());
    else if (op.kind === 'remove') delta = OR.remove(cart, op.item);
    else if (op.kind === 'clear') delta = OR.clear(cart);
    else delta = tabs[op.from]!;
    for (const e of delta.entries) added.add(e.tag);
    for (const t of delta.removed) removed.add(t);
    tabs[op.tab] = OR.merge(cart, delta);
  }
  return { tabs, added, removed };
}

describe('OR-set merge laws (fast-check)', () => {
  it('is commutative, associative and idempotent on arbitrary carts', () => {
    fc.assert(
      fc.property(arbCart, arbCart, arbCart, (a, b, c) => {
        expect(OR.merge(a, b)).toEqual(OR.merge(b, a));
        expect(OR.merge(OR.merge(a, b), c)).toEqual(OR.merge(a, OR.merge(b, c)));
        expect(OR.merge(a, a)).toEqual(a);
        expect(OR.merge(a, OR.empty())).toEqual(a);
      }),
      { numRuns: 500 },
    );
  });

  it('on reachable histories: no add is lost unless a remove saw its tag; the union never shows fewer items', () => {
    fc.assert(
      fc.property(arbOps, (ops) => {
        const { tabs, added, removed } = run(ops);
        const merged = OR.mergeAll(tabs);
        const live = new Set(merged.entries.map((e) => e.tag));
        const everywhere = new Set(tabs.flatMap((t) => t.entries.map((e) => e.tag)));
        for (const tag of added) {
          if (everywhere.has(tag) && !removed.has(tag)) expect(live.has(tag)).toBe(true);
          if (removed.has(tag)) expect(live.has(tag)).toBe(false);
        }
        const union = unionItems(U.mergeAll(tabs.map(OR.lines)));
        for (const item of items(merged)) expect(union).toContain(item);
        // Merge order does not matter: every permutation of the three siblings gives one cart.
        const [x, y, z] = tabs as [Cart, Cart, Cart];
        expect(OR.mergeAll([z, x, y])).toEqual(merged);
        expect(OR.mergeAll([y, z, x])).toEqual(merged);
      }),
      { numRuns: 300 },
    );
  });
});

describe('union merge laws (fast-check)', () => {
  const arbUnion = fc.array(fc.record({ item: arbItem, qty: fc.integer({ min: 1, max: 4 }) }), { maxLength: 4 }).map((ls) => U.mergeAll([ls]));
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(arbUnion, arbUnion, arbUnion, (a, b, c) => {
        expect(U.merge(a, b)).toEqual(U.merge(b, a));
        expect(U.merge(U.merge(a, b), c)).toEqual(U.merge(a, U.merge(b, c)));
        expect(U.merge(a, a)).toEqual(a);
      }),
    );
  });
});
