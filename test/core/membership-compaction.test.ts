// Tests for compaction of the membership history (core/membership.ts, membership-base.ts): a prefix
// folded into a base, the rule for late changes, and why views still converge (paper §4.8.1).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Membership, MembershipView } from '../../src/core/membership';
import { DEPARTED_WINDOW } from '../../src/core/membership-base';
import { isBase, MAX_CHANGES, MAX_DEPARTED, MAX_MEMBERS, MAX_SEQ, type Base, type Change, type ChangeKind } from '../../src/core/protocol/membership';
import { memoryStorage } from '../../src/adapters/memory/storage';
import type { NodeId } from '../../src/ports/transport';

const Q = 16;
const NODES = ['a', 'b', 'c', 'd', 'e', 'f'];
const ch = (node: NodeId, kind: ChangeKind, seq: number, by: NodeId = node): Change => ({ node, kind, seq, by });

/** A history as honest proposers make it: each change one above a seq its proposer knew. */
const historyArb = fc
  .array(fc.record({ node: fc.constantFrom(...NODES), kind: fc.constantFrom<ChangeKind>('join', 'join', 'leave', 'remove'), by: fc.constantFrom(...NODES), step: fc.constantFrom(0, 1, 1) }), { minLength: 1, maxLength: 60 })
  .map((steps) => {
    let seq = 1;
    return steps.map(({ node, kind, by, step }) => ch(node, kind, (seq += step), kind === 'remove' ? by : node));
  });

/** Everything that must agree between two views of the same history, whatever they compacted. */
function observable(v: MembershipView) {
  return { digest: v.digest, members: v.members(), owners: v.ring?.owners, states: NODES.map((n) => v.stateOf(n)) };
}

/** Compacts past `every` changes, keeping `every`: cuts at many places, with no agreement needed. */
const tight = (every: number) => ({ keep: every, compactAt: every, forceAt: every });

/** Exchanges whole states between every pair until nothing new arrives; each view agrees with equal ones. */
function gossipAll(views: readonly MembershipView[], ids?: readonly NodeId[]): void {
  for (let round = 0; round < 50; round++) {
    let news = false;
    for (const a of views) for (const b of views) if (a !== b && a.merge(b.changes(), b.base)) news = true;
    if (ids) views.forEach((a, i) => views.forEach((b, j) => i !== j && a.digest === b.digest && a.agree(ids[j]!)));
    if (!news) return;
  }
  throw new Error('views did not settle');
}

describe('membership compaction: where a view cuts does not change what it derives', () => {
  it('views that compact one history at different places agree on digest, members, states and ring', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), (history, x, y) => {
        const whole = new MembershipView(Q, history, { compactAt: 1_000, forceAt: 1_000 });
        const a = new MembershipView(Q, [], tight(x));
        const b = new MembershipView(Q, [], tight(y));
        for (const c of [...whole.changes()]) {
          a.merge([c]);
          void a.ring;
          b.merge([c]);
        }
        expect(observable(a)).toEqual(observable(whole));
        expect(observable(b)).toEqual(observable(whole));
      }),
      { numRuns: 200 },
    );
  });

  it('views holding different parts, cut at different places, converge on one base, digest and ring', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.array(fc.record({ every: fc.integer({ min: 1, max: 10 }), picks: fc.array(fc.nat(), { maxLength: 40 }) }), { minLength: 2, maxLength: 4 }),
        (history, specs) => {
          const views = specs.map(({ every, picks }) => {
            const v = new MembershipView(Q, [], tight(every));
            for (const p of picks) v.merge([history[p % history.length]!]);
            return v;
          });
          gossipAll(views);
          const [first, ...rest] = views.map(observable);
          for (const o of rest) expect(o).toEqual(first);
          for (const v of views) expect(v.base?.seq).toBe(views[0]!.base?.seq);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a base that wins replaces ours, and our changes at or below it go; merging in any order ends the same', () => {
    const history = Array.from({ length: 30 }, (_, i) => ch(NODES[i % NODES.length]!, i % 4 === 3 ? 'leave' : 'join', i + 1));
    const low = new MembershipView(Q, history.slice(0, 20), tight(12));
    const high = new MembershipView(Q, history, tight(5));
    expect(high.baseSeq).toBeGreaterThan(low.baseSeq);
    const x = new MembershipView(Q, [], tight(100));
    x.merge(low.changes(), low.base);
    x.merge(high.changes(), high.base);
    const y = new MembershipView(Q, [], tight(100));
    y.merge(high.changes(), high.base);
    y.merge(low.changes(), low.base);
    expect(observable(x)).toEqual(observable(y));
    expect(x.base).toEqual(high.base);
    expect(x.changes().every((c) => c.seq > high.baseSeq)).toBe(true);
    expect(observable(x)).toEqual(observable(new MembershipView(Q, history, { compactAt: 1_000, forceAt: 1_000 })));
  });
});

