// The partition suite's set checker, on small hand-made runs.

import { describe, expect, it } from 'vitest';
import { checkSet, dominatedSiblings, formatSetReport, unionOf } from './jepsen';

const writers = [
  { writer: 'w0', tab: 't0', acknowledged: [1, 2, 3], unacknowledged: [4] },
  { writer: 'w1', tab: 't1', acknowledged: [10, 11], unacknowledged: [12, 13] },
];

describe('checkSet', () => {
  it('passes when every tab reads every acknowledged add, and counts unacknowledged ones found', () => {
    const all = [1, 2, 3, 4, 10, 11];
    const r = checkSet(writers, [
      { tab: 't0', siblings: [all] },
      { tab: 't1', siblings: [[1, 2, 3, 10], [11, 4, 10]] },
    ]);
    expect(r).toMatchObject({ ok: true, acknowledged: 5, unacknowledged: 3, survivors: 5, lost: [], unacknowledgedFound: 1, converged: true });
    expect(r.tabs.map((t) => t.siblings)).toEqual([1, 2]);
    expect(formatSetReport(r)).toMatch(/^PASS .*lost acknowledged 0/);
  });

  it('reports an acknowledged add missing from one tab as lost, per tab and in total', () => {
    const r = checkSet(writers, [
      { tab: 't0', siblings: [[1, 2, 3, 10, 11]] },
      { tab: 't1', siblings: [[1, 3, 10, 11]] },
    ]);
    expect(r.ok).toBe(false);
    expect(r.lost).toEqual([2]);
    expect(r.survivors).toBe(4);
    expect(r.tabs.map((t) => t.lost)).toEqual([[], [2]]);
    expect(r.writers.find((w) => w.writer === 'w0')!.lost).toBe(1);
    expect(r.converged).toBe(false);
    expect(formatSetReport(r)).toMatch(/lost acknowledged \(first 1\): 2/);
  });

  it('fails on a value nobody wrote, on a failed read, and on tabs that disagree', () => {
    const full = [1, 2, 3, 10, 11];
    expect(checkSet(writers, [{ tab: 't0', siblings: [[...full, 99]] }]).phantoms).toEqual([99]);
    const failed = checkSet(writers, [
      { tab: 't0', siblings: [full] },
      { tab: 't1', siblings: undefined, error: 'QuorumError' },
    ]);
    expect(failed.ok).toBe(false);
    expect(failed.lost).toHaveLength(5);
    const differ = checkSet(writers, [
      { tab: 't0', siblings: [full] },
      { tab: 't1', siblings: [[...full, 4]] },
    ]);
    expect(differ.lost).toEqual([]);
    expect(differ.converged).toBe(false);
    expect(differ.ok).toBe(false);
    expect(checkSet(writers, []).ok).toBe(false);
  });

  it('fails on a false sibling: one sibling contained in another of the same read', () => {
    const r = checkSet([{ ...writers[0]!, falseSiblingReads: 2 }, writers[1]!], [{ tab: 't0', siblings: [[1, 2, 3, 10, 11], [1, 2]] }]);
    expect(r.lost).toEqual([]);
    expect(r.converged).toBe(true);
    expect(r.falseSiblings).toBe(1);
    expect(r.falseSiblingReads).toBe(2);
    expect(r.ok).toBe(false);
    expect(formatSetReport(r)).toMatch(/false siblings 1 \(writers' reads showing one: 2\)/);
  });

  it('refuses an integer both acknowledged and not', () => {
    expect(() => checkSet([{ writer: 'w', tab: 't', acknowledged: [1], unacknowledged: [1] }], [])).toThrow(/both/);
  });
});

describe('dominatedSiblings', () => {
  it('counts siblings contained in another, and a duplicate once', () => {
    expect(dominatedSiblings([[1, 2], [1, 3]])).toBe(0);
    expect(dominatedSiblings([[1], [1, 2], [1, 2, 3]])).toBe(2);
    expect(dominatedSiblings([[1, 2], [2, 1]])).toBe(1);
    expect(dominatedSiblings([[1, 2]])).toBe(0);
    expect(dominatedSiblings([])).toBe(0);
  });
});

describe('unionOf', () => {
  it('merges siblings by union and rejects anything but arrays of integers', () => {
    expect(unionOf([[3, 1], [2, 3], []])).toEqual([1, 2, 3]);
    expect(unionOf([])).toEqual([]);
    expect(() => unionOf([{ a: 1 }])).toThrow(/not an array/);
    expect(() => unionOf([[1.5]])).toThrow(/non-integer/);
  });
});
