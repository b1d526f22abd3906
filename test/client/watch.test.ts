// node.watch (src/client/watch.ts): fires on the writer and on replicas with the new siblings;
// changes during a read coalesce into one more read; unsubscribing stops it.

import { describe, expect, it } from 'vitest';
import { DynamoCore } from '../../src/core/node';
import { watch, type KeyValueNode, type ReadResult } from '../../src/client/index';
import { memoryRings } from '../support/memory-ring';
import { until } from '../support/wait';

const ring = memoryRings();

describe('watch over a ring', () => {
  it('fires on the node that wrote and on every replica, with the new siblings', async () => {
    const all = await ring(5);
    const [a] = all as [DynamoCore];
    const key = 'watched';
    const replicas = a.preferenceList(key).slice(0, 3);
    const writer = all.find((n) => !replicas.includes(n.id)) ?? a; // a writer that holds no replica, if any
    const watchers = [writer, ...all.filter((n) => replicas.includes(n.id))];
    const seen = new Map<string, ReadResult[]>();
    const offs = watchers.map((n) => watch(n, key, (read) => seen.set(n.id, [...(seen.get(n.id) ?? []), read])));
    await writer.put(key, { v: 1 }, undefined, { w: 3 });
    await until(() => watchers.every((n) => seen.get(n.id)?.some((r) => JSON.stringify(r.values) === '[{"v":1}]')), 5000, 'every watcher');
    for (const off of offs) off();
  });

  it('reads once right away with initial', async () => {
    const [a] = (await ring(1)) as [DynamoCore];
    await a.put('k', 7);
    const got = await new Promise<ReadResult>((resolve) => watch(a, 'k', resolve, { initial: true }));
    expect(got.values).toEqual([7]);
  });
});

/** A node whose reads wait until released, counting them; `change(key)` emits the event. */
function manualNode() {
  const listeners = new Set<(key?: string) => void>();
  const pending: Array<() => void> = [];
  let reads = 0;
  const node: KeyValueNode = {
    put: async () => ({ context: 'c', replicas: 1 }),
    on: (_e, fn) => {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    get: () => {
      const n = ++reads;
      return new Promise((resolve) => pending.push(() => resolve({ values: [n], context: `c${n}` })));
    },
  };
  return {
    node,
    change: (key: string) => listeners.forEach((fn) => fn(key)),
    release: () => pending.shift()?.(),
    reads: () => reads,
    listeners: () => listeners.size,
  };
}

describe('watch coalescing', () => {
  it('a burst of changes during a read costs one more read, and results arrive in order', async () => {
    const m = manualNode();
    const got: unknown[] = [];
    watch(m.node, 'k', (r) => got.push(r.values[0]));
    m.change('other');
    expect(m.reads()).toBe(0);
    m.change('k');
    for (let i = 0; i < 5; i++) m.change('k');
    expect(m.reads()).toBe(1);
    m.release();
    await until(() => m.reads() === 2, 1000, 'second read');
    m.release();
    await until(() => got.length === 2, 1000, 'two results');
    expect(got).toEqual([1, 2]);
    expect(m.reads()).toBe(2);
  });

  it('stops after unsubscribe, also for a read under way', async () => {
    const m = manualNode();
    const got: unknown[] = [];
    const off = watch(m.node, 'k', (r) => got.push(r.values[0]));
    m.change('k');
    off();
    m.release();
    m.change('k');
    await Promise.resolve();
    expect(got).toEqual([]);
    expect(m.listeners()).toBe(0);
  });

  it('hands a failed read to onError and keeps watching', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const listeners = new Set<(key?: string) => void>();
    const node: KeyValueNode = {
      put: async () => ({ context: 'c', replicas: 1 }),
      on: (_e, fn) => (listeners.add(fn), () => void listeners.delete(fn)),
      get: async () => {
        if (fail) throw new Error('quorum');
        return { values: [1], context: 'c' };
      },
    };
    const got: unknown[] = [];
    watch(node, 'k', (r) => got.push(r.values), { onError: (e) => errors.push(e) });
    listeners.forEach((fn) => fn('k'));
    await until(() => errors.length === 1, 1000, 'error');
    fail = false;
    listeners.forEach((fn) => fn('k'));
    await until(() => got.length === 1, 1000, 'read');
  });
});
