// The work a membership history costs to fold (core/membership.ts, membership-fold.ts): counted, not
// timed. Regression for "the fold is quadratic": 1,000 changes took 356 ms and 21 MiB, 4,000 took
// 5.1 s and 298 MiB, and 10,000 (which the validator accepted) ran out of memory.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as ring from '../../src/core/ring';
import { MembershipView } from '../../src/core/membership';
import { MAX_MEMBERS, type Change } from '../../src/core/protocol/membership';

// Every ring assignment goes through this spy, so a test can count them and what they were given.
vi.mock('../../src/core/ring', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/core/ring')>();
  return { ...mod, assign: vi.fn((...args: Parameters<typeof mod.assign>) => mod.assign(...args)) };
});
const assign = vi.mocked(ring.assign);

/** Ring assignments since the last reset, and the member ids they were handed in total. */
function work(): { calls: number; ids: number } {
  return { calls: assign.mock.calls.length, ids: assign.mock.calls.reduce((n, [, members]) => n + members.length, 0) };
}

const joins = (n: number): Change[] => Array.from({ length: n }, (_, i) => ({ node: `n${i}`, kind: 'join', seq: i + 1, by: `n${i}` }));

/** 32 nodes joining and leaving in turns: the member set changes with every change. */
function churn(n: number): Change[] {
  return Array.from({ length: n }, (_, i) => {
    const node = `n${i % 32}`;
    return { node, kind: Math.floor(i / 32) % 2 === 0 ? 'join' : 'leave', seq: i + 1, by: node };
  });
}

describe('membership: the fold costs O(1) per change plus one ring assignment per member-set change', () => {
  beforeEach(() => {
    assign.mockClear();
  });

  it.each([1_000, 4_000, 10_000])('%i joins of distinct nodes: assignments stop at MAX_MEMBERS members', (n) => {
    const v = new MembershipView(256, joins(n));
    expect(v.ring).toBeDefined();
    expect(v.members()).toHaveLength(Math.min(n, MAX_MEMBERS));
    void v.digest;
    const { calls, ids } = work();
    const m = Math.min(n, MAX_MEMBERS);
    // One assignment per member who got in; the ids handed over are those members' running total.
    // (Quadratic in the history, as before, would be n calls and n² / 2 ids: 50 million at 10,000.)
    expect(calls).toBeLessThanOrEqual(m);
    expect(ids).toBeLessThanOrEqual((m * (m + 1)) / 2);
    // What the view keeps is bounded too: the history above its base.
    expect(v.changes().length).toBeLessThanOrEqual(512);
  });

  it.each([1_000, 10_000])('%i changes of churn among 32 nodes: at most one assignment per change', (n) => {
    const v = new MembershipView(256, churn(n));
    void v.ring;
    void v.members();
    void v.digest;
    expect(work().calls).toBeLessThanOrEqual(n);
    expect(work().ids).toBeLessThanOrEqual(32 * n);
  });

  it('news merged one change at a time, reading the ring after each, folds each change once', () => {
    const history = churn(2_000);
    const v = new MembershipView(256, [], { compactAt: 4_000, forceAt: 4_000 });
    for (const c of history) {
      v.merge([c]);
      void v.ring;
      void v.digest;
    }
    expect(work().calls).toBeLessThanOrEqual(history.length);
  });

  it('what gossip reads (digest, members) assigns no ring at all', () => {
    const v = new MembershipView(256, churn(400), { compactAt: 1_000, forceAt: 1_000 });
    void v.digest;
    void v.members();
    void v.isMember('n3');
    v.merge([{ node: 'x', kind: 'join', seq: 401, by: 'x' }]);
    void v.digest;
    expect(work().calls).toBe(0);
    void v.ring;
    expect(work().calls).toBeGreaterThan(0);
  });
});
