// The checkers the swarm adds (src/sim/dots.ts, src/sim/acks.ts) fail when they must.

import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/ports/storage';
import { AckChecker } from '../../src/sim/acks';
import { VirtualClock } from '../../src/sim/clock';
import { DotRegistry } from '../../src/sim/dots';
import { FaultyBacking, NO_STORAGE_FAULTS } from '../../src/sim/faulty-storage';
import { seededRandom } from '../../src/sim/random';

/** A stored sibling set holding one version, in the shape versions.toJson writes. */
const set = (node: string, counter: number, value: string): Json => ({
  clock: [[node, counter, 0]],
  siblings: [{ dot: [node, counter], ts: 0, value }],
});

describe('DotRegistry (KV679)', () => {
  it('reports a dot carried by two different versions of one key, and nothing else', async () => {
    const dots = new DotRegistry();
    const clock = new VirtualClock();
    const disk = (id: string) => new FaultyBacking(clock, seededRandom(1), NO_STORAGE_FAULTS, dots.observer(id)).open();
    const [a, b] = [disk('n0'), disk('n1')];
    await a.put({ key: 'k', partition: 0, value: set('n0', 1, 'first') });
    await b.put({ key: 'k', partition: 0, value: set('n0', 1, 'first') }); // replication: same version
    await b.put({ key: 'other', partition: 0, value: set('n0', 1, 'elsewhere') }); // dots are per key
    expect(dots.count).toBe(0);
    await a.putMeta('hint:n2:k', { owner: 'n2', key: 'k', set: set('n0', 1, 'second') });
    expect(dots.count).toBe(1);
    expect(dots.reissued[0]).toMatchObject({ key: 'k', dot: 'n0:1', first: '"first"', second: '"second"' });
    expect(dots.dotOf('k', 'first')).toEqual({ node: 'n0', counter: 1 });
  });
});

describe('AckChecker', () => {
  it('flags an acknowledgement that fewer disks hold than it claimed', async () => {
    const dots = new DotRegistry();
    const clock = new VirtualClock();
    const backings = new Map(['n0', 'n1', 'n2'].map((id) => [id, new FaultyBacking(clock, seededRandom(1), NO_STORAGE_FAULTS, dots.observer(id))]));
    const acks = new AckChecker(backings, (k, v) => dots.dotOf(k, v));
    acks.onAck('k', 'v', 1); // held nowhere
    await backings.get('n0')!.open().put({ key: 'k', partition: 0, value: set('n0', 1, 'v') });
    acks.onAck('k', 'v', 1);
    acks.onAck('k', 'v', 2); // claimed two, one disk holds it
    expect(acks.count).toBe(2);
    // Superseded by a write that saw it: still durable (the clock covers its dot).
    await backings.get('n1')!.open().put({ key: 'k', partition: 0, value: { clock: [['n0', 2, 0]], siblings: [{ dot: ['n0', 2], ts: 0, value: 'w' }] } });
    acks.onAck('k', 'v', 2);
    expect(acks.count).toBe(2);
  });
});