describe('membership compaction: late changes', () => {
  it('a change at or below the base is not taken in, so a stale join cannot bring a removed member back', () => {
    const v = new MembershipView(Q, [ch('a', 'join', 1), ch('b', 'join', 2), ch('b', 'remove', 3, 'a'), ch('c', 'join', 4), ch('a', 'leave', 5)], tight(1));
    expect(v.baseSeq).toBe(4);
    const before = observable(v);
    expect(v.merge([ch('b', 'join', 3), ch('b', 'join', 2, 'z'), ch('x', 'join', 1)])).toBe(false);
    expect(observable(v)).toEqual(before);
    expect(v.isMember('b')).toBe(false);
    expect(v.stateOf('b')).toBe('removed');
  });

  it("a newcomer's first join (seq 1) is dropped by the room's base and re-proposed after it, so it still gets in", () => {
    const room = new MembershipView(Q, [], { ...tight(4), self: 'a' });
    for (let i = 0; i < 20; i++) room.propose(i % 2 ? 'leave' : 'join', `t${i >> 1}`, `t${i >> 1}`);
    room.propose('join', 'a', 'a');
    expect(room.baseSeq).toBeGreaterThan(1);
    const newcomer = new MembershipView(Q);
    const first = newcomer.propose('join', 'n', 'n');
    expect(first.seq).toBe(1);
    // The room does not take the join: it is below its base.
    expect(room.merge(newcomer.changes(), newcomer.base)).toBe(false);
    // The newcomer learns the room, loses its join to the base, and numbers a new one after it.
    expect(newcomer.merge(room.changes(), room.base)).toBe(true);
    const again = newcomer.own!;
    expect(again).toMatchObject({ node: 'n', kind: 'join', by: 'n' });
    expect(again.seq).toBe(room.maxSeq + 1);
    expect(newcomer.isMember('n')).toBe(true);
    expect(room.merge(newcomer.changes(), newcomer.base)).toBe(true);
    expect(room.isMember('n')).toBe(true);
    expect(room.digest).toBe(newcomer.digest);
    expect(room.ring).toEqual(newcomer.ring);
  });

  it('a view does not re-propose a join it made when it is a member, nor a leave, nor for others', () => {
    const room = new MembershipView(Q, Array.from({ length: 10 }, (_, i) => ch(`t${i}`, 'join', i + 1)), tight(2));
    const leaver = new MembershipView(Q);
    leaver.propose('join', 'l', 'l');
    leaver.propose('leave', 'l', 'l');
    leaver.merge(room.changes(), room.base);
    expect(leaver.changes().some((c) => c.node === 'l')).toBe(false);
    const helper = new MembershipView(Q);
    helper.propose('remove', 'x', 'h');
    helper.merge(room.changes(), room.base);
    expect(helper.digest).toBe(room.digest);
  });
});

