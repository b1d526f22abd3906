// Membership through the simulator (paper §4.8–4.9): gossip converges in O(log S) rounds, joins and
// leaves under load lose no acknowledged write, a removed node's data is rebuilt, split views heal.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ports/transport';
import { check, formatReport, History } from '../../src/sim/checker';
import { SimCluster } from '../../src/sim/cluster';
import { gossipConvergence } from '../../src/sim/gossip';
import { repairAndCollect, runClients } from '../../src/sim/workload';
import { clockwise } from '../../src/core/ring';
import { partitionOf } from '../../src/core/hash';

const KEYS = Array.from({ length: 40 }, (_, i) => `k${i}`);

/** Every live node agrees on the history, and no partition is left to move. */
function settled(c: SimCluster): boolean {
  const live = c.ids.filter((id) => c.isUp(id));
  const digests = new Set(live.map((id) => c.node(id).membership().digest));
  return digests.size === 1 && live.every((id) => c.node(id).stats().transfer.partitionsPending === 0);
}

/** For every key, the nodes holding it in storage are exactly its N replicas under the final ring. */
function placementErrors(c: SimCluster, keys: readonly string[]): string[] {
  const ring = c.node(c.ids[0]!).membership().ring!;
  const n = c.node(c.ids[0]!).config.n;
  const errors: string[] = [];
  for (const key of keys) {
    const owners = clockwise(ring, partitionOf(key, ring.q), n);
    const holders = c.ids.filter((id) => c.replicaSet(id, key) !== undefined);
    const missing = owners.filter((o) => !holders.includes(o));
    const extra = holders.filter((h) => !owners.includes(h));
    if (missing.length > 0 || extra.length > 0) errors.push(`${key}: missing on ${missing.join(',')}; extra on ${extra.join(',')}`);
  }
  return errors;
}

describe('gossip convergence', () => {
  // Generous bounds: push-pull with a random peer needs about log2(S) + ln(S) rounds in expectation.
  it.each([
    [10, 8],
    [50, 10],
    [200, 12],
  ])('news reaches all of %i nodes within %i rounds (5 seeds)', (nodes, bound) => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = gossipConvergence({ nodes, seed, scenario: 'news' });
      expect(r.converged, `seed ${seed}`).toBe(true);
      expect(r.rounds, `seed ${seed}: ${r.rounds} rounds`).toBeLessThanOrEqual(bound);
    }
  });

  it('a room of 50 nodes that each know only themselves converges on one history', () => {
    const r = gossipConvergence({ nodes: 50, seed: 7, scenario: 'bootstrap' });
    expect(r.converged).toBe(true);
    expect(r.rounds).toBeLessThanOrEqual(12);
  });
});

