// Tests for core/ring.ts: strategy-3 partition assignment and preference lists (paper §4.2, §4.3, §6.2).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_Q,
  assign,
  clockwise,
  createRing,
  members,
  movedPartitions,
  ownerOf,
  ownershipCounts,
  partitionsOf,
} from '../../src/core/ring';
import { isRing, type Ring } from '../../src/core/protocol/ring';
import type { NodeId } from '../../src/ports/transport';

// ---------------------------------------------------------------------------------------------------
// Helpers

const ids = (n: number, prefix = 'n'): NodeId[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);

/** Counts per member, including members that own nothing (possible only when S > Q). */
function countsOver(ring: Ring, memberIds: readonly NodeId[]): number[] {
  const counts = ownershipCounts(ring);
  return memberIds.map((id) => counts.get(id) ?? 0);
}

function expectBalanced(ring: Ring, memberIds: readonly NodeId[]): void {
  const counts = countsOver(ring, memberIds);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  expect(counts.reduce((a, b) => a + b, 0)).toBe(ring.q);
  const allowed = new Set(memberIds);
  expect(ring.owners.filter((o) => !allowed.has(o))).toEqual([]);
}

/** Builds a ring by joining `memberIds` one at a time, as a live room does. */
function grow(q: number, memberIds: readonly NodeId[]): Ring {
  let ring = createRing(q, memberIds[0]!);
  for (let i = 2; i <= memberIds.length; i++) ring = assign(ring, memberIds.slice(0, i));
  return ring;
}

/** Share of partitions whose n-partition window clockwise holds min(n, S) distinct owners. */
function windowSpread(ring: Ring, n: number): number {
  const s = members(ring).length;
  let good = 0;
  for (let p = 0; p < ring.q; p++) {
    const window = new Set<NodeId>();
    for (let i = 0; i < n; i++) window.add(ring.owners[(p + i) % ring.q]!);
    if (window.size === Math.min(n, s)) good++;
  }
  return good / ring.q;
}

// Arbitraries: a partition count, and a history of joins and leaves over a pool of ids.
const qArb = fc.constantFrom(1, 2, 4, 8, 16, 64, 256, 256, 256, 1024);
const pool = ids(24);
type Step = { join: boolean; pick: number };
const historyArb = fc.array(fc.record({ join: fc.boolean(), pick: fc.nat() }), { minLength: 1, maxLength: 25 });

/** Replays a history; yields each (before, after, member set) so properties can check every step. */
function* replay(q: number, steps: readonly Step[]): Generator<{ before: Ring; after: Ring; ids: NodeId[]; joined?: NodeId; left?: NodeId }> {
  let current = [pool[0]!];
  let ring = createRing(q, pool[0]!);
  for (const { join, pick } of steps) {
    const outside = pool.filter((id) => !current.includes(id));
    const joining = join || current.length === 1;
    if (joining && outside.length === 0) continue;
    const id = joining ? outside[pick % outside.length]! : current[pick % current.length]!;
    current = joining ? [...current, id] : current.filter((x) => x !== id);
    const before = ring;
    ring = assign(ring, current);
    yield joining ? { before, after: ring, ids: current, joined: id } : { before, after: ring, ids: current, left: id };
  }
}

// ---------------------------------------------------------------------------------------------------
// Building rings

