// Tests for core/membership.ts: the mergeable history of join/leave/remove changes, the ring folded
// from it, and its persistence (paper §4.8.1).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Membership, MembershipView } from '../../src/core/membership';
import { isChange, MAX_SEQ, type Change, type ChangeKind, type MemberState } from '../../src/core/protocol/membership';
import type { Ring } from '../../src/core/protocol/ring';
import { movedPartitions, ownershipCounts } from '../../src/core/ring';
import { memoryStorage } from '../../src/adapters/memory/storage';
import type { NodeId } from '../../src/ports/transport';

// ---------------------------------------------------------------------------------------------------
// Helpers

const Q = 16;
const NODES = ['a', 'b', 'c', 'd', 'e'];
const KINDS: ChangeKind[] = ['join', 'leave', 'remove'];
const STATE: Record<ChangeKind, MemberState> = { join: 'member', leave: 'left', remove: 'removed' };

const ch = (node: NodeId, kind: ChangeKind, seq: number, by: NodeId = node): Change => ({ node, kind, seq, by });

const changeArb: fc.Arbitrary<Change> = fc.record({
  node: fc.constantFrom(...NODES),
  kind: fc.constantFrom(...KINDS),
  seq: fc.integer({ min: 1, max: 8 }),
  by: fc.constantFrom(...NODES),
});
const historyArb = fc.array(changeArb, { maxLength: 24 });

/** Everything observable about a view, for comparing two of them. */
function snapshot(v: MembershipView) {
  return {
    changes: v.changes().map((c) => ({ ...c })),
    digest: v.digest,
    members: v.members(),
    states: NODES.map((n) => v.stateOf(n)),
    owners: v.ring?.owners,
  };
}

/** Merges one change at a time, reading the ring in between (exercises the incremental refold). */
function mergeOneByOne(changes: readonly Change[], q = Q): MembershipView {
  const v = new MembershipView(q);
  for (const c of changes) {
    v.merge([c]);
    void v.ring;
    void v.members();
  }
  return v;
}

/**
 * Independent reference for a node's state: the kind of its greatest change in the order
 * (seq, by, node, kind rank). Only `node` ties on the same node, so compare seq, by, kind rank.
 */
function referenceStates(changes: readonly Change[]): Map<NodeId, MemberState> {
  const rank: Record<ChangeKind, number> = { join: 0, leave: 1, remove: 2 };
  const last = new Map<NodeId, Change>();
  for (const c of changes) {
    const prev = last.get(c.node);
    const later =
      prev === undefined ||
      c.seq > prev.seq ||
      // Same seq: a leave or removal wins over a concurrent join; then proposer id decides.
      (c.seq === prev.seq && (rank[c.kind] > rank[prev.kind] || (rank[c.kind] === rank[prev.kind] && c.by > prev.by)));
    if (later) last.set(c.node, c);
  }
  return new Map([...last].map(([n, c]) => [n, STATE[c.kind]]));
}

function shuffled<T>(xs: readonly T[], keys: readonly number[]): T[] {
  return xs
    .map((x, i) => ({ x, k: keys[i % Math.max(1, keys.length)] ?? 0, i }))
    .sort((p, q) => p.k - q.k || p.i - q.i)
    .map((p) => p.x);
}

