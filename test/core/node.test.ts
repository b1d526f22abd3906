// The node's client API over the in-process adapters: quorum reads and writes, siblings, errors.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../src/adapters/memory/transport';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { systemClock, systemRandom } from '../../src/adapters/system/clock';
import { DynamoCore, type NodeConfig } from '../../src/core/node';
import { QuorumError, ValidationError, ClosedError } from '../../src/core/errors';
import { until } from '../support/wait';

let nodes: DynamoCore[] = [];
afterEach(async () => {
  for (const n of nodes) await n.stop();
  nodes = [];
});

async function ring(count: number, config: Partial<NodeConfig> = {}) {
  const net = new MemoryNetwork();
  const ids = Array.from({ length: count }, (_, i) => `n${i}`);
  nodes = await Promise.all(
    ids.map((id) =>
      DynamoCore.start({ id, transport: net.open(id), storage: memoryStorage(), clock: systemClock, random: systemRandom }, config),
    ),
  );
  await until(() => nodes.every((n) => n.members().filter((m) => m.status === 'up').length === count), 5000, 'full ring');
  return { net, nodes };
}

describe('DynamoCore over memory adapters', () => {
  it('reads its own write from every node', async () => {
    const { nodes } = await ring(5);
    const [a] = nodes as [DynamoCore];
    const res = await a.put('k', { n: 1 });
    expect(res.replicas).toBeGreaterThanOrEqual(2);
    for (const n of nodes) expect((await n.get('k')).values).toEqual([{ n: 1 }]);
  });

  it('keeps concurrent writes with the same context as siblings, and collapses them on write-back', async () => {
    const { nodes } = await ring(3);
    const [a, b] = nodes as [DynamoCore, DynamoCore];
    const { context } = await a.put('cart', ['cup']);
    await a.put('cart', ['cup', 'book'], context);
    await b.put('cart', ['cup', 'pen'], context);
    const read = await a.get('cart', { r: 3 });
    expect(read.values).toHaveLength(2);
    await b.put('cart', ['cup', 'book', 'pen'], read.context);
    expect((await a.get('cart', { r: 3 })).values).toEqual([['cup', 'book', 'pen']]);
  });

  it('reads a key never written, and a deleted key, as no values with a context', async () => {
    const { nodes } = await ring(3);
    const [a] = nodes as [DynamoCore];
    expect((await a.get('nothing')).values).toEqual([]);
    const { context } = await a.put('k', 1);
    await a.delete('k', context);
    const after = await a.get('k');
    expect(after.values).toEqual([]);
    await a.put('k', 2, after.context);
    expect((await a.get('k', { r: 3 })).values).toEqual([2]);
  });

  it('works in a ring smaller than N and says how many replicas hold the write', async () => {
    const { nodes } = await ring(1);
    const [a] = nodes as [DynamoCore];
    expect(await a.put('solo', 'x')).toMatchObject({ replicas: 1 });
    expect((await a.get('solo')).values).toEqual(['x']);
  });

  it('rejects bad input with ValidationError before sending anything', async () => {
    const { nodes } = await ring(3);
    const [a] = nodes as [DynamoCore];
    await expect(a.put('', 1)).rejects.toBeInstanceOf(ValidationError);
    await expect(a.put('k'.repeat(1025), 1)).rejects.toBeInstanceOf(ValidationError);
    await expect(a.put('k', undefined as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(a.put('k', 'x'.repeat(1024 * 1024 + 1))).rejects.toBeInstanceOf(ValidationError);
    await expect(a.put('k', 1, 'not a context!')).rejects.toBeInstanceOf(ValidationError);
    await expect(a.put('k', 1, undefined, { w: 4 })).rejects.toBeInstanceOf(ValidationError);
    await expect(a.get('k', { r: 0 })).rejects.toBeInstanceOf(ValidationError);
    expect(a.stats().errors.validation).toBe(7);
  });

  it('fails fast with QuorumError, writing nothing, when fewer than W replicas are reachable', async () => {
    const { net, nodes } = await ring(5);
    const [a] = nodes as [DynamoCore];
    for (const n of nodes.slice(1)) net.cut('n0', n.id);
    const err = await a.put('k', 1, undefined, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumError);
    expect((err as QuorumError).required).toBe(2);
    expect((err as QuorumError).answered).toBe(0);
    expect((err as QuorumError).message).toMatch(/only 1 replicas reachable/);
    for (const n of nodes.slice(1)) net.restore('n0', n.id);
    await until(() => a.members().every((m) => m.status === 'up'), 2000, 'healed');
    expect((await a.get('k', { r: 3 })).values).toEqual([]);
  });

  it('hands writes meant for a down node to a fallback, then to the node when it is back', async () => {
    const { net, nodes } = await ring(4);
    const down = nodes[3] as DynamoCore;
    const writer = nodes[0] as DynamoCore;
    for (const n of nodes) if (n !== down) net.cut(down.id, n.id);
    await until(() => writer.members().find((m) => m.id === down.id)?.status === 'down', 2000, 'down seen');
    const keys = Array.from({ length: 60 }, (_, i) => `key${i}`);
    for (const k of keys) await writer.put(k, k);
    const held = nodes.reduce((s, n) => s + n.stats().hints.pending, 0);
    expect(held).toBeGreaterThan(0);
    for (const n of nodes) if (n !== down) net.restore(down.id, n.id);
    await until(() => nodes.every((n) => n.stats().hints.pending === 0), 5000, 'hints delivered');
    const mine = keys.filter((k) => down.preferenceList(k).slice(0, 3).includes(down.id));
    for (const k of mine) expect((await down.get(k, { r: 1 })).values).toEqual([k]);
  });

  it('rejects calls after stop with ClosedError', async () => {
    const { nodes } = await ring(1);
    const [a] = nodes as [DynamoCore];
    await a.stop();
    await expect(a.get('k')).rejects.toBeInstanceOf(ClosedError);
  });
});
