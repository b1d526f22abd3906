// Wall clocks that jump (src/sim/node-time.ts) against the failure detector (core/liveness.ts):
// Date.now() is stepped by NTP either way, and a sleeping machine wakes up minutes later.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ports/transport';
import { SimCluster } from '../../src/sim/cluster';
import { NodeTime, NO_TIME_FAULTS } from '../../src/sim/node-time';
import { seededRandom } from '../../src/sim/random';

async function withClocks(seed: number) {
  const times = new Map<NodeId, NodeTime>();
  const c = await SimCluster.create({
    seed,
    time: (id) => {
      if (!times.has(id)) times.set(id, new NodeTime(NO_TIME_FAULTS, seededRandom(seed).fork(id)));
      return times.get(id);
    },
  });
  return { c, times };
}

const statusOf = (c: SimCluster, at: NodeId, peer: NodeId) => c.node(at).members().find((m) => m.id === peer)?.status;

describe('clock jumps and failure detection', () => {
  it('a node whose clock stepped back ten minutes still finds a crashed peer down within seconds', async () => {
    const { c, times } = await withClocks(5);
    times.get('n0')!.jump(-10 * 60_000);
    await c.run(2_000);
    c.crash('n1');
    expect(await c.until(() => statusOf(c, 'n0', 'n1') === 'down', { maxTime: 30_000 })).toBe(true);
    await c.stop();
  });

  it('a node whose clock leapt forward half an hour does not take its live peers for down', async () => {
    const { c, times } = await withClocks(6);
    times.get('n0')!.jump(30 * 60_000);
    await c.run(10_000);
    expect(c.node('n0').members().filter((m) => m.status !== 'up')).toEqual([]);
    expect(c.node('n0').members().length).toBe(5);
    await c.stop();
  });
});
