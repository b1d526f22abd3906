// Bulk seeding (DynamoCore.seed): each primary stores the same set with no messages, so anti-entropy
// finds nothing to repair, reads see the values, and later writes supersede them like any version.

import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../src/sim/cluster';
import { ValidationError } from '../../src/core/errors';
import * as versions from '../../src/core/versions';

describe('seed', { timeout: 60_000 }, () => {
  it('stores each key on exactly its primaries, identically; reads and later writes behave as usual', async () => {
    const c = await SimCluster.create({ seed: 51, config: { q: 64 } });
    await c.waitForMesh();
    await c.run(5_000);
    const entries = Array.from({ length: 500 }, (_, i) => ({ key: `s${i}`, value: { i } }));
    const stored = await c.drive(Promise.all(c.ids.map((id) => c.node(id).seed(entries))));
    expect(stored.reduce((a, b) => a + b, 0)).toBe(entries.length * 3);
    for (const { key } of entries.slice(0, 50)) {
      const primaries = c.node('n0').preferenceList(key).slice(0, 3);
      expect(c.ids.filter((id) => c.replicaSet(id, key) !== undefined).sort()).toEqual([...primaries].sort());
      const sets = primaries.map((id) => c.replicaSet(id, key)!);
      expect(sets.every((s) => versions.equals(s, sets[0]!))).toBe(true);
    }
    const before = c.ids.map((id) => c.node(id).stats().antiEntropy);
    await c.run(20_000);
    const after = c.ids.map((id) => c.node(id).stats().antiEntropy);
    expect(after.reduce((s, a, i) => s + a.exchanges - before[i]!.exchanges, 0)).toBeGreaterThan(50);
    expect(after.reduce((s, a, i) => s + a.keysPushed - before[i]!.keysPushed, 0)).toBe(0);

    const read = await c.drive(c.get('n1', 's7'));
    expect(read.values).toEqual([{ i: 7 }]);
    await c.drive(c.put('n2', 's7', 'newer', read.context));
    expect((await c.drive(c.get('n3', 's7', { r: 3 }))).values).toEqual(['newer']);
    await c.stop();
  });

  it('rejects a bad entry before storing anything', async () => {
    const c = await SimCluster.create({ seed: 52, config: { q: 64 } });
    await c.waitForMesh();
    await c.run(5_000);
    const ok = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => c.node('n0').preferenceList(k).slice(0, 3).includes('n0'))!;
    const bad = [{ key: ok, value: 1 }, { key: '', value: 2 }];
    await expect(c.drive(c.node('n0').seed(bad))).rejects.toBeInstanceOf(ValidationError);
    expect(c.replicaSet('n0', ok)).toBeUndefined();
    expect(await c.drive(c.node('n0').seed([{ key: ok, value: 1 }]))).toBe(1);
    expect(c.replicaSet('n0', ok)).toBeDefined();
    await c.stop();
  });
});