describe('createRing / assign basics', () => {
  it('a ring of one node owns everything, and every list is that node', () => {
    const ring = createRing(256, 'solo');
    expect(ring.q).toBe(256);
    expect(new Set(ring.owners)).toEqual(new Set(['solo']));
    expect(clockwise(ring, 17, 3)).toEqual(['solo']);
    expect(clockwise(ring, 0)).toEqual(['solo']);
    expect(members(ring)).toEqual(['solo']);
  });

  it('defaults to Q = 256 and keeps Q from the previous ring', () => {
    expect(DEFAULT_Q).toBe(256);
    expect(assign(undefined, ['a', 'b']).q).toBe(256);
    expect(assign(createRing(64, 'a'), ['a', 'b']).q).toBe(64);
  });

  it('rejects bad Q, an empty member set, bad ids, a malformed previous ring and a change of Q', () => {
    for (const q of [0, 3, 100, 131072, 1.5]) expect(() => createRing(q, 'a')).toThrow(RangeError);
    expect(() => assign(undefined, [])).toThrow(RangeError);
    expect(() => assign(undefined, ['a', ''])).toThrow(TypeError);
    expect(() => assign({ q: 4, owners: ['a'] }, ['a'])).toThrow(TypeError);
    expect(() => assign(createRing(64, 'a'), ['a'], 128)).toThrow(RangeError);
  });

  it('is plain JSON: a ring survives a round trip through gossip', () => {
    const ring = grow(64, ids(5));
    const copy: unknown = JSON.parse(JSON.stringify(ring));
    expect(isRing(copy)).toBe(true);
    expect(copy).toEqual(ring);
  });

  it('a fresh ring is dealt round-robin: balanced, and any 3 consecutive partitions are distinct', () => {
    for (const s of [3, 4, 5, 6, 7, 10, 33, 64]) {
      const ring = assign(undefined, ids(s));
      expectBalanced(ring, ids(s));
      // Q = 256 is not a multiple of 3, so three nodes cannot avoid every repeat on a circle.
      if (s > 3) expect(windowSpread(ring, 3)).toBe(1);
    }
  });

  it('Q = 256 with 1..64 nodes joining one by one stays balanced and moves only what joins take', () => {
    const all = ids(64);
    let ring = createRing(256, all[0]!);
    for (let s = 2; s <= 64; s++) {
      const next = assign(ring, all.slice(0, s));
      expectBalanced(next, all.slice(0, s));
      const moves = movedPartitions(ring, next);
      expect(moves.every((m) => m.to === all[s - 1])).toBe(true);
      expect(moves).toHaveLength(partitionsOf(next, all[s - 1]!).length);
      ring = next;
    }
  });

  it('more members than partitions: every partition has an owner, the rest own nothing', () => {
    const ring = assign(createRing(4, 'a'), ids(6));
    expectBalanced(ring, ids(6));
    expect(members(ring)).toHaveLength(4);
  });

  it('handles Q = 65536 quickly enough for a join', () => {
    const ring = assign(createRing(65536, 'a'), ['a', 'b', 'c']);
    expectBalanced(ring, ['a', 'b', 'c']);
  });
});

// ---------------------------------------------------------------------------------------------------
// Properties of rebalancing

