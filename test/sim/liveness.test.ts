// Failure detection in the simulator (paper §4.8.3): a cut is silence, and each node finds it out on
// its own, from request timeouts and heartbeats on virtual time (core/liveness.ts), then finds the
// peer again after the heal. The simulator tells nobody anything.

import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVENESS } from '../../src/core/liveness';
import type { NodeId } from '../../src/ports/transport';
import { History } from '../../src/sim/checker';
import { SimCluster } from '../../src/sim/cluster';
import { runClients } from '../../src/sim/workload';

const { heartbeatMs, deadAfterMs, suspectAfterTimeouts } = DEFAULT_LIVENESS;

/** How `observer` sees `peer` over time: each change of status, with the virtual time it was seen. */
function watch(c: SimCluster, observer: NodeId, peer: NodeId): { changes: Array<{ at: number; status: string }>; stop: () => void } {
  const changes: Array<{ at: number; status: string }> = [];
  let stopped = false;
  const look = async () => {
    while (!stopped) {
      const status = c.node(observer).members().find((m) => m.id === peer)?.status ?? 'absent';
      if (changes.at(-1)?.status !== status) changes.push({ at: c.clock.now(), status });
      await c.sleep(10);
    }
  };
  void look();
  return { changes, stop: () => void (stopped = true) };
}

describe('failure detection on simulated heartbeats', () => {
  it('a cut peer under client load is suspected from request timeouts, then down by silence, then up after the heal', async () => {
    const c = await SimCluster.create({ seed: 61 });
    const cut = 'n4';
    const others = c.ids.filter((id) => id !== cut);
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`).filter((k) => c.node('n0').preferenceList(k).slice(0, 3).includes(cut));
    expect(keys.length).toBeGreaterThan(5);
    const seen = watch(c, 'n0', cut);
    const cutAt = c.clock.now();
    c.isolate(cut);
    const history = new History();
    await c.drive(runClients(c, history, { ops: 300, clients: 4, keys, nodesFor: () => ['n0'] }));
    await c.until(() => seen.changes.at(-1)?.status === 'down');
    expect(seen.changes.map((s) => s.status)).toEqual(['up', 'suspect', 'down']);
    const [, suspect, down] = seen.changes as [unknown, { at: number }, { at: number }];
    // Two requests unanswered for their own deadline (timeoutMs) before the suspicion...
    expect(suspect.at - cutAt).toBeGreaterThanOrEqual(c.node('n0').config.timeoutMs);
    expect(suspectAfterTimeouts).toBe(2);
    // ...and the silence verdict at the first heartbeat past deadAfterMs (n0 heard n4 until the cut).
    expect(down.at - cutAt).toBeGreaterThan(deadAfterMs - 20);
    expect(down.at - cutAt).toBeLessThanOrEqual(deadAfterMs + heartbeatMs + 10);
    expect(down.at - suspect.at).toBeLessThan(c.node('n0').config.suspectDownAfterMs); // silence came first
    // Meanwhile the cut peer found the others gone the same way.
    expect(c.node(cut).members().filter((m) => m.id !== cut).map((m) => m.status)).toEqual(['down', 'down', 'down', 'down']);
    // Requests stopped waiting on it: calls after the verdict succeed without it.
    expect(history.puts().filter((p) => p.outcome === 'ok').length).toBeGreaterThan(0);

    const healedAt = c.clock.now();
    c.heal();
    await c.until(() => seen.changes.at(-1)?.status === 'up');
    expect(seen.changes.at(-1)!.at - healedAt).toBeLessThan(heartbeatMs);
    await c.waitForMesh();
    expect(others.every((id) => c.node(id).members().every((m) => m.status === 'up'))).toBe(true);
    seen.stop();
    await c.stop();
  });

  it('a silent peer with no traffic is never suspected: up, then down after deadAfterMs, then up after the heal', async () => {
    const c = await SimCluster.create({ seed: 62, network: { trace: 50_000 } });
    const seen = watch(c, 'n1', 'n3');
    await c.run(3_000);
    const cutAt = c.clock.now();
    c.partition([['n0', 'n1', 'n2'], ['n3', 'n4']]);
    await c.until(() => seen.changes.length > 1);
    expect(seen.changes.map((s) => s.status)).toEqual(['up', 'down']);
    // The silence counts from the last thing n1 heard from n3 (a heartbeat: there is no other traffic).
    const heard = c.net.trace().filter((e) => e.kind === 'deliver' && e.from === 'n3' && e.to === 'n1');
    const lastHeard = heard.at(-1)!.time;
    expect(lastHeard).toBeLessThanOrEqual(cutAt);
    expect(cutAt - lastHeard).toBeLessThan(heartbeatMs + 50); // idle links are kept talking
    expect(seen.changes[1]!.at - lastHeard).toBeGreaterThan(deadAfterMs);
    expect(seen.changes[1]!.at - lastHeard).toBeLessThanOrEqual(deadAfterMs + heartbeatMs + 10);
    // Within a side, heartbeats kept everyone up.
    expect(c.node('n3').members().find((m) => m.id === 'n4')?.status).toBe('up');
    await c.run(30_000);
    expect(seen.changes.map((s) => s.status)).toEqual(['up', 'down']);

    const healedAt = c.clock.now();
    c.heal();
    await c.until(() => seen.changes.at(-1)?.status === 'up');
    expect(seen.changes.map((s) => s.status)).toEqual(['up', 'down', 'up']);
    expect(seen.changes[2]!.at - healedAt).toBeLessThan(heartbeatMs);
    seen.stop();
    await c.stop();
  });

  it('a partition that heals before anyone notices leaves every link standing: no down, no reconnect', async () => {
    const c = await SimCluster.create({ seed: 63, network: { trace: 50_000 } });
    const seen = watch(c, 'n0', 'n2');
    const ups = c.net.stats();
    const cutAt = c.clock.now();
    c.partition([['n0', 'n1'], ['n2', 'n3', 'n4']]);
    await c.run(deadAfterMs / 2);
    c.heal();
    await c.run(10_000);
    expect(seen.changes.map((s) => s.status)).toEqual(['up']);
    const linkEvents = c.net.trace().filter((e) => e.time >= cutAt && ['up', 'down', 'disconnect'].includes(e.kind));
    expect(linkEvents).toEqual([]);
    expect(c.net.stats().droppedByCut).toBeGreaterThan(ups.droppedByCut);
    seen.stop();
    await c.stop();
  });
});
