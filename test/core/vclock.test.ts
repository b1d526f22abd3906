// Version vectors (paper §4.4): the classic riak_core vclock_tests / Voldemort VectorClockTest cases
// plus fast-check properties of merge and prune.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ValidationError } from '../../src/core/errors';
import * as vc from '../../src/core/vclock';
import type { VClock } from '../../src/core/vclock';

/** `c({a: 2, b: 1})` → clock with ts = 0, or `c({a: [2, 50]})` for an explicit ts. */
function c(spec: Record<string, number | [number, number]>): VClock {
  return vc.fromEntries(
    Object.entries(spec).map(([node, v]) => (Array.isArray(v) ? { node, counter: v[0], ts: v[1] } : { node, counter: v, ts: 0 })),
  );
}

const arbEntries = fc.uniqueArray(
  fc.record({ node: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'), counter: fc.integer({ min: 1, max: 5 }), ts: fc.integer({ min: 0, max: 20 }) }),
  { selector: (e) => e.node, maxLength: 12 },
);
const arbClock = arbEntries.map((es) => vc.fromEntries(es));

describe('vclock: compare', () => {
  it('empty clocks are equal', () => {
    expect(vc.compare(vc.empty(), vc.empty())).toBe('equal');
    expect(vc.descends(vc.empty(), vc.empty())).toBe(true);
  });

  it('equal ignores timestamps and entry order', () => {
    expect(vc.compare(c({ a: [1, 5], b: 2 }), c({ b: [2, 9], a: 1 }))).toBe('equal');
    expect(vc.equals(c({ a: 1 }), c({ a: 1 }))).toBe(true);
  });

  it('before / after (riak example_test)', () => {
    const a = c({ x: 1 });
    const b = vc.increment(a, 'y', 1);
    expect(vc.compare(a, b)).toBe('before');
    expect(vc.compare(b, a)).toBe('after');
    expect(vc.descends(b, a)).toBe(true);
    expect(vc.descends(a, b)).toBe(false);
    expect(vc.compare(vc.empty(), a)).toBe('before');
  });

  it('concurrent when each has an event the other lacks', () => {
    const base = c({ x: 1 });
    const a = vc.increment(base, 'a', 1);
    const b = vc.increment(base, 'b', 1);
    expect(vc.compare(a, b)).toBe('concurrent');
    expect(vc.descends(a, b) || vc.descends(b, a)).toBe(false);
    expect(vc.compare(c({ a: 2, b: 1 }), c({ a: 1, b: 2 }))).toBe('concurrent');
  });
});

describe('vclock: increment, dots, covers', () => {
  it('increment adds a counter and grows an existing one (riak accessor/increment)', () => {
    const one = vc.increment(vc.empty(), 'a', 10);
    expect(one).toEqual([{ node: 'a', counter: 1, ts: 10 }]);
    const two = vc.increment(one, 'a', 20);
    expect(vc.counter(two, 'a')).toBe(2);
    expect(vc.counter(two, 'zz')).toBe(0);
    expect(two[0]?.ts).toBe(20);
  });

  it('nextDot and covers', () => {
    const clock = c({ a: 3, b: 1 });
    expect(vc.nextDot(clock, 'a')).toEqual({ node: 'a', counter: 4 });
    expect(vc.nextDot(clock, 'z')).toEqual({ node: 'z', counter: 1 });
    expect(vc.covers(clock, { node: 'a', counter: 3 })).toBe(true);
    expect(vc.covers(clock, { node: 'a', counter: 4 })).toBe(false);
    expect(vc.covers(clock, { node: 'z', counter: 1 })).toBe(false);
  });

  it('addDot never lowers a counter', () => {
    expect(vc.counter(vc.addDot(c({ a: 5 }), { node: 'a', counter: 2 }, 0), 'a')).toBe(5);
  });
});

describe('vclock: merge', () => {
  it('merges disjoint clocks (riak merge_test)', () => {
    expect(vc.merge(c({ a: 1 }), c({ b: 2 }))).toEqual(c({ a: 1, b: 2 }));
  });

  it('merges overlapping clocks by pointwise max, keeping the ts of the max', () => {
    const m = vc.merge(c({ a: [3, 30], b: [1, 10], c: [1, 1] }), c({ a: [1, 99], b: [4, 40], d: [2, 2] }));
    expect(m).toEqual(c({ a: [3, 30], b: [4, 40], c: [1, 1], d: [2, 2] }));
  });

  it('merge with less on either side (riak merge_less_left / merge_less_right)', () => {
    expect(vc.merge(c({ a: 5 }), c({ a: 6 }))).toEqual(c({ a: 6 }));
    expect(vc.merge(c({ a: 6 }), c({ a: 5 }))).toEqual(c({ a: 6 }));
  });

  it('equal counters with different ts take the larger ts, both ways', () => {
    expect(vc.merge(c({ a: [2, 5] }), c({ a: [2, 7] }))).toEqual(c({ a: [2, 7] }));
    expect(vc.merge(c({ a: [2, 7] }), c({ a: [2, 5] }))).toEqual(c({ a: [2, 7] }));
  });

  it('is commutative, associative, idempotent and an upper bound', () => {
    fc.assert(
      fc.property(arbClock, arbClock, arbClock, (a, b, x) => {
        expect(vc.merge(a, b)).toEqual(vc.merge(b, a));
        expect(vc.merge(vc.merge(a, b), x)).toEqual(vc.merge(a, vc.merge(b, x)));
        expect(vc.merge(a, a)).toEqual(a);
        expect(vc.descends(vc.merge(a, b), a) && vc.descends(vc.merge(a, b), b)).toBe(true);
      }),
    );
  });

  it('compare is consistent with descends', () => {
    fc.assert(
      fc.property(arbClock, arbClock, (a, b) => {
        const o = vc.compare(a, b);
        const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
        expect(vc.compare(b, a)).toBe(flip[o]);
        expect(o === 'after' || o === 'equal').toBe(vc.descends(a, b));
      }),
    );
  });
});

// The straightforward map-based forms that compare and merge replaced with single sorted walks.
function refDescends(a: VClock, b: VClock): boolean {
  const ia = new Map(a.map((e) => [e.node, e.counter]));
  return b.every((e) => (ia.get(e.node) ?? 0) >= e.counter);
}
function refMerge(a: VClock, b: VClock): VClock {
  const m = new Map(a.map((e) => [e.node, e]));
  for (const e of b) {
    const mine = m.get(e.node);
    m.set(e.node, mine === undefined || e.counter > mine.counter || (e.counter === mine.counter && e.ts > mine.ts) ? e : mine);
  }
  return [...m.values()].sort((x, y) => (x.node < y.node ? -1 : x.node > y.node ? 1 : 0));
}

describe('vclock: the sorted walks agree with the map-based reference', () => {
  it('descends, compare and merge', () => {
    fc.assert(
      fc.property(arbClock, arbClock, (a, b) => {
        expect(vc.descends(a, b)).toBe(refDescends(a, b));
        const ab = refDescends(a, b);
        const ba = refDescends(b, a);
        expect(vc.compare(a, b)).toBe(ab && ba ? 'equal' : ab ? 'after' : ba ? 'before' : 'concurrent');
        expect(vc.merge(a, b)).toEqual(refMerge(a, b));
      }),
      { numRuns: 500 },
    );
  });

  it('merge returns an argument itself when the other adds nothing', () => {
    const big = c({ a: 3, b: 2 });
    expect(vc.merge(big, c({ a: 1 }))).toBe(big);
    expect(vc.merge(c({ b: 1 }), big)).toBe(big);
    expect(vc.merge(big, vc.empty())).toBe(big);
    expect(vc.merge(c({ a: [3, 0] }), c({ a: [3, 5] }))).toEqual(c({ a: [3, 5] })); // a larger ts is new
  });

  it('fromJson sorts a clock that arrives out of order and still rejects duplicates', () => {
    expect(vc.fromJson([['b', 1, 0], ['a', 2, 0]])).toEqual(c({ a: 2, b: 1 }));
    expect(() => vc.fromJson([['a', 1, 0], ['a', 2, 0]])).toThrow(ValidationError);
  });
});

describe('vclock: prune', () => {
  const eleven = vc.fromEntries('abcdefghijk'.split('').map((node, i) => ({ node, counter: 1, ts: 100 - i })));

  it('leaves a small clock alone (riak prune_small_test)', () => {
    const small = c({ a: 1, b: 1 });
    expect(vc.prune(small, { maxEntries: 10 })).toBe(small);
  });

  it('removes the oldest-ts entries first down to maxEntries (default 10)', () => {
    const pruned = vc.prune(eleven);
    expect(pruned.length).toBe(10);
    expect(pruned.map((e) => e.node)).not.toContain('k'); // k has the smallest ts
    expect(vc.prune(eleven, { maxEntries: 8 }).map((e) => e.node)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('breaks ts ties by node id', () => {
    const tied = c({ m: [1, 5], b: [1, 5], z: [1, 5], a: [1, 9] });
    expect(vc.prune(tied, { maxEntries: 2 }).map((e) => e.node)).toEqual(['a', 'z']);
  });

  it('never drops kept nodes or young entries (may stay above maxEntries)', () => {
    expect(vc.prune(eleven, { maxEntries: 8, keep: ['k'] }).map((e) => e.node)).toContain('k');
    const young = vc.prune(eleven, { maxEntries: 1, now: 100, minAgeMs: 5 });
    expect(young.map((e) => e.node)).toEqual(['a', 'b', 'c', 'd', 'e']); // ts 100..96 are younger than 5 ms
  });

  it('is deterministic under any permutation of the entries', () => {
    fc.assert(
      fc.property(arbEntries, fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 1_000_000 }), (es, max, seed) => {
        const shuffled = shuffle(es, seed);
        expect(vc.prune(vc.fromEntries(shuffled), { maxEntries: max })).toEqual(vc.prune(vc.fromEntries(es), { maxEntries: max }));
        expect(vc.prune(vc.fromEntries(es), { maxEntries: max }).length).toBe(Math.min(es.length, max));
      }),
    );
  });
});

describe('vclock: canonical JSON', () => {
  it('same clock, same serialization regardless of insertion order', () => {
    const x = vc.merge(vc.increment(vc.empty(), 'b', 1), vc.increment(vc.empty(), 'a', 2));
    const y = vc.merge(vc.increment(vc.empty(), 'a', 2), vc.increment(vc.empty(), 'b', 1));
    expect(JSON.stringify(vc.toJson(x))).toBe(JSON.stringify(vc.toJson(y)));
    expect(vc.toJson(x)).toEqual([['a', 1, 2], ['b', 1, 1]]);
  });

  it('sorts by code unit, not locale', () => {
    expect(c({ b: 1, B: 1, a: 1 }).map((e) => e.node)).toEqual(['B', 'a', 'b']);
  });

  it('round-trips through JSON', () => {
    fc.assert(
      fc.property(arbClock, (x) => {
        expect(vc.fromJson(JSON.parse(JSON.stringify(vc.toJson(x))))).toEqual(x);
      }),
    );
  });

  it.each<[string, unknown]>([
    ['not an array', { a: 1 }],
    ['entry not a triple', [['a', 1]]],
    ['empty node', [['', 1, 0]]],
    ['node not a string', [[7, 1, 0]]],
    ['zero counter', [['a', 0, 0]]],
    ['negative counter', [['a', -1, 0]]],
    ['fractional counter', [['a', 1.5, 0]]],
    ['string counter', [['a', '1', 0]]],
    ['negative ts', [['a', 1, -1]]],
    ['infinite ts', [['a', 1, Infinity]]],
    ['duplicate node', [['a', 1, 0], ['a', 2, 0]]],
  ])('rejects %s', (_, json) => {
    expect(() => vc.fromJson(json)).toThrow(ValidationError);
  });
});

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