describe('membership compaction: when a view may cut', () => {
  it('waits until every other member has shown it an equal digest, and keeps the newest changes', () => {
    const v = new MembershipView(Q, [], { self: 'a', keep: 4, compactAt: 10 });
    for (const id of ['a', 'b', 'c']) v.propose('join', id, id);
    for (let i = 0; i < 20; i++) v.propose(i % 2 ? 'leave' : 'join', 'x', 'x');
    expect(v.baseSeq).toBe(0);
    v.agree('b');
    expect(v.baseSeq).toBe(0);
    v.agree('zz'); // not a member: its word does not count
    expect(v.baseSeq).toBe(0);
    const digest = v.digest;
    v.agree('c');
    expect(v.baseSeq).toBe(v.maxSeq - 4);
    expect(v.changes()).toHaveLength(4);
    expect(v.digest).toBe(digest);
    // What b and c agreed to is all that may be cut: newer changes stay until they agree again.
    for (let i = 0; i < 20; i++) v.propose('join', `y${i}`, `y${i}`);
    expect(v.changes()).toHaveLength(24);
  });

  it('a lone member cuts freely; past forceAt a view cuts without agreement', () => {
    const lone = new MembershipView(Q, [], { self: 'a', keep: 4, compactAt: 10 });
    lone.propose('join', 'a', 'a');
    for (let i = 0; i < 30; i++) lone.propose(i % 2 ? 'leave' : 'join', 'x', 'x');
    expect(lone.changes().length).toBeLessThanOrEqual(10);

    const stuck = new MembershipView(Q, [], { self: 'a', keep: 4, compactAt: 10, forceAt: 20 });
    for (const id of ['a', 'b']) stuck.propose('join', id, id);
    for (let i = 0; i < 100; i++) {
      stuck.propose(i % 2 ? 'leave' : 'join', 'x', 'x');
      expect(stuck.changes().length).toBeLessThanOrEqual(20);
    }
  });

  it('a view never holds more than MAX_CHANGES changes above its base, whatever it is given', () => {
    const v = new MembershipView(Q, Array.from({ length: 5_000 }, (_, i) => ch(`n${i % 7}`, i % 3 ? 'join' : 'leave', i + 1)));
    expect(v.changes().length).toBeLessThan(MAX_CHANGES);
    expect(v.members()).toEqual(new MembershipView(Q, Array.from({ length: 5_000 }, (_, i) => ch(`n${i % 7}`, i % 3 ? 'join' : 'leave', i + 1)), tight(3)).members());
  });

  it('a long-lived room never reaches the cap: 1,000 tab sessions come and go, every view stays short and equal', () => {
    const ids = ['a', 'b', 'c'];
    const views = ids.map((self) => new MembershipView(Q, [], { self }));
    views.forEach((v, i) => v.propose('join', ids[i]!, ids[i]!));
    gossipAll(views, ids);
    let longest = 0;
    for (let t = 0; t < 1_000; t++) {
      const tab = `tab${t}`;
      const at = views[t % 3]!;
      at.merge([ch(tab, 'join', at.maxSeq + 1)]); // the tab joins through one of them...
      gossipAll(views, ids);
      views[(t + 1) % 3]!.propose('remove', tab, ids[(t + 1) % 3]!); // ...and is removed later
      gossipAll(views, ids);
      longest = Math.max(longest, ...views.map((v) => v.changes().length));
    }
    // Cut by agreement at 128 (the default compactAt), long before forceAt or MAX_CHANGES.
    expect(longest).toBeLessThanOrEqual(129);
    for (const v of views) {
      expect(v.digest).toBe(views[0]!.digest);
      expect(v.members()).toEqual(ids);
      expect(v.ring).toEqual(views[0]!.ring);
      expect(v.digest.startsWith('2003:')).toBe(true); // every change counted, though few are held
    }
  });
});

describe('membership compaction: the member cap', () => {
  it(`a join past MAX_MEMBERS (${MAX_MEMBERS}) members changes nothing, the same in every arrival order`, () => {
    const joins = Array.from({ length: MAX_MEMBERS + 3 }, (_, i) => ch(`m${String(i).padStart(4, '0')}`, 'join', i + 1));
    const whole = { compactAt: MAX_CHANGES, forceAt: MAX_CHANGES };
    const forward = new MembershipView(256, joins, whole);
    const backward = new MembershipView(256, [], whole);
    for (const c of [...joins].reverse()) backward.merge([c]);
    expect(forward.members()).toHaveLength(MAX_MEMBERS);
    expect(forward.isMember(joins.at(-1)!.node)).toBe(false);
    expect(forward.stateOf(joins.at(-1)!.node)).toBeUndefined();
    expect(observable(backward)).toEqual(observable(forward));
    // A leave makes room, and the next join gets in.
    forward.propose('leave', joins[0]!.node, joins[0]!.node);
    forward.propose('join', 'late', 'late');
    expect(forward.isMember('late')).toBe(true);
  });
});

describe('membership compaction: persistence', () => {
  it('load/save round-trips the base, the changes, who this node is and its own last change', async () => {
    const storage = memoryStorage();
    const m = await Membership.load(storage, Q);
    m.view.propose('join', 'a', 'a');
    for (let i = 0; i < 600; i++) m.view.propose(i % 2 ? 'leave' : 'join', `t${i % 9}`, `t${i % 9}`);
    expect(m.view.baseSeq).toBeGreaterThan(0);
    await m.save();
    const again = await Membership.load(storage, Q);
    expect(observable(again.view)).toEqual(observable(m.view));
    expect(again.view.base).toEqual(m.view.base);
    expect(again.view.changes()).toEqual(m.view.changes());
    expect(again.view.self).toBe('a');
    expect(again.view.own).toEqual({ node: 'a', kind: 'join', seq: 1, by: 'a' });
  });

  it('a stored base that fails validation, or is for another Q, is ignored; the changes still load', async () => {
    const storage = memoryStorage();
    const good = new MembershipView(Q, Array.from({ length: 10 }, (_, i) => ch(`n${i}`, 'join', i + 1)), tight(2)).base!;
    for (const base of [{ ...good, seq: -1 }, { ...good, ring: { q: 32, owners: Array(32).fill('n0') } }, 'junk']) {
      await storage.putMeta('membership', { base, changes: [ch('z', 'join', 11)] } as never);
      const m = await Membership.load(storage, Q);
      expect(m.view.base).toBeUndefined();
      expect(m.view.members()).toEqual(['z']);
    }
    // And a pre-compaction record (changes only) still loads as before.
    await storage.putMeta('membership', { changes: [ch('a', 'join', 1), ch('b', 'join', 2)] } as never);
    expect((await Membership.load(storage, Q)).view.members()).toEqual(['a', 'b']);
  });
});

