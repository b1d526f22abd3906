// The simulated cluster: mesh formation, crash and restart with kept storage, client calls across a
// crash, the run loop's budgets, and replay: the same seed gives the same run, event for event.

import { describe, expect, it } from 'vitest';
import { ClosedError } from '../../src/ports/errors';
import { CrashedError, NodeDownError, SimCluster } from '../../src/sim/cluster';
import { formatFailure, runMixed } from '../../src/sim/workload';

describe('SimCluster', () => {
  it('starts K nodes that all see each other as up members', async () => {
    const c = await SimCluster.create({ seed: 1, nodes: 4 });
    expect(c.ids).toEqual(['n0', 'n1', 'n2', 'n3']);
    for (const id of c.ids) {
      expect(c.node(id).members().map((m) => [m.id, m.status])).toEqual(c.ids.map((x) => [x, 'up']));
    }
    await c.stop();
  });

  it('rejects a call pending on a node that crashes (outcome unknown), and calls to a down node', async () => {
    // A cut is silence: n0 keeps sending into it for seconds, and its put waits for its deadline.
    const c = await SimCluster.create({ seed: 2 });
    c.isolate('n0');
    const outcome = c.put('n0', 'k', 1).catch((e: unknown) => e);
    await c.run(5);
    c.crash('n0');
    expect(await c.drive(outcome)).toBeInstanceOf(CrashedError);
    await expect(c.drive(c.get('n0', 'k'))).rejects.toBeInstanceOf(NodeDownError);
    expect(() => c.node('n0')).toThrow(NodeDownError);
    await c.run(10_000); // the dead node's timers (deadlines, handoff) must not fire into it
    await c.stop();
  });

  it('restarts a node over its kept storage, same id, and retires the old incarnation', async () => {
    const c = await SimCluster.create({ seed: 3 });
    const key = 'kept';
    const owner = c.node('n0').preferenceList(key)[0] as string;
    await c.drive(c.put(owner, key, 'v'));
    const before = c.replicaSet(owner, key);
    const old = c.node(owner);
    c.crash(owner);
    await c.restart(owner);
    expect(c.node(owner)).not.toBe(old);
    expect(c.replicaSet(owner, key)).toEqual(before);
    await expect(c.drive(old.put(key, 'ghost', undefined, { w: 1 }))).rejects.toBeInstanceOf(ClosedError); // a dead process cannot write
    expect(c.replicaSet(owner, key)).toEqual(before);
    await c.waitForMesh();
    c.isolate(owner);
    await c.run(50);
    expect((await c.drive(c.get(owner, key, { r: 1 }))).values).toEqual(['v']);
    await c.stop();
  });

  it('fails drive() loudly when the promise never settles', async () => {
    const c = await SimCluster.create({ seed: 4, nodes: 2 });
    await expect(c.drive(new Promise(() => {}), { maxTime: 5_000 })).rejects.toThrow(/still pending at virtual time/);
    await c.stop();
  });

  it('replays a seed exactly, and different seeds differ', async () => {
    const a = await runMixed({ seed: 11, ops: 150 });
    const b = await runMixed({ seed: 11, ops: 150 });
    const other = await runMixed({ seed: 12, ops: 150 });
    const shape = (r: typeof a) => ({ report: r.report, steps: r.steps, messages: r.messages, virtualMs: r.virtualMs, log: r.log });
    expect(shape(b)).toEqual(shape(a));
    expect(shape(other)).not.toEqual(shape(a));
  });
});

describe('mixed-fault run reports', () => {
  it('prints a failing seed with its faults and the command that replays it', async () => {
    const opts = { seed: 5, ops: 150, versioning: 'lww' as const };
    const r = await runMixed(opts);
    expect(r.report.ok).toBe(false);
    const text = formatFailure(r, opts);
    expect(text).toContain('seed 5 FAILED');
    expect(text).toContain('lost acknowledged');
    expect(text).toContain('replay: npm run sim -- --seeds 1 --start 5 --ops 150 --versioning lww');
  });
});
