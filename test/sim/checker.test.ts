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