function expectBalanced(ring: Ring, memberIds: readonly NodeId[]): void {
  const counts = ownershipCounts(ring);
  const per = memberIds.map((id) => counts.get(id) ?? 0);
  expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
  expect(per.reduce((a, b) => a + b, 0)).toBe(ring.q);
  expect(ring.owners.filter((o) => !memberIds.includes(o))).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------

describe('membership: merging histories is a CRDT', () => {
  it('merge is commutative: any arrival order gives the same history, digest, members and ring', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.nat(), { minLength: 1, maxLength: 24 }), (changes, keys) => {
        const a = mergeOneByOne(changes);
        const b = mergeOneByOne(shuffled(changes, keys));
        const c = mergeOneByOne([...changes].reverse());
        const d = new MembershipView(Q, changes);
        expect(snapshot(b)).toEqual(snapshot(a));
        expect(snapshot(c)).toEqual(snapshot(a));
        expect(snapshot(d)).toEqual(snapshot(a));
      }),
      { numRuns: 300 },
    );
  });

  it('merge is associative: (A ∪ B) ∪ C equals A ∪ (B ∪ C)', () => {
    fc.assert(
      fc.property(historyArb, historyArb, historyArb, (A, B, C) => {
        const left = new MembershipView(Q, A);
        void left.ring;
        left.merge(B);
        void left.ring;
        left.merge(C);

        const bc = new MembershipView(Q, B);
        bc.merge(C);
        const right = new MembershipView(Q, A);
        void right.ring;
        right.merge(bc.changes());

        expect(snapshot(right)).toEqual(snapshot(left));
      }),
      { numRuns: 300 },
    );
  });

  it('merge is idempotent: merging what is known reports nothing new and changes nothing', () => {
    fc.assert(
      fc.property(historyArb, fc.array(fc.nat(), { maxLength: 24 }), (changes, picks) => {
        const v = new MembershipView(Q, changes);
        const before = snapshot(v);
        expect(v.merge(v.changes())).toBe(false);
        expect(v.merge(changes)).toBe(false);
        // Any subset of known changes, as a fresh copy (not the same objects), is also old news.
        const subset = (changes.length > 0 ? picks : []).map((i) => ({ ...changes[i % changes.length]! }));
        expect(v.merge(subset)).toBe(false);
        expect(snapshot(v)).toEqual(before);
        // And merging with itself doubles nothing.
        expect(new MembershipView(Q, [...changes, ...changes]).changes()).toHaveLength(before.changes.length);
      }),
      { numRuns: 200 },
    );
  });

  it('merge reports true exactly when something new arrived', () => {
    const v = new MembershipView(Q, [ch('a', 'join', 1)]);
    expect(v.merge([ch('a', 'join', 1)])).toBe(false);
    expect(v.merge([ch('b', 'join', 2)])).toBe(true);
    // Same (seq, by, node), different kind: a distinct fact.
    expect(v.merge([ch('b', 'leave', 2)])).toBe(true);
    expect(v.changes()).toHaveLength(3);
  });

  it("a node's state is its last change in (seq, kind, by, node) order", () => {
    fc.assert(
      fc.property(historyArb, (changes) => {
        const v = mergeOneByOne(changes);
        const ref = referenceStates(changes);
        for (const n of NODES) expect(v.stateOf(n)).toBe(ref.get(n));
        expect(v.members()).toEqual([...ref].filter(([, s]) => s === 'member').map(([n]) => n).sort());
        for (const n of NODES) expect(v.isMember(n)).toBe(ref.get(n) === 'member');
      }),
      { numRuns: 300 },
    );
  });

  it('changes() is sorted by seq and holds each distinct change once', () => {
    fc.assert(
      fc.property(historyArb, (changes) => {
        const v = new MembershipView(Q, changes);
        const seqs = v.changes().map((c) => c.seq);
        expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        const distinct = new Set(changes.map((c) => `${c.seq}|${c.by}|${c.node}|${c.kind}`));
        expect(v.changes()).toHaveLength(distinct.size);
        for (const c of changes) expect(v.has(c)).toBe(true);
      }),
    );
  });

  it('different histories have different digests', () => {
    const a = new MembershipView(Q, [ch('a', 'join', 1), ch('b', 'join', 2)]);
    const b = new MembershipView(Q, [ch('a', 'join', 1), ch('b', 'join', 3)]);
    const c = new MembershipView(Q, [ch('a', 'join', 1)]);
    expect(new Set([a.digest, b.digest, c.digest]).size).toBe(3);
    expect(new MembershipView(Q).digest).not.toBe(c.digest);
  });
});

