// Request deadlines and shipments across the seams between coordinator, forwarder and handoff
// (coordinate/put.ts, shipping.ts): each was a silent bug before those files owned them.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ports/transport';
import { SimCluster } from '../../src/sim/cluster';
import { QuorumError } from '../../src/core/errors';

describe('request deadlines', () => {
  // Before: the forwarder gave up at 1.5 x the node's default timeout, and requests to replicas
  // expired at 2 x it, whatever the caller asked for; a 5 s timeout was silently 1.5 s.
  it('a per-call timeoutMs of 5 s is honoured through a forward', async () => {
    const c = await SimCluster.create({ seed: 11 });
    const key = 'slow';
    const walk = c.node('n0').preferenceList(key);
    const [coordinator, ...others] = walk.slice(0, 3) as NodeId[];
    const outsider = walk[4] as NodeId;
    // The coordinator's replicas answer after ~3 s; the forward itself is quick.
    for (const r of others) c.net.setLink(coordinator as NodeId, r, { minDelayMs: 1400, maxDelayMs: 1500 });
    const started = c.clock.now();
    const res = await c.drive(c.put(outsider, key, 'v', undefined, { timeoutMs: 5000 }));
    const took = c.clock.now() - started;
    expect(res.replicas).toBe(2);
    expect(took).toBeGreaterThan(2000);
    expect(took).toBeLessThan(5000);
    // The default (1 s) still fails, and within its deadline.
    const t0 = c.clock.now();
    await expect(c.drive(c.put(outsider, key, 'w'))).rejects.toBeInstanceOf(QuorumError);
    expect(c.clock.now() - t0).toBeLessThanOrEqual(1100);
    await c.stop();
  });
});

describe('shipments', () => {
  // Before: hints went out 100 keys to a message whatever their size, so twenty 900 KB values made
  // one 18 MB message, above the 16 Mi-char limit: the owner dropped it and it was retried forever.
  it('hints of large values are delivered in shipments below the message limit', async () => {
    // Four nodes, and keys whose one fallback is n0: it holds every hint, 18 MB of them.
    const c = await SimCluster.create({ seed: 5, nodes: 4 });
    const big = (i: number) => `${i}:`.padEnd(900_000, 'x');
    const away = 'n2';
    c.isolate(away);
    await c.until(() => c.node('n0').members().find((m) => m.id === away)?.status === 'down');
    const keys: string[] = [];
    for (let i = 0; keys.length < 20; i++) {
      const key = `big-${i}`;
      const walk = c.node('n0').preferenceList(key);
      if (walk.slice(0, 3).includes(away) && walk[3] === 'n0') keys.push(key);
    }
    for (const [i, key] of keys.entries()) await c.drive(c.put('n0', key, big(i)));
    expect(c.node('n0').stats().hints.pending).toBe(keys.length);
    c.heal();
    await c.waitForMesh();
    await c.until(() => c.ids.every((id) => c.node(id).stats().hints.pending === 0), { maxTime: 60_000 });
    for (const [i, key] of keys.entries()) {
      const set = await c.replicaSet(away, key);
      expect(set && JSON.stringify(set).includes(`${i}:xxx`)).toBe(true);
    }
    expect(c.node(away).stats().messages.dropReasons['too-large']).toBeUndefined();
    await c.stop();
  });
});

describe("w 'any' (always writeable)", () => {
  // The cart's promise: a node cut off from every other accepts the write after one local durable
  // write, keeps hints for the primaries it could not reach, and delivers them after a restart.
  it('a cut-off node acknowledges at once, survives a restart, and every replica has the write after heal', async () => {
    const c = await SimCluster.create({ seed: 21, nodes: 3 });
    const key = 'cart:alice';
    c.isolate('n2');
    await c.until(() => c.node('n2').members().every((m) => m.id === 'n2' || m.status === 'down'));
    await expect(c.drive(c.put('n2', key, 'book'))).rejects.toBeInstanceOf(QuorumError);
    const started = c.clock.now();
    const res = await c.drive(c.put('n2', key, 'book', undefined, { w: 'any' }));
    expect(res).toMatchObject({ replicas: 1, degraded: true });
    expect(c.clock.now() - started).toBeLessThan(50); // one local write: no waiting on anyone
    expect(c.node('n2').stats().requests.degraded).toBe(1);
    expect(c.node('n2').stats().hints.stored).toBe(2); // every hint kept is counted, the degraded path's too
    await c.crash('n2');
    await c.restart('n2');
    expect(c.node('n2').stats().hints.pending).toBe(2);
    c.heal();
    await c.waitForMesh();
    await c.until(() => c.node('n2').stats().hints.pending === 0, { maxTime: 30_000 });
    for (const id of c.ids) expect(c.replicaSet(id, key)?.siblings.map((s) => s.value)).toEqual(['book']);
    await c.stop();
  });

  it('a node that is no primary mints under its own actor and holds hints for all of them', async () => {
    const c = await SimCluster.create({ seed: 22, nodes: 5 });
    let key = '';
    for (let i = 0; !key; i++) if (!c.node('n4').preferenceList(`k${i}`).slice(0, 3).includes('n4')) key = `k${i}`;
    c.isolate('n4');
    await c.until(() => c.node('n4').members().every((m) => m.id === 'n4' || m.status === 'down'));
    const res = await c.drive(c.put('n4', key, 'pen', undefined, { w: 'any' }));
    expect(res).toMatchObject({ replicas: 1, degraded: true });
    expect(c.node('n4').stats().hints.pending).toBe(3);
    expect(c.node('n4').stats().hints.stored).toBe(3);
    c.heal();
    await c.waitForMesh();
    const read = await c.drive(c.get('n0', key, { r: 3 }));
    expect(read.values).toEqual(['pen']);
    await c.stop();
  });
});
