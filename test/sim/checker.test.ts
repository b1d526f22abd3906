// The invariant checker on hand-made histories: it must pass what is allowed and name what is not.

import { describe, expect, it } from 'vitest';
import { check, History, type FinalState, type Outcome } from '../../src/sim/checker';

/** Puts run to completion in order: [value, read, outcome?, seen?]. */
function history(key: string, puts: Array<[string, string[], Outcome?, string[]?]>): History {
  const h = new History();
  for (const [value, read, outcome, seen] of puts) h.complete(h.invokePut('c', key, value, read, seen), outcome ?? 'ok');
  return h;
}

const final = (key: string, ...replicas: string[][]): FinalState =>
  new Map([[key, replicas.map((values, i) => ({ node: `n${i}`, values }))]]);

describe('checker', () => {
  it('passes acknowledged values that survive, or were superseded by a write that read them', () => {
    const h = history('k', [['a', []], ['b', []], ['c', ['a']], ['d', ['c']]]);
    const r = check(h, final('k', ['b', 'd'], ['b', 'd']));
    expect(r).toMatchObject({ ok: true, acknowledged: 4, survivors: 2, lost: [] });
  });

  it('reports an acknowledged value that is gone with nothing that saw it, naming the replicas', () => {
    const h = history('k', [['a', []], ['b', []]]);
    const r = check(h, final('k', ['b'], ['a', 'b']));
    expect(r.ok).toBe(false);
    expect(r.lost).toEqual([{ key: 'k', value: 'a', client: 'c', missingOn: ['n0'] }]);
  });

  it('does not require unacknowledged values, but counts the ones found', () => {
    const h = history('k', [['a', [], 'fail'], ['b', [], 'unknown'], ['c', []]]);
    const r = check(h, final('k', ['a', 'c'], ['a', 'c']));
    expect(r).toMatchObject({ ok: true, acknowledged: 1, unacknowledgedFound: 1 });
  });

  it('lets a failed write supersede what it read, if it survives', () => {
    const h = history('k', [['a', []], ['b', ['a'], 'fail']]);
    expect(check(h, final('k', ['b'])).ok).toBe(true);
    expect(check(h, final('k', [])).lost.map((l) => l.value)).toEqual(['a']);
  });

  it('reports reads of values never written, or read before they were written', () => {
    const h = history('k', [['a', []]]);
    const g = h.invokeGet('c', 'k');
    h.complete(g, 'ok', ['a', 'zzz']);
    h.complete(h.invokeGet('c', 'k'), 'ok', ['later']);
    h.complete(h.invokePut('c', 'k', 'later', []), 'ok');
    const r = check(h, final('k', ['a', 'later']));
    expect(r.phantoms.map((p) => p.what)).toEqual([expect.stringContaining('"zzz"'), expect.stringContaining('read later before')]);
  });

  it('reports siblings of which one had read the other (a failed collapse), and duplicates', () => {
    const h = history('k', [['a', []], ['b', ['a']], ['c', []]]);
    const g = h.invokeGet('c', 'k');
    h.complete(g, 'ok', ['a', 'b']);
    const r = check(h, final('k', ['b', 'c', 'c']));
    expect(r.falseSiblings.map((v) => v.what)).toEqual([expect.stringContaining('a shown beside b'), expect.stringContaining('duplicate')]);
    expect(r.maxSiblings).toBe(3);
  });

  it('does not demand a collapse through a chained put context, but accepts it as superseding', () => {
    const h = history('k', [['a', []], ['b', [], 'ok', ['a']]]);
    expect(check(h, final('k', ['a', 'b'])).ok).toBe(true);
    expect(check(h, final('k', ['b'])).ok).toBe(true);
  });

  it('reports replicas that did not converge', () => {
    const h = history('k', [['a', []], ['b', ['a']]]);
    const r = check(h, final('k', ['b'], ['a']));
    expect(r.divergent).toHaveLength(1);
    expect(r.ok).toBe(false);
  });
});

describe('checker: deletes and resurrection', () => {
  const del = (h: History, value: string, read: string[], outcome: Outcome = 'ok') => h.complete(h.invokePut('c', 'k', value, read, [], true), outcome);

  it('an acknowledged delete excuses what it read, and is itself never required', () => {
    const h = history('k', [['a', []]]);
    del(h, 'a~del', ['a']);
    expect(check(h, final('k', [], []))).toMatchObject({ ok: true, lost: [], resurrected: [] });
  });

  it('reports a deleted value back at the end (a reaped tombstone, a stale hint delivered later)', () => {
    const h = history('k', [['a', []]]);
    del(h, 'a~del', ['a']);
    const r = check(h, final('k', ['a'], ['a']));
    expect(r.ok).toBe(false);
    expect(r.resurrected.map((v) => v.what)).toEqual([
      'final state of n0 shows a, which an acknowledged write superseded',
      'final state of n1 shows a, which an acknowledged write superseded',
    ]);
  });

  it('a concurrent re-add is a new value and stays; a settled read before the delete may show the old one', () => {
    const h = history('k', [['a', []]]);
    const early = h.invokeGet('live@n0', 'k');
    h.complete(early, 'ok', ['a']);
    del(h, 'a~del', ['a']);
    h.complete(h.invokePut('c2', 'k', 'b', []), 'ok');
    expect(check(h, final('k', ['b'], ['b']))).toMatchObject({ ok: true, resurrected: [] });
    const late = h.invokeGet('live@n1', 'k');
    h.complete(late, 'ok', ['a', 'b']);
    expect(check(h, final('k', ['b'], ['b'])).resurrected.map((v) => v.what)).toEqual(['read by live@n1 shows a, which an acknowledged write superseded']);
  });

  it('a failed delete excuses an absence (it may have landed) but does not make a return a violation', () => {
    const h = history('k', [['a', []]]);
    del(h, 'a~del', ['a'], 'fail');
    expect(check(h, final('k', [])).ok).toBe(true);
    expect(check(h, final('k', ['a'])).ok).toBe(true);
  });
});