describe('assign properties', () => {
  it('every node ends within one partition of every other after any history of joins and leaves', () => {
    fc.assert(
      fc.property(qArb, historyArb, (q, steps) => {
        for (const { after, ids: now } of replay(q, steps)) expectBalanced(after, now);
      }),
      { numRuns: 150 },
    );
  });

  it('a join moves exactly the partitions the newcomer gets; a leave moves only the leaver’s', () => {
    fc.assert(
      fc.property(qArb, historyArb, (q, steps) => {
        for (const { before, after, joined, left } of replay(q, steps)) {
          const moves = movedPartitions(before, after);
          if (joined !== undefined) {
            expect(moves.every((m) => m.to === joined)).toBe(true);
            expect(moves).toHaveLength(partitionsOf(after, joined).length);
          } else {
            expect(moves.every((m) => m.from === left)).toBe(true);
            expect(moves).toHaveLength(partitionsOf(before, left!).length);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('any membership change moves the minimum: no node both gives and receives, departed nodes keep nothing', () => {
    fc.assert(
      fc.property(qArb, fc.subarray(pool, { minLength: 1 }), fc.subarray(pool, { minLength: 1 }), (q, from, to) => {
        const before = assign(undefined, from, q);
        const after = assign(before, to);
        expectBalanced(after, to);
        const moves = movedPartitions(before, after);
        const givers = new Set(moves.map((m) => m.from));
        const takers = new Set(moves.map((m) => m.to));
        for (const t of takers) expect(givers.has(t)).toBe(false);
        // Moves = what departed nodes held + what survivors and newcomers must gain.
        const gained = to.reduce((s, id) => s + Math.max(0, partitionsOf(after, id).length - partitionsOf(before, id).length), 0);
        expect(moves).toHaveLength(gained);
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: the member list’s order and duplicates do not matter', () => {
    const shuffledIds = fc.uniqueArray(fc.constantFrom(...pool), { minLength: 1 }); // random order
    fc.assert(
      fc.property(qArb, shuffledIds, shuffledIds, (q, from, to) => {
        const before = grow(q, from);
        const sorted = [...to].sort();
        const withDuplicates = [...to, ...to.slice(0, 2)];
        expect(assign(before, withDuplicates)).toEqual(assign(before, sorted));
        expect(assign(undefined, withDuplicates, q)).toEqual(assign(undefined, sorted, q));
      }),
      { numRuns: 100 },
    );
  });

  it('the same membership again changes nothing', () => {
    fc.assert(
      fc.property(qArb, historyArb, (q, steps) => {
        for (const { after, ids: now } of replay(q, steps)) expect(assign(after, now)).toEqual(after);
      }),
      { numRuns: 50 },
    );
  });

  it('a join into a well-spread ring keeps any 3 consecutive partitions distinct', () => {
    // The newcomer is the only receiver, so its id plays no part: S and Q are the whole input space.
    for (const q of [64, 256, 1024]) {
      for (let s = 4; s <= Math.min(40, q / 2); s++) {
        const before = assign(undefined, ids(s), q);
        expect(windowSpread(before, 3)).toBe(1);
        expect(windowSpread(assign(before, [...ids(s), 'newcomer']), 3)).toBe(1);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Reading rings

/** A ring from a random history, for the read-side properties. */
const ringArb = fc.tuple(qArb, historyArb).map(([q, steps]) => {
  let ring = createRing(q, pool[0]!);
  for (const { after } of replay(q, steps)) ring = after;
  return ring;
});

describe('preference lists', () => {
  it('hold min(n, S) distinct nodes and start at the partition’s owner', () => {
    fc.assert(
      fc.property(ringArb, fc.nat(), fc.integer({ min: 0, max: 8 }), (ring, pick, n) => {
        const p = pick % ring.q;
        const list = clockwise(ring, p, n);
        expect(list).toHaveLength(Math.min(n, members(ring).length));
        expect(new Set(list).size).toBe(list.length);
        if (n > 0) expect(list[0]).toBe(ownerOf(ring, p));
      }),
    );
  });

  it('the whole walk lists every member exactly once, the preference list first', () => {
    fc.assert(
      fc.property(ringArb, fc.nat(), fc.integer({ min: 0, max: 8 }), (ring, pick, n) => {
        const p = pick % ring.q;
        const all = clockwise(ring, p);
        expect([...all].sort()).toEqual(members(ring));
        expect(all.slice(0, n)).toEqual(clockwise(ring, p, n));
      }),
    );
  });

  it('walks clockwise and wraps around', () => {
    const ring: Ring = { q: 8, owners: ['a', 'a', 'b', 'c', 'a', 'b', 'd', 'd'] };
    expect(clockwise(ring, 0, 3)).toEqual(['a', 'b', 'c']);
    expect(clockwise(ring, 6, 3)).toEqual(['d', 'a', 'b']);
    expect(clockwise(ring, 5, 10)).toEqual(['b', 'd', 'a', 'c']);
    expect(clockwise(ring, 7)).toEqual(['d', 'a', 'b', 'c']);
  });

  it('rejects partitions out of range and bad n', () => {
    const ring = createRing(8, 'a');
    expect(() => clockwise(ring, 8, 3)).toThrow(RangeError);
    expect(() => clockwise(ring, -1, 3)).toThrow(RangeError);
    expect(() => clockwise(ring, 0, -1)).toThrow(RangeError);
    expect(() => clockwise(ring, 1.5)).toThrow(RangeError);
  });
});

describe('ownership queries', () => {
  it('partitionsOf, ownershipCounts and members agree with the owners array', () => {
    fc.assert(
      fc.property(ringArb, (ring) => {
        const counts = ownershipCounts(ring);
        expect([...counts.keys()]).toEqual(members(ring));
        for (const node of members(ring)) {
          const mine = partitionsOf(ring, node);
          expect(mine).toHaveLength(counts.get(node)!);
          expect(mine.every((p) => ring.owners[p] === node)).toBe(true);
        }
        expect(partitionsOf(ring, 'nobody')).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });

  it('movedPartitions lists each changed owner once, ascending, and refuses different Q', () => {
    const a: Ring = { q: 4, owners: ['x', 'y', 'x', 'y'] };
    const b: Ring = { q: 4, owners: ['x', 'z', 'x', 'x'] };
    expect(movedPartitions(a, b)).toEqual([
      { partition: 1, from: 'y', to: 'z' },
      { partition: 3, from: 'y', to: 'x' },
    ]);
    expect(movedPartitions(a, a)).toEqual([]);
    expect(() => movedPartitions(a, createRing(8, 'x'))).toThrow(RangeError);
  });
});

describe('isRing', () => {
  it('accepts rings and rejects anything malformed a peer might send', () => {
    expect(isRing(createRing(1, 'a'))).toBe(true);
    expect(isRing({ q: 2, owners: ['a', 'b'], extra: 1 })).toBe(true);
    for (const bad of [
      null,
      undefined,
      'ring',
      [],
      { q: 2 },
      { owners: ['a', 'b'] },
      { q: 3, owners: ['a', 'b', 'c'] },
      { q: 2, owners: ['a'] },
      { q: 2, owners: ['a', ''] },
      { q: 2, owners: ['a', 7] },
      { q: '2', owners: ['a', 'b'] },
      { q: 0, owners: [] },
      { q: 131072, owners: [] },
    ]) {
      expect(isRing(bad)).toBe(false);
    }
  });
});
