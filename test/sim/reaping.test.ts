// Tombstone reaping through the simulator (reaper.ts): deletes confirmed on every primary are removed
// for good, a replica that missed the delete holds reaping back, and no reaped delete ever lets an
// older value return or a later write be lost.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ports/transport';
import { SimCluster } from '../../src/sim/cluster';
import type { NodeConfig } from '../../src/core/node';

const Q = 64;
const REAPING: Partial<NodeConfig> = { q: Q, tombstoneGraceMs: 10_000, reapIntervalMs: 2_000 };

async function cluster(seed: number, config: Partial<NodeConfig> = {}): Promise<SimCluster> {
  const c = await SimCluster.create({ seed, config: { ...REAPING, ...config } });
  await c.waitForMesh();
  return c;
}

function primaries(c: SimCluster, key: string): NodeId[] {
  return c.node(c.ids[0]!).preferenceList(key).slice(0, 3);
}

/** Nodes still holding any record of the key (a value, a tombstone or a hint). */
function holders(c: SimCluster, key: string): NodeId[] {
  return c.ids.filter((id) => c.replicaSet(id, key) !== undefined);
}

async function writeThenDelete(c: SimCluster, keys: string[], via: () => NodeId): Promise<void> {
  for (const key of keys) await c.drive(c.put(via(), key, `v:${key}`, undefined, { w: 3 }));
  for (const key of keys) {
    const node = via();
    const read = await c.drive(c.get(node, key, { r: 3 }));
    await c.drive(c.delete(node, key, read.context, { w: 3 }));
  }
}

