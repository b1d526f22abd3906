// A whole zone cut off, in the seeded simulator (issue 19): with zones, a key's N=3 replicas sit in
// three zones, so every write acknowledged before the cut, and every write the survivors acknowledge
// during it, reads back from the survivors; after the heal, from the cut zone too. The same run
// without zones is the negative control: keys whose three replicas were all in the cut zone are gone
// from the survivors' view. A failure prints the seed and the cluster's fault log.

import { describe, expect, it } from 'vitest';
import { SimCluster } from '../../src/sim/cluster';
import type { NodeId } from '../../src/ports/transport';

const ZONES: Record<NodeId, string> = { n0: 'a', n1: 'a', n2: 'a', n3: 'b', n4: 'b', n5: 'c' };
const CUT: NodeId[] = ['n0', 'n1', 'n2'];
const SURVIVORS: NodeId[] = ['n3', 'n4', 'n5'];
const SEED = 1919;

async function zoneCutRun(withZones: boolean) {
  const c = await SimCluster.create({
    seed: SEED,
    nodes: Object.keys(ZONES),
    config: { n: 3, r: 2, w: 2, antiEntropy: false },
    nodeConfig: withZones ? (id) => ({ zone: ZONES[id] }) : undefined,
  });
  const rng = c.rng.fork('clients');
  const acked = new Map<string, string>();
  const write = async (nodes: NodeId[], key: string) => {
    try {
      await c.put(rng.pick(nodes), key, `v:${key}`);
      acked.set(key, `v:${key}`);
    } catch {
      // Not acknowledged: nothing is owed.
    }
  };
  await c.drive(Promise.all(Array.from({ length: 200 }, (_, i) => write(c.ids, `before${i}`))));
  c.partition([CUT, SURVIVORS]);
  await c.until(() => SURVIVORS.every((s) => CUT.every((x) => c.node(s).members().find((m) => m.id === x)?.status === 'down')));
  await c.drive(Promise.all(Array.from({ length: 100 }, (_, i) => write(SURVIVORS, `during${i}`))));

  const unreadable = async (from: NodeId[]) => {
    const keys = [...acked.keys()];
    const reads = await c.drive(Promise.all(keys.map((k) => c.get(rng.pick(from), k).catch((err: Error) => ({ values: [err.name] })))));
    return keys.filter((k, i) => !reads[i]!.values.includes(acked.get(k)!));
  };
  const lostDuringCut = await unreadable(SURVIVORS);
  const context = `seed ${SEED}, zones ${withZones}; log:\n${c.log.join('\n')}`;
  return { c, acked, lostDuringCut, unreadable, context };
}

describe('a zone cut off (simulator)', () => {
  it('with zones, every acknowledged write stays readable from the survivors, and from the cut zone after the heal', async () => {
    const { c, acked, lostDuringCut, unreadable, context } = await zoneCutRun(true);
    expect(acked.size, context).toBe(300);
    expect(lostDuringCut, context).toEqual([]);
    c.heal();
    await c.waitForMesh();
    await c.until(() => c.ids.every((id) => c.node(id).stats().hints.pending === 0), { maxTime: 60_000 });
    expect(await unreadable(CUT), context).toEqual([]);
    await c.stop();
  });

  it('negative control: without zones, keys whose replicas all sat in the cut zone are unreadable from the survivors', async () => {
    const { c, lostDuringCut, context } = await zoneCutRun(false);
    expect(lostDuringCut.length, context).toBeGreaterThan(0);
    expect(lostDuringCut.every((k) => k.startsWith('before')), context).toBe(true);
    await c.stop();
  });
});