describe('joins, leaves and removals in a running cluster', () => {
  it('every node agrees on one ring, balanced within one partition', async () => {
    const c = await SimCluster.create({ seed: 11 });
    expect(await c.until(() => settled(c), { maxTime: 30_000 })).toBe(true);
    const members = c.node('n0').members();
    expect(members.map((m) => m.id)).toEqual(c.ids);
    const counts = members.map((m) => m.tokens.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    await c.stop();
  });

  it('a node that joins under load takes its partitions and their keys; no acknowledged write is lost', async () => {
    const c = await SimCluster.create({ seed: 12 });
    const history = new History();
    let joinedAt = -1;
    const join = async () => {
      await c.sleep(300);
      await c.addNode('n5');
      joinedAt = c.clock.now();
    };
    const clientsOn = ['n0', 'n1', 'n2', 'n3', 'n4'];
    await c.drive(Promise.all([runClients(c, history, { ops: 600, clients: 5, keys: KEYS, nodesFor: () => clientsOn }), join()]));
    expect(joinedAt).toBeGreaterThan(0);
    expect(await c.until(() => settled(c), { maxTime: 60_000 })).toBe(true);
    expect(c.node('n3').members().map((m) => m.id)).toContain('n5');
    expect(c.node('n5').members().find((m) => m.id === 'n5')!.tokens.length).toBeGreaterThanOrEqual(Math.floor(256 / 6));
    const final = await repairAndCollect(c, history, KEYS);
    const report = check(history, final);
    expect(report.ok, formatReport(report)).toBe(true);
    expect(report.acknowledged).toBeGreaterThan(100);
    expect(await c.until(() => settled(c), { maxTime: 60_000 })).toBe(true);
    expect(placementErrors(c, KEYS)).toEqual([]);
    await c.stop();
  });

  it('a node that leaves under load hands everything over; no acknowledged write is lost', async () => {
    const c = await SimCluster.create({ seed: 13 });
    const history = new History();
    let result: { complete: boolean; moved: number } | undefined;
    const leave = async () => {
      await c.sleep(400);
      result = await c.leave('n2');
    };
    const clientsOn = ['n0', 'n1', 'n3', 'n4'];
    await c.drive(Promise.all([runClients(c, history, { ops: 600, clients: 5, keys: KEYS, nodesFor: () => clientsOn }), leave()]));
    expect(result?.complete).toBe(true);
    expect(result!.moved).toBeGreaterThan(0);
    expect(await c.until(() => settled(c), { maxTime: 60_000 })).toBe(true);
    for (const id of c.ids) expect(c.node(id).members().map((m) => m.id)).not.toContain('n2');
    const final = await repairAndCollect(c, history, KEYS);
    const report = check(history, final);
    expect(report.ok, formatReport(report)).toBe(true);
    expect(await c.until(() => settled(c), { maxTime: 60_000 })).toBe(true);
    expect(placementErrors(c, KEYS)).toEqual([]);
    await c.stop();
  });

  it('removing a crashed node rebuilds its replicas on the others, with no client traffic', async () => {
    const c = await SimCluster.create({ seed: 14 });
    for (const key of KEYS) await c.drive(c.put('n0', key, `v:${key}`));
    c.crash('n4');
    await c.removeMember('n1', 'n4');
    expect(await c.until(() => settled(c), { maxTime: 60_000 })).toBe(true);
    expect(c.node('n0').members().map((m) => m.id)).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(placementErrors(c, KEYS)).toEqual([]);
    await c.stop();
  });

  it('split views heal: joins on both sides of a partition end in one history and one ring', async () => {
    const c = await SimCluster.create({ seed: 15 });
    c.partition([
      ['n0', 'n1', 'n5'],
      ['n2', 'n3', 'n4', 'n6'],
    ]);
    await c.addNode('n5');
    await c.addNode('n6');
    await c.run(5_000);
    const side = (id: NodeId) => c.node(id).members().map((m) => m.id);
    expect(side('n0')).toContain('n5');
    expect(side('n0')).not.toContain('n6');
    expect(side('n3')).toContain('n6');
    expect(side('n3')).not.toContain('n5');
    c.heal();
    expect(await c.until(() => settled(c), { maxTime: 60_000 })).toBe(true);
    const ring = JSON.stringify(c.node('n0').membership().ring);
    for (const id of c.ids) {
      expect(side(id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
      expect(JSON.stringify(c.node(id).membership().ring)).toBe(ring);
    }
    await c.stop();
  });

  it('a removed member is not resurrected by stale gossip; a running one rejoins with a new join', async () => {
    const c = await SimCluster.create({ seed: 16 });
    c.isolate('n4');
    await c.removeMember('n0', 'n4');
    await c.run(3_000);
    for (const id of ['n0', 'n1', 'n2', 'n3']) expect(c.node(id).members().map((m) => m.id)).not.toContain('n4');
    c.heal();
    await c.run(10_000);
    // n4's stale view carried its old join back to everyone; that alone changed nothing. n4 then
    // learned of its removal and, still running, joined again with a join ordered after it.
    const history = c.node('n0').membership().changes.filter((ch) => ch.node === 'n4');
    expect(history.map((ch) => `${ch.kind} by ${ch.by}`)).toEqual(['join by n4', 'remove by n0', 'join by n4']);
    expect(history[2]!.seq).toBeGreaterThan(history[1]!.seq);
    for (const id of ['n0', 'n1', 'n2', 'n3']) expect(c.node(id).members().map((m) => m.id)).toContain('n4');
    await c.stop();
  });

  it('auto-removal: a member down past autoRemoveAfterMs is removed by the smallest up member, not before', async () => {
    const c = await SimCluster.create({ seed: 17, config: { autoRemoveAfterMs: 30_000 } });
    for (const key of KEYS) await c.drive(c.put('n1', key, `v:${key}`));
    c.crash('n4');
    await c.run(20_000);
    expect(c.node('n1').members().map((m) => m.id)).toContain('n4');
    await c.run(15_000);
    const removal = c.node('n1').membership().changes.find((ch) => ch.kind === 'remove');
    expect(removal).toMatchObject({ node: 'n4', by: 'n0' });
    c.ids.splice(c.ids.indexOf('n4'), 1);
    expect(await c.until(() => settled(c), { maxTime: 60_000 })).toBe(true);
    expect(placementErrors(c, KEYS)).toEqual([]);
    await c.stop();
  });

  it('auto-removal: a minority cut off from the ring removes nobody', async () => {
    const c = await SimCluster.create({ seed: 18, config: { autoRemoveAfterMs: 10_000 } });
    c.partition([['n0', 'n1'], ['n2', 'n3', 'n4']]);
    await c.run(30_000);
    // n0 is the smallest id on its side but sees only 2 of 5 members up.
    expect(c.node('n0').membership().changes.filter((ch) => ch.by === 'n0' && ch.kind === 'remove')).toEqual([]);
    await c.stop();
  });
});