describe('membership: the ring folded from the history', () => {
  it('is the same on every node whatever order the changes arrive in, and always balanced', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 24 }), { minLength: 2, maxLength: 4 }),
        fc.constantFrom(4, 16, 64),
        (changes, orders, q) => {
          const views = orders.map((keys) => mergeOneByOne(shuffled(changes, keys), q));
          const rings = views.map((v) => v.ring);
          for (const r of rings) expect(r).toEqual(rings[0]);
          const members = views[0]!.members();
          const ring = rings[0];
          if (changes.some((c) => c.kind === 'join')) expect(ring).toBeDefined();
          else expect(ring).toBeUndefined();
          if (ring && members.length > 0) expectBalanced(ring, members);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('nobody joined: no ring, no members', () => {
    const v = new MembershipView(Q, [ch('a', 'leave', 1), ch('b', 'remove', 2, 'a')]);
    expect(v.ring).toBeUndefined();
    expect(v.members()).toEqual([]);
    expect(v.stateOf('a')).toBe('left');
    expect(v.stateOf('z')).toBeUndefined();
  });

  it('a late change that sorts early refolds the ring to what a node that heard it first computes', () => {
    const early = ch('c', 'join', 2, 'c');
    const rest = [ch('a', 'join', 1), ch('b', 'join', 2, 'b'), ch('d', 'join', 3), ch('b', 'leave', 4)];
    const late = mergeOneByOne(rest);
    const ringWithout = late.ring!;
    expect(late.merge([early])).toBe(true);
    const first = mergeOneByOne([early, ...rest]);
    expect(late.ring).toEqual(first.ring);
    expect(late.digest).toBe(first.digest);
    expect(late.members()).toEqual(['a', 'c', 'd']);
    expect(ringWithout.owners).not.toContain('c');
    expect(late.ring!.owners).toContain('c');
  });

  it('when every member has gone the ring keeps its last owners', () => {
    const v = new MembershipView(Q, [ch('a', 'join', 1), ch('b', 'join', 2)]);
    v.propose('leave', 'a', 'a');
    const lastRing = v.ring!;
    expect(lastRing.owners).toEqual(Array(Q).fill('b'));
    v.propose('leave', 'b', 'b');
    expect(v.members()).toEqual([]);
    expect(v.ring).toEqual(lastRing);
    // The next joiner then takes every partition from the last owners.
    v.propose('join', 'c', 'c');
    expect(v.ring!.owners).toEqual(Array(Q).fill('c'));
  });
});

describe('membership: removal and explicit rejoin', () => {
  const base = [ch('a', 'join', 1), ch('b', 'join', 2), ch('c', 'join', 3), ch('b', 'remove', 4, 'a')];

  it('a removed member stays removed when an older join of it is merged afterwards', () => {
    const v = new MembershipView(Q, base);
    expect(v.stateOf('b')).toBe('removed');
    const ringAfterRemoval = v.ring!;
    expect(ringAfterRemoval.owners).not.toContain('b');
    // A stale view gossips joins of b that it knew before the removal (lower seq than the remove).
    for (const stale of [ch('b', 'join', 2), ch('b', 'join', 3, 'b'), ch('b', 'join', 3, 'c'), ch('b', 'join', 1, 'z')]) {
      v.merge([stale]);
      expect(v.stateOf('b')).toBe('removed');
      expect(v.isMember('b')).toBe(false);
      expect(v.members()).toEqual(['a', 'c']);
      expect(v.ring!.owners).not.toContain('b');
    }
  });

  it('a join proposed after the removal was known brings it back (explicit rejoin)', () => {
    const v = new MembershipView(Q, base);
    const rejoin = v.propose('join', 'b', 'b');
    expect(rejoin.seq).toBe(5);
    expect(v.stateOf('b')).toBe('member');
    expect(v.members()).toEqual(['a', 'b', 'c']);
    expect(v.ring!.owners).toContain('b');
    // A node that hears rejoin before the removal ends the same.
    const other = mergeOneByOne([rejoin, ...[...base].reverse()]);
    expect(snapshot(other)).toEqual(snapshot(v));
    // And a stale join merged even later still does not matter.
    v.merge([ch('b', 'join', 3, 'c')]);
    expect(v.stateOf('b')).toBe('member');
  });

  it('a leave followed by an older join keeps the node out too', () => {
    const v = new MembershipView(Q, [ch('a', 'join', 1), ch('b', 'join', 2), ch('b', 'leave', 5)]);
    v.merge([ch('b', 'join', 4)]);
    expect(v.stateOf('b')).toBe('left');
  });
});

