// Regressions found by the simulator, each replayed as the smallest scenario that shows it.

import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../src/ports/transport';
import { SimCluster } from '../../src/sim/cluster';

describe('simulator regressions', () => {
  // Found by `npm run sim` (seed 166): a fallback minted a write for a key whose primaries were all
  // unreachable, handed it off, forgot it (delivered hints are deleted), and later minted another
  // write for the same key from an empty view: the same dot again. The owner, whose clock already
  // covered that dot through a later write, dropped the second one as superseded: an acknowledged
  // write lost (the shape of Riak's KV679).
  it('a fallback never reissues a dot it minted for a key before its hints were handed off', async () => {
    const c = await SimCluster.create({ seed: 7 });
    const key = 'cart';
    const walk = c.node('n0').preferenceList(key);
    const primaries = walk.slice(0, 3);
    const [f3, f4] = walk.slice(3) as [NodeId, NodeId];
    const cutOff = async () => {
      c.partition([[f3, f4], primaries]);
      await c.until(() => c.node(f4).members().filter((m) => m.status === 'up').length === 2);
    };
    const healed = async () => {
      c.heal();
      await c.waitForMesh();
      await c.until(() => c.ids.every((id) => c.node(id).stats().hints.pending === 0));
    };

    await cutOff();
    await c.drive(c.put(f4, key, 'first')); // minted by the fallback f4, held as hints
    await healed();
    const read = await c.drive(c.get(primaries[0] as NodeId, key, { r: 3 }));
    expect(read.values).toEqual(['first']);
    await c.drive(c.put(primaries[0] as NodeId, key, 'second', read.context)); // supersedes 'first'
    await cutOff();
    await c.drive(c.put(f4, key, 'third')); // a blind write, concurrent with 'second'
    await healed();
    const after = await c.drive(c.get(primaries[0] as NodeId, key, { r: 3 }));
    expect([...after.values].sort()).toEqual(['second', 'third']);
    await c.stop();
  });

  // Found by `npm run sim` (seed 2): the network delivered a forwarded put twice, and the coordinator
  // coordinated both copies, minting two dots for one client write: the same value twice, as
  // siblings no concurrency explains.
  it('a duplicated forwarded put is coordinated once', async () => {
    const c = await SimCluster.create({ seed: 3, network: { duplicate: 1 } });
    const key = 'cart';
    const outsider = c.node('n0').preferenceList(key)[4] as NodeId; // not a primary: it forwards
    await c.drive(c.put(outsider, key, 'once'));
    await c.run(1_000);
    expect((await c.drive(c.get(outsider, key, { r: 3 }))).values).toEqual(['once']);
    expect(c.node(c.node('n0').preferenceList(key)[0] as NodeId).stats().messages.dropReasons['duplicate-fwd-put']).toBe(1);
    await c.stop();
  });
});
