// node.update (src/client/update.ts): read, fn, write with the context; siblings merged by resolve;
// a concurrent writer's sibling merged back; bounded retries of failed reads, and of failed writes only when idempotent.

import { describe, expect, it } from 'vitest';
import { DynamoCore } from '../../src/core/node';
import { QuorumError } from '../../src/core/errors';
import { update, UNCHANGED, type KeyValueNode } from '../../src/client/index';
import * as counter from '../../src/client/counter';
import * as orset from '../../src/client/orset';
import type { Json } from '../../src/ports/storage';
import { memoryRings } from '../support/memory-ring';

const ring = memoryRings();

/** Holds every read's answer until `count` reads are in: writers that all read the same version. */
function barrier(node: KeyValueNode, gate: { count: number; waiting: Array<() => void> }): KeyValueNode {
  return {
    put: (k, v, c, o) => node.put(k, v, c, o),
    on: (e, fn) => node.on(e, fn),
    get: async (k, o) => {
      const res = await node.get(k, o);
      if (gate.count > 0) {
        gate.count--;
        await new Promise<void>((resolve) => {
          gate.waiting.push(resolve);
          if (gate.count === 0) for (const w of gate.waiting.splice(0)) w();
        });
      }
      return res;
    },
  };
}

describe('update over a ring', () => {
  it('hands fn undefined for a key never written, then the value it wrote', async () => {
    const [a] = (await ring(3)) as [DynamoCore];
    const seen: Array<Json[] | undefined> = [];
    await update(a, 'k', (cur) => (seen.push(cur), 1));
    const res = await update(a, 'k', (cur) => (seen.push(cur), 2));
    expect(seen).toEqual([undefined, [1]]);
    expect(res).toMatchObject({ value: 2, writes: 1, settled: false });
    expect((await a.get('k', { r: 3 })).values).toEqual([2]);
  });

  it('without resolve, fn sees the siblings and its write supersedes them', async () => {
    const [a, b] = (await ring(3)) as [DynamoCore, DynamoCore];
    const { context } = await a.put('k', 'base');
    await a.put('k', 'x', context);
    await b.put('k', 'y', context);
    let seen: Json[] | undefined;
    await update(a, 'k', (cur) => ((seen = cur), 'xy'), { r: 3 });
    expect([...(seen ?? [])].sort()).toEqual(['x', 'y']);
    expect((await a.get('k', { r: 3 })).values).toEqual(['xy']);
  });

  it('two writers racing on one read: both increments survive and the key settles on one version', async () => {
    const [a, b] = (await ring(3)) as [DynamoCore, DynamoCore];
    const gate = { count: 2, waiting: [] as Array<() => void> };
    const inc = (actor: string) => (c: counter.Counter | undefined) => counter.increment(c ?? counter.empty(), actor);
    const [ra, rb] = await Promise.all([
      update(barrier(a, gate), 'hits', inc('a'), { resolve: counter.resolve, r: 3, w: 3 }),
      update(barrier(b, gate), 'hits', inc('b'), { resolve: counter.resolve, r: 3, w: 3 }),
    ]);
    // At least one of them read back the other's sibling and wrote the merge.
    expect(ra.writes + rb.writes).toBeGreaterThanOrEqual(3);
    const final = await a.get('hits', { r: 3 });
    // Both may merge at once: equal values as two versions, which the next write collapses.
    expect(new Set(final.values.map((v) => JSON.stringify(v))).size).toBe(1);
    expect(ra.settled && rb.settled).toBe(true);
    expect(counter.value(counter.resolve(final.values))).toBe(2);
  });

  it('an OR-set add and a concurrent remove of another element both take effect', async () => {
    const [a, b] = (await ring(3)) as [DynamoCore, DynamoCore];
    await update(a, 's', (s: orset.ORSet | undefined) => orset.add(orset.add(s ?? orset.empty(), 'milk'), 'eggs'), { resolve: orset.resolve });
    const gate = { count: 2, waiting: [] as Array<() => void> };
    await Promise.all([
      update(barrier(a, gate), 's', (s: orset.ORSet | undefined) => orset.add(s ?? orset.empty(), 'tea'), { resolve: orset.resolve, r: 3, w: 3 }),
      update(barrier(b, gate), 's', (s: orset.ORSet | undefined) => orset.remove(s ?? orset.empty(), 'milk'), { resolve: orset.resolve, r: 3, w: 3 }),
    ]);
    expect(orset.values(orset.resolve((await b.get('s', { r: 3 })).values))).toEqual(['eggs', 'tea']);
  });

  it('UNCHANGED writes nothing', async () => {
    const [a] = (await ring(1)) as [DynamoCore];
    const res = await update(a, 'k', () => UNCHANGED);
    expect(res).toMatchObject({ writes: 0, value: undefined });
    expect((await a.get('k')).values).toEqual([]);
  });
});

/** A node whose reads and writes fail with QuorumError the first `failGets` / `failPuts` times. */
function flaky(failGets: number, failPuts: number) {
  const calls = { get: 0, put: 0, fnRuns: 0 };
  let stored: Json[] = [];
  const node: KeyValueNode = {
    on: () => () => undefined,
    get: async () => {
      calls.get++;
      if (failGets-- > 0) throw new QuorumError('read quorum', 2, 1);
      return { values: stored, context: `c${calls.put}` };
    },
    put: async (_k, v) => {
      calls.put++;
      stored = [v];
      if (failPuts-- > 0) throw new QuorumError('write quorum', 2, 1);
      return { context: `c${calls.put}`, replicas: 2 };
    },
  };
  return { node, calls };
}

describe('update retries', () => {
  it('retries a failed read, up to attempts', async () => {
    const { node, calls } = flaky(2, 0);
    await expect(update(node, 'k', () => 1, { attempts: 3 })).resolves.toMatchObject({ value: 1 });
    expect(calls.get).toBe(3);
    await expect(update(flaky(3, 0).node, 'k', () => 1, { attempts: 3 })).rejects.toBeInstanceOf(QuorumError);
  });

  it('does not run fn again after a failed write unless told it is idempotent', async () => {
    let runs = 0;
    const fn = () => ++runs;
    await expect(update(flaky(0, 1).node, 'k', fn)).rejects.toBeInstanceOf(QuorumError);
    expect(runs).toBe(1);
    runs = 0;
    const { node, calls } = flaky(0, 1);
    await expect(update(node, 'k', fn, { idempotent: true })).resolves.toMatchObject({ writes: 1 });
    expect([runs, calls.put]).toEqual([2, 2]);
  });

  it('gives up on an always-failing write after attempts writes', async () => {
    const { node, calls } = flaky(0, 100);
    await expect(update(node, 'k', () => 1, { idempotent: true, attempts: 4 })).rejects.toBeInstanceOf(QuorumError);
    expect(calls.put).toBe(4);
  });

  it('refuses an attempts bound out of range', async () => {
    for (const attempts of [0, 11, 1.5, Number.NaN]) {
      await expect(update(flaky(0, 0).node, 'k', () => 1, { attempts })).rejects.toBeInstanceOf(RangeError);
    }
  });
});