describe('membership: propose', () => {
  it('orders the new change after everything known (seq = max + 1) and applies it', () => {
    fc.assert(
      fc.property(historyArb, fc.constantFrom(...NODES), fc.constantFrom(...KINDS), fc.constantFrom(...NODES), (changes, node, kind, by) => {
        const v = new MembershipView(Q, changes);
        const max = Math.max(0, ...changes.map((c) => c.seq));
        const c = v.propose(kind, node, by);
        expect(c).toEqual({ node, kind, seq: max + 1, by });
        expect(v.changes().at(-1)).toEqual(c);
        expect(v.has(c)).toBe(true);
        expect(v.stateOf(node)).toBe(STATE[kind]);
      }),
      { numRuns: 200 },
    );
  });

  it('never numbers a change past MAX_SEQ: at the bound it throws and the view is unchanged', () => {
    const v = new MembershipView(Q, [ch('a', 'join', 1), ch('b', 'join', MAX_SEQ - 1)]);
    expect(v.propose('join', 'c', 'c').seq).toBe(MAX_SEQ);
    const before = snapshot(v);
    expect(() => v.propose('leave', 'a', 'a')).toThrow(RangeError);
    expect(snapshot(v)).toEqual(before);
    for (const c of v.changes()) expect(isChange(c)).toBe(true);
  });

  it('on an empty view the first change has seq 1', () => {
    const v = new MembershipView(Q);
    expect(v.propose('join', 'a', 'a')).toEqual({ node: 'a', kind: 'join', seq: 1, by: 'a' });
    expect(v.ring!.owners).toEqual(Array(Q).fill('a'));
  });
});