describe('tombstone reaping', { timeout: 120_000 }, () => {
  it('removes confirmed deletes from every replica; kept keys stay; reads still find nothing', async () => {
    const c = await cluster(31);
    const deleted = Array.from({ length: 60 }, (_, i) => `gone${i}`);
    const kept = Array.from({ length: 20 }, (_, i) => `kept${i}`);
    for (const key of kept) await c.drive(c.put(c.rng.pick(c.ids), key, `v:${key}`, undefined, { w: 3 }));
    await writeThenDelete(c, deleted, () => c.rng.pick(c.ids));
    expect(deleted.every((k) => primaries(c, k).every((id) => c.replicaSet(id, k) !== undefined))).toBe(true);

    const reaped = await c.until(() => deleted.every((k) => holders(c, k).length === 0), { maxTime: 120_000, pollMs: 1000 });
    expect(reaped).toBe(true);
    for (const key of kept) expect(holders(c, key).sort()).toEqual(primaries(c, key).sort());
    for (const key of deleted.slice(0, 10)) expect((await c.drive(c.get(c.rng.pick(c.ids), key))).values).toEqual([]);
    const stats = c.ids.map((id) => c.node(id).stats().reaping);
    expect(stats.reduce((s, r) => s + r.reaped, 0)).toBe(deleted.length * 3);
    expect(stats.every((r) => r.epoch >= 1)).toBe(true);
    await c.stop();
  });

  it('nothing is reaped before the grace period, nor with reaping off', async () => {
    const c = await cluster(32, { tombstoneGraceMs: 60_000 });
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await writeThenDelete(c, keys, () => c.rng.pick(c.ids));
    await c.run(40_000);
    expect(keys.every((k) => primaries(c, k).every((id) => c.replicaSet(id, k) !== undefined))).toBe(true);
    await c.stop();

    const off = await cluster(32, { tombstoneGraceMs: 0 });
    await writeThenDelete(off, keys, () => off.rng.pick(off.ids));
    await off.run(60_000);
    expect(keys.every((k) => primaries(off, k).every((id) => off.replicaSet(id, k) !== undefined))).toBe(true);
    await off.stop();
  });

  it('a primary that missed the delete holds reaping back until it has the tombstone; nothing comes back', async () => {
    const c = await cluster(33);
    const keys = Array.from({ length: 80 }, (_, i) => `k${i}`);
    for (const key of keys) await c.drive(c.put(c.rng.pick(c.ids), key, `v:${key}`, undefined, { w: 3 }));
    const cut = 'n2';
    const affected = keys.filter((k) => primaries(c, k).includes(cut));
    expect(affected.length).toBeGreaterThan(10);
    c.isolate(cut);
    const others = c.ids.filter((id) => id !== cut);
    // A cut is silence: until the others' heartbeats find it, deletes forwarded to it time out.
    await c.until(() => others.every((id) => c.node(id).members().find((m) => m.id === cut)?.status === 'down'));
    for (const key of keys) {
      const node = c.rng.pick(others);
      const read = await c.drive(c.get(node, key));
      await c.drive(c.delete(node, key, read.context));
    }
    // Well past the grace period, the cut-off primary still holds the old values: no reap.
    await c.run(40_000);
    for (const key of affected) {
      expect(c.replicaSet(cut, key)?.siblings.some((s) => !s.tombstone)).toBe(true);
      expect(primaries(c, key).filter((id) => id !== cut).every((id) => c.replicaSet(id, key) !== undefined)).toBe(true);
    }
    c.heal();
    await c.waitForMesh();
    const reaped = await c.until(() => keys.every((k) => holders(c, k).length === 0), { maxTime: 180_000, pollMs: 1000 });
    expect(reaped).toBe(true);
    for (const key of affected) expect((await c.drive(c.get(cut, key, { r: 3 }))).values).toEqual([]);
    await c.stop();
  });

  // The lost-write case actor epochs exist for: with the coordinator counting from one again after
  // the reap, the stale context (which covers its old dots 1..5) would cover the new blind write.
  it('after a reap, a write with a context from before the delete does not drop a blind write', async () => {
    const c = await cluster(34);
    const key = 'cart';
    const [x, y] = primaries(c, key) as [NodeId, NodeId];
    let ctx: string | undefined;
    for (let i = 1; i <= 5; i++) ctx = (await c.drive(c.put(x, key, `v${i}`, ctx, { w: 3 }))).context;
    const stale = (await c.drive(c.get(x, key, { r: 3 }))).context;
    await c.drive(c.delete(x, key, stale, { w: 3 }));
    expect(await c.until(() => holders(c, key).length === 0, { maxTime: 120_000, pollMs: 1000 })).toBe(true);

    await c.drive(c.put(x, key, 'blind after reap', undefined, { w: 3 }));
    await c.drive(c.put(y, key, 'written with the stale context', stale, { w: 3 }));
    const read = await c.drive(c.get(c.ids[0]!, key, { r: 3 }));
    expect([...read.values].sort()).toEqual(['blind after reap', 'written with the stale context']);
    await c.stop();
  });

  it('under random faults, every deleted key ends reaped everywhere and never reads back a value', async () => {
    for (const seed of [41, 42, 43, 44, 45]) {
      const c = await cluster(seed);
      const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
      const rng = c.rng.fork('faults');
      const deleted: string[] = [];
      let cut: NodeId | undefined;
      for (const key of keys) {
        const roll = rng.next();
        if (roll < 0.45) {
          c.heal();
          cut = roll < 0.25 ? rng.pick(c.ids) : undefined;
          if (cut) c.isolate(cut);
        }
        const up = c.ids.filter((id) => id !== cut);
        try {
          await c.drive(c.put(rng.pick(up), key, `v:${key}`));
          const read = await c.drive(c.get(rng.pick(up), key));
          await c.drive(c.delete(rng.pick(up), key, read.context));
          deleted.push(key);
        } catch {
          // A write that failed its quorum may still have landed somewhere: such keys are not checked.
        }
        await c.run(rng.int(2_000));
      }
      expect(deleted.length, `seed ${seed}`).toBeGreaterThan(20);
      c.heal();
      await c.waitForMesh();
      const done = await c.until(() => deleted.every((k) => holders(c, k).length === 0), { maxTime: 300_000, pollMs: 2000 });
      expect(done, `seed ${seed}: keys still held: ${deleted.filter((k) => holders(c, k).length > 0).join(',')}`).toBe(true);
      for (const key of deleted) {
        expect((await c.drive(c.get(rng.pick(c.ids), key, { r: 3 }))).values, `seed ${seed} key ${key}`).toEqual([]);
      }
      await c.stop();
    }
  });
});
