// Sets a peer refused to merge (refusals.ts, shipping.ts): the sender keeps them, leaves them out of
// later shipments to that peer while they are unchanged and parked, and says so in stats.

import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory/storage';
import { HintStore } from '../../src/core/handoff';
import type { KeySet } from '../../src/core/protocol/wire';
import { Refusals } from '../../src/core/refusals';
import { Shipper } from '../../src/core/shipping';
import * as versions from '../../src/core/versions';

/** A peer that refuses the keys in `refuses` and records what it was sent. */
function peer(refuses: Set<string>) {
  const sent: string[][] = [];
  const send = async (_to: string, sets: KeySet[]) => {
    sent.push(sets.map((s) => s.key));
    const refused = sets.map((s) => s.key).filter((k) => refuses.has(k));
    return refused.length > 0 ? refused : true;
  };
  return { sent, send };
}

describe('a shipment a peer acknowledged with refused keys', () => {
  it('passes on only what the peer took, and does not send the refused sets again while unchanged', async () => {
    let now = 0;
    const refusals = new Refusals(() => now, 1000);
    const { sent, send } = peer(new Set(['b']));
    const shipper = new Shipper(send, undefined, refusals);
    const sets = [{ key: 'a', set: 1 }, { key: 'b', set: 2 }, { key: 'c', set: 3 }];
    const taken: string[] = [];
    expect(await shipper.ship('p', sets, (got) => void taken.push(...got.map((s) => s.key)))).toBe(true);
    expect(taken).toEqual(['a', 'c']);
    expect(refusals.stats()).toEqual({ refused: 1, parked: 1 });

    await shipper.ship('p', sets);
    expect(sent[1]).toEqual(['a', 'c']);
    // Parked for that peer only.
    await shipper.ship('q', sets);
    expect(sent[2]).toEqual(['a', 'b', 'c']);
    expect(refusals.stats()).toEqual({ refused: 2, parked: 2 });
    // A set changed here goes again (refused again here, and parked anew).
    await shipper.ship('p', [{ key: 'b', set: 22 }]);
    expect(sent[3]).toEqual(['b']);
    await shipper.ship('p', [{ key: 'b', set: 22 }]);
    expect(sent).toHaveLength(4);
    // Once the park ends, an unchanged set goes again too.
    now = 1000;
    expect(refusals.stats()).toEqual({ refused: 3, parked: 0 });
    await shipper.ship('p', [{ key: 'b', set: 22 }]);
    expect(sent[4]).toEqual(['b']);
  });

  it('keys the ack names that were not in the shipment are ignored', async () => {
    const refusals = new Refusals(() => 0);
    const shipper = new Shipper(async () => ['x', 'y'], undefined, refusals);
    const taken: string[] = [];
    await shipper.ship('p', [{ key: 'a', set: 1 }], (got) => void taken.push(...got.map((s) => s.key)));
    expect(taken).toEqual(['a']);
    expect(refusals.stats()).toEqual({ refused: 0, parked: 0 });
  });
});

describe('a hint its owner refused to merge', () => {
  it('stays a hint (reads still see it) and is not offered again while unchanged', async () => {
    const hints = new HintStore(memoryStorage());
    const set = versions.put(versions.empty(), { coordinator: 'x', context: versions.read(versions.empty()).context, value: 'v', now: 0 }).set;
    await hints.add('owner', 'k', set);
    const { sent, send } = peer(new Set(['k']));
    const shipper = new Shipper(send, undefined, new Refusals(() => 0));
    expect(await hints.deliver('owner', shipper)).toBe(0);
    expect(hints.count()).toBe(1);
    expect(hints.forKey('k')).toHaveLength(1);
    expect(await hints.deliver('owner', shipper)).toBe(0);
    expect(sent).toEqual([['k']]);
  });
});