describe('membership: joins and leaves move as little as possible', () => {
  // Random walks of joins and leaves over a pool of ids, proposed one after another on one view.
  const stepArb = fc.array(fc.record({ join: fc.boolean(), pick: fc.nat() }), { minLength: 1, maxLength: 20 });
  const pool = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9'];

  it('a join moves only partitions to the newcomer, a leave or removal only the leaver’s; always balanced', () => {
    fc.assert(
      fc.property(stepArb, fc.constantFrom(8, 16, 64, 256), (steps, q) => {
        const v = new MembershipView(q);
        v.propose('join', 'n0', 'n0');
        for (const { join, pick } of steps) {
          const members = v.members();
          const outside = pool.filter((id) => !members.includes(id));
          const joining = (join || members.length === 1) && outside.length > 0;
          const before = v.ring!;
          if (joining) {
            const id = outside[pick % outside.length]!;
            v.propose('join', id, id);
            const moves = movedPartitions(before, v.ring!);
            expect(moves.every((m) => m.to === id)).toBe(true);
            // The newcomer gets its fair share, all of it by moves.
            const share = ownershipCounts(v.ring!).get(id) ?? 0;
            expect(moves).toHaveLength(share);
            expect(share).toBeGreaterThanOrEqual(Math.floor(q / v.members().length));
          } else {
            const id = members[pick % members.length]!;
            if (pick % 2 === 0) v.propose('leave', id, id);
            else v.propose('remove', id, members.find((m) => m !== id)!);
            const moves = movedPartitions(before, v.ring!);
            expect(moves.every((m) => m.from === id)).toBe(true);
            expect(moves).toHaveLength(ownershipCounts(before).get(id) ?? 0);
            expect(v.ring!.owners).not.toContain(id);
          }
          expectBalanced(v.ring!, v.members());
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a join of a node that is already a member moves nothing', () => {
    const v = new MembershipView(Q, [ch('a', 'join', 1), ch('b', 'join', 2), ch('c', 'join', 3)]);
    const ring = v.ring!;
    v.propose('join', 'b', 'b');
    expect(v.ring).toEqual(ring);
    v.propose('leave', 'z', 'z'); // never joined: nothing to move either
    expect(v.ring).toEqual(ring);
  });
});

describe('membership: isChange', () => {
  const good = { node: 'a', kind: 'join', seq: 1, by: 'b' };

  it('accepts well-formed changes', () => {
    expect(isChange(good)).toBe(true);
    expect(isChange({ ...good, kind: 'leave' })).toBe(true);
    expect(isChange({ ...good, kind: 'remove', seq: MAX_SEQ })).toBe(true);
    expect(isChange({ ...good, node: 'x'.repeat(64), by: 'y'.repeat(64) })).toBe(true);
  });

  it.each([
    ['null', null],
    ['a string', 'join'],
    ['an array', ['a', 'join', 1, 'b']],
    ['missing node', { kind: 'join', seq: 1, by: 'b' }],
    ['missing kind', { node: 'a', seq: 1, by: 'b' }],
    ['missing seq', { node: 'a', kind: 'join', by: 'b' }],
    ['missing by', { node: 'a', kind: 'join', seq: 1 }],
    ['seq 0', { ...good, seq: 0 }],
    ['negative seq', { ...good, seq: -1 }],
    ['non-integer seq', { ...good, seq: 1.5 }],
    ['NaN seq', { ...good, seq: NaN }],
    ['infinite seq', { ...good, seq: Infinity }],
    ['unsafe seq', { ...good, seq: 2 ** 53 }],
    ['the largest safe integer as seq (no room for the next change)', { ...good, seq: Number.MAX_SAFE_INTEGER }],
    ['a seq just past MAX_SEQ', { ...good, seq: MAX_SEQ + 1 }],
    ['string seq', { ...good, seq: '1' }],
    ['empty node', { ...good, node: '' }],
    ['long node id', { ...good, node: 'x'.repeat(65) }],
    ['long by id', { ...good, by: 'y'.repeat(65) }],
    ['numeric node', { ...good, node: 7 }],
    ['unknown kind', { ...good, kind: 'crash' }],
    ['kind in upper case', { ...good, kind: 'JOIN' }],
  ])('rejects %s', (_name, x) => {
    expect(isChange(x)).toBe(false);
  });
});

describe('membership: persistence', () => {
  it('load/save round-trips the history, digest and ring', async () => {
    const storage = memoryStorage();
    const m = await Membership.load(storage, Q);
    expect(m.view.changes()).toEqual([]);
    expect(m.view.ring).toBeUndefined();
    m.view.propose('join', 'a', 'a');
    m.view.propose('join', 'b', 'b');
    m.view.propose('join', 'c', 'c');
    m.view.propose('remove', 'b', 'a');
    await m.save();

    const again = await Membership.load(storage, Q);
    expect(snapshot(again.view)).toEqual(snapshot(m.view));
    expect(again.view.q).toBe(Q);
    expect(again.view.stateOf('b')).toBe('removed');
  });

  it('a later save overwrites the earlier one', async () => {
    const storage = memoryStorage();
    const m = await Membership.load(storage, Q);
    m.view.propose('join', 'a', 'a');
    await m.save();
    m.view.propose('leave', 'a', 'a');
    await m.save();
    const again = await Membership.load(storage, Q);
    expect(again.view.stateOf('a')).toBe('left');
    expect(again.view.changes()).toHaveLength(2);
  });

  it.each([
    ['null', null],
    ['a number', 42],
    ['a string', 'changes'],
    ['an array', [{ node: 'a', kind: 'join', seq: 1, by: 'a' }]],
    ['an object without changes', { other: true }],
    ['changes not an array', { changes: { node: 'a', kind: 'join', seq: 1, by: 'a' } }],
  ])('ignores a stored record that is %s', async (_name, garbage) => {
    const storage = memoryStorage();
    await storage.putMeta('membership', garbage as never);
    const m = await Membership.load(storage, Q);
    expect(m.view.changes()).toEqual([]);
    expect(m.view.ring).toBeUndefined();
  });

  it('keeps the valid changes of a stored list and drops the bad ones', async () => {
    const storage = memoryStorage();
    await storage.putMeta('membership', {
      changes: [
        { node: 'a', kind: 'join', seq: 1, by: 'a' },
        'junk',
        null,
        7,
        { node: 'b', kind: 'join', seq: 0, by: 'b' },
        { node: 'c', kind: 'explode', seq: 2, by: 'c' },
        { node: 'd', kind: 'join', seq: 3, by: 'd' },
        [1, 2],
      ],
    });
    const m = await Membership.load(storage, Q);
    expect(m.view.changes().map((c) => c.node)).toEqual(['a', 'd']);
    expect(m.view.members()).toEqual(['a', 'd']);
  });
});
