// The sibling resolvers (src/client/orset, ormap, counter, lww): merges are commutative, associative
// and idempotent (property tests), each keeps its documented semantics, and parse refuses what is not its shape.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as counter from '../../src/client/counter';
import * as lww from '../../src/client/lww';
import * as ormap from '../../src/client/ormap';
import * as orset from '../../src/client/orset';
import type { Json } from '../../src/ports/storage';

const element: fc.Arbitrary<Json> = fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 3 }), fc.constant({ x: 1, y: [2] } as Json));
const tag = fc.constantFrom('t1', 't2', 't3', 't4', 't5', 't6');
const sets = fc
  .array(fc.tuple(fc.boolean(), element, tag), { maxLength: 8 })
  .map((ops) => ops.reduce((s, [isAdd, v, t]) => (isAdd ? orset.add(s, v, t) : orset.remove(s, v)), orset.empty()));
const maps = fc
  .array(fc.tuple(fc.boolean(), fc.constantFrom('k1', 'k2'), element, tag), { maxLength: 8 })
  .map((ops) => ops.reduce((m, [isSet, k, v, t]) => (isSet ? ormap.set(m, k, v, t) : ormap.remove(m, k)), ormap.empty()));
const counters = fc
  .array(fc.tuple(fc.boolean(), fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 5 })), { maxLength: 8 })
  .map((ops) => ops.reduce((c, [up, actor, by]) => (up ? counter.increment(c, actor, by) : counter.decrement(c, actor, by)), counter.empty()));
const registers = fc.tuple(element, fc.constantFrom('a', 'b'), fc.integer({ min: 0, max: 3 })).map(([v, by, ts]) => lww.write(v, by, ts));

function lawful<T>(name: string, arb: fc.Arbitrary<T>, merge: (a: T, b: T) => T) {
  it(`${name}: merge is commutative, associative and idempotent`, () => {
    fc.assert(
      fc.property(arb, arb, arb, (a, b, c) => {
        expect(merge(a, b)).toEqual(merge(b, a));
        expect(merge(merge(a, b), c)).toEqual(merge(a, merge(b, c)));
        expect(merge(a, a)).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });
}

describe('resolver laws', () => {
  lawful('orset', sets, orset.merge);
  lawful('ormap', maps, ormap.merge);
  lawful('counter', counters, counter.merge);
  lawful('lww', registers, lww.merge);
});

describe('orset', () => {
  it('an add the remover never saw wins; a removed tag stays removed', () => {
    const base = orset.add(orset.empty(), 'milk', 't1');
    const removed = orset.remove(base, 'milk');
    const readded = orset.add(base, 'milk', 't2');
    expect(orset.values(orset.merge(removed, readded))).toEqual(['milk']);
    expect(orset.values(orset.merge(removed, base))).toEqual([]);
  });
  it('identifies elements by value, whatever the key order', () => {
    const s = orset.add(orset.empty(), { a: 1, b: 2 }, 't1');
    expect(orset.has(s, { b: 2, a: 1 })).toBe(true);
    expect(orset.values(orset.remove(s, { b: 2, a: 1 }))).toEqual([]);
  });
  it('resolve ignores siblings that are not OR-sets; parse refuses bad shapes', () => {
    const s = orset.add(orset.empty(), 'x', 't1');
    expect(orset.resolve([s, 'junk', null, { adds: 'no', removed: [] }])).toEqual(s);
    expect(orset.parse({ adds: [{ v: 1, tag: '' }], removed: [] })).toBeUndefined();
    expect(orset.parse({ adds: [{ v: 1, tag: 'x'.repeat(201) }], removed: [] })).toBeUndefined();
    expect(orset.parse([])).toBeUndefined();
  });
});

describe('ormap', () => {
  it('keeps both values of concurrent sets until the next set; a set wins over a concurrent remove', () => {
    const base = ormap.set(ormap.empty(), 'todo1', 'buy milk', 't1');
    const both = ormap.merge(ormap.set(base, 'todo1', 'buy oat milk', 't2'), ormap.set(base, 'todo1', 'buy soy milk', 't3'));
    expect(ormap.get(both, 'todo1')).toEqual(['buy oat milk', 'buy soy milk']);
    expect(ormap.get(ormap.set(both, 'todo1', 'buy milk!', 't4'), 'todo1')).toEqual(['buy milk!']);
    expect(ormap.keys(ormap.merge(ormap.remove(base, 'todo1'), ormap.set(base, 'todo1', 'x', 't5')))).toEqual(['todo1']);
    expect(ormap.entries(ormap.merge(ormap.remove(base, 'todo1'), base))).toEqual([]);
  });
});

describe('counter', () => {
  it('counts concurrent increments of two actors and decrements', () => {
    const base = counter.increment(counter.empty(), 'a', 2);
    const merged = counter.merge(counter.increment(base, 'a'), counter.decrement(counter.increment(base, 'b', 5), 'b'));
    expect(counter.value(merged)).toBe(7);
    expect(() => counter.increment(base, 'a', -1)).toThrow(RangeError);
    expect(() => counter.increment(base, '', 1)).toThrow(RangeError);
    expect(counter.parse({ p: { a: -1 }, n: {} })).toBeUndefined();
    expect(counter.resolve(['junk', merged])).toEqual(merged);
  });
});

describe('lww', () => {
  it('keeps the larger timestamp and drops the other; ties go to the larger writer', () => {
    expect(lww.resolve([lww.write('old', 'a', 1), lww.write('new', 'b', 2)])?.v).toBe('new');
    expect(lww.resolve([lww.write('x', 'a', 5), lww.write('y', 'b', 5)])?.v).toBe('y');
    expect(lww.resolve(['junk'])).toBeUndefined();
    expect(() => lww.write('x', 'a', Number.NaN)).toThrow(RangeError);
  });
});