describe('membership compaction: isBase', () => {
  const view = new MembershipView(Q, [ch('a', 'join', 1), ch('b', 'join', 2), ch('c', 'join', 3), ch('c', 'leave', 4), ch('d', 'join', 5)], tight(1));
  const good = view.base!;

  it('accepts what a view builds, and a base where everybody left', () => {
    expect(good.nodes.map((n) => n[0])).toEqual(['a', 'b', 'c']);
    expect(isBase(good)).toBe(true);
    expect(isBase(good, Q)).toBe(true);
    expect(isBase(JSON.parse(JSON.stringify(good)))).toBe(true);
    const empty = new MembershipView(Q, [ch('a', 'join', 1), ch('a', 'leave', 2), ch('b', 'leave', 3)], tight(1)).base!;
    expect(isBase(empty)).toBe(true);
  });

  const departed = Array.from({ length: MAX_DEPARTED + 1 }, (_, i) => [`x${String(i).padStart(5, '0')}`, 'left', 1] as const);
  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [good]],
    ['seq 0', { ...good, seq: 0 }],
    ['seq past MAX_SEQ', { ...good, seq: MAX_SEQ + 1 }],
    ['a fractional count', { ...good, count: 1.5 }],
    ['a negative hash', { ...good, h1: -1 }],
    ['a hash past 32 bits', { ...good, h2: 2 ** 32 }],
    ['nodes not an array', { ...good, nodes: {} }],
    ['a node with an unknown state', { ...good, nodes: [['a', 'gone', 1]] }],
    ['a node changed after the base', { ...good, nodes: [['a', 'member', 1], ['b', 'member', 99]] }],
    ['a node id too long', { ...good, nodes: [['a'.repeat(65), 'member', 1]] }],
    ['nodes out of order', { ...good, nodes: [good.nodes[1], good.nodes[0], good.nodes[2]] }],
    ['a node twice', { ...good, nodes: [good.nodes[0], good.nodes[0], good.nodes[1]] }],
    ['too many nodes', { ...good, ring: null, nodes: [...departed, ...Array.from({ length: MAX_MEMBERS }, (_, i) => [`y${i}`, 'left', 1])] }],
    ['members but no ring', { ...good, ring: null }],
    ['a ring owned by a non-member', { ...good, ring: { q: Q, owners: Array(Q).fill('c') } }],
    ['a malformed ring', { ...good, ring: { q: 3, owners: ['a', 'b', 'c'] } }],
  ])('rejects %s', (_name, x) => {
    expect(isBase(x)).toBe(false);
  });

  it('rejects a ring of another Q when Q is given', () => {
    expect(isBase({ ...good, ring: { q: 32, owners: Array(32).fill('a') } }, Q)).toBe(false);
    expect(isBase({ ...good, ring: { q: 32, owners: Array(32).fill('a') } })).toBe(true);
  });

  it(`forgets nodes that left more than DEPARTED_WINDOW (${DEPARTED_WINDOW}) seqs before the cut`, () => {
    const v = new MembershipView(Q, [ch('a', 'join', 1), ch('old', 'join', 2), ch('old', 'leave', 3), ch('a', 'join', 3 + DEPARTED_WINDOW), ch('b', 'join', 4 + DEPARTED_WINDOW)], tight(1));
    expect(v.stateOf('old')).toBeUndefined();
    const w = new MembershipView(Q, [ch('a', 'join', 1), ch('old', 'join', 2), ch('old', 'leave', 3), ch('a', 'join', 2 + DEPARTED_WINDOW), ch('b', 'join', 3 + DEPARTED_WINDOW)], tight(1));
    expect(w.stateOf('old')).toBe('left');
  });
});

export type { Base };
