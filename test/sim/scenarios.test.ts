// Scenarios through the simulator (paper §4.5 sloppy quorum, §4.6 hinted handoff, §4.4 versioning):
// reads after writes, a partition with writers on both sides, riak_test's hinted-handoff shape, and
// the LWW negative control that proves the checker can fail. Every run is seeded and replayable.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ports/transport';
import { LWW, type Versioning } from '../../src/core/replica';
import { check, formatReport, History, type CheckReport, type FinalState } from '../../src/sim/checker';
import { SimCluster } from '../../src/sim/cluster';
import { repairAndCollect, runClients } from '../../src/sim/workload';

describe('simulated scenarios', () => {
  it('(a) without faults, a read after an acknowledged write (R+W>N) returns it', async () => {
    const c = await SimCluster.create({ seed: 101 });
    const rng = c.rng.fork('test');
    const stale: string[] = [];
    // Eight writers, two keys each, random coordinators: every read must show the last acked write.
    const writer = async (w: number) => {
      const ctx = new Map<string, string>();
      for (let i = 0; i < 40; i++) {
        const key = `w${w}.${i % 2}`;
        const value = `${key}#${i}`;
        const put = await c.put(rng.pick(c.ids), key, value, ctx.get(key));
        const got = await c.get(rng.pick(c.ids), key);
        if (got.values.length !== 1 || got.values[0] !== value) stale.push(`${value} read as ${JSON.stringify(got.values)}`);
        ctx.set(key, put.context);
        await c.sleep(rng.int(20));
      }
    };
    await c.drive(Promise.all(Array.from({ length: 8 }, (_, w) => writer(w))));
    expect(stale).toEqual([]);
    await c.stop();
  });

  it('(b) a {2}|{3} partition with writers on both sides: siblings after the heal, nothing acknowledged lost', async () => {
    const { report, final, cluster } = await partitionRun(202);
    expect(report.ok, formatReport(report)).toBe(true);
    expect(report.acknowledged).toBeGreaterThan(100);
    const siblings = [...final.values()].filter((replicas) => (replicas[0]?.values.length ?? 0) > 1);
    expect(siblings.length).toBeGreaterThan(0);
    // A read-modify-write with the returned context collapses them.
    for (const key of final.keys()) {
      const read = await cluster.drive(cluster.get('n0', key, { r: 3 }));
      await cluster.drive(cluster.put('n3', key, `merged:${key}`, read.context));
      expect((await cluster.drive(cluster.get('n4', key, { r: 3 }))).values).toEqual([`merged:${key}`]);
    }
    await cluster.stop();
  });

  it('(d) the same partition with last-writer-wins: the checker reports lost acknowledged writes', async () => {
    const { report, cluster } = await partitionRun(202, LWW);
    expect(report.lost.length, formatReport(report)).toBeGreaterThan(0);
    expect(report.ok).toBe(false);
    await cluster.stop();
  });

  it.each(['crash', 'partition'] as const)('(c) 1,000 keys written while a node is away (%s) are all on it after handoff', async (how) => {
    const c = await SimCluster.create({ seed: 303 });
    const away: NodeId = 'n4';
    const others = c.ids.filter((id) => id !== away);
    if (how === 'crash') c.crash(away);
    else c.isolate(away);
    await c.until(() => others.every((id) => !c.node(id).members().some((m) => m.id === away && m.status === 'up')));

    const keys = Array.from({ length: 1000 }, (_, i) => `key${i}`);
    const rng = c.rng.fork('writers');
    await c.drive(Promise.all(keys.map((k) => c.put(rng.pick(others), k, `v:${k}`))));
    expect(others.reduce((n, id) => n + c.node(id).stats().hints.pending, 0)).toBeGreaterThan(0);

    if (how === 'crash') await c.restart(away);
    else c.heal();
    await c.waitForMesh();
    expect(await c.until(() => c.ids.every((id) => c.node(id).stats().hints.pending === 0), { maxTime: 60_000 })).toBe(true);

    c.isolate(away); // from now on it can only answer from its own storage
    await c.until(() => c.node(away).members().every((m) => m.id === away || m.status === 'down'));
    const mine = keys.filter((k) => c.node(away).preferenceList(k).slice(0, 3).includes(away));
    expect(mine.length).toBeGreaterThan(400);
    const reads = await c.drive(Promise.all(mine.map((k) => c.get(away, k, { r: 1 }))));
    const missing = mine.filter((k, i) => reads[i]?.values.length !== 1 || reads[i]?.values[0] !== `v:${k}`);
    expect(missing).toEqual([]);
    expect(mine.every((k) => c.replicaSet(away, k) !== undefined)).toBe(true);
    await c.stop();
  });
});

/** Clients c0, c1 on {n0, n1} and c2..c4 on {n2, n3, n4} read-modify-write the same keys, then heal. */
async function partitionRun(seed: number, versioning?: Versioning): Promise<{ report: CheckReport; final: FinalState; cluster: SimCluster }> {
  const cluster = await SimCluster.create({ seed, config: versioning ? { versioning } : {} });
  const left: NodeId[] = ['n0', 'n1'];
  const right: NodeId[] = ['n2', 'n3', 'n4'];
  cluster.partition([left, right]);
  await cluster.run(20);
  const keys = ['a', 'b', 'c', 'd'];
  const history = new History();
  const nodesFor = (client: string) => (client === 'c0' || client === 'c1' ? left : right);
  await cluster.drive(runClients(cluster, history, { ops: 400, clients: 5, keys, nodesFor, mix: { rmw: 1, blind: 0, chained: 0, read: 0 } }));
  const final = await repairAndCollect(cluster, history, keys);
  const ackedBy = (side: NodeId[]) => history.puts().filter((p) => p.outcome === 'ok' && nodesFor(p.client) === side).length;
  expect(ackedBy(left)).toBeGreaterThan(20);
  expect(ackedBy(right)).toBeGreaterThan(20);
  return { report: check(history, final), final, cluster };
}
