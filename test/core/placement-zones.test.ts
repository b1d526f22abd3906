// Placement over zones, as properties (issue 19; placement.ts `spread`, paper §4.3): a key's N
// replicas span min(N, zones) distinct zones; every node computes the same lists from the same
// members; and when one node changes zone, only partitions it replicates before or after move.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Placement } from '../../src/core/placement';
import type { Ring } from '../../src/core/protocol/ring';
import { assign } from '../../src/core/ring';

const Q = 64;

/** A ring built the way a room grows it: one join at a time (strategy 3 moves from the most loaded). */
function grow(ids: readonly string[]): Ring {
  let ring: Ring | undefined;
  for (let i = 1; i <= ids.length; i++) ring = assign(ring, ids.slice(0, i), Q);
  return ring as Ring;
}

function placement(self: string, n: number, ring: Ring, zones: ReadonlyMap<string, string>): Placement {
  return new Placement({ self, n, ring: () => ring, health: { healthy: () => true, reachable: () => true }, zones: () => zones });
}

/** Members n0..n{k-1}, each in one of `zoneCount` zones (drawn), and N. */
const ringArb = fc
  .record({ members: fc.integer({ min: 1, max: 10 }), zoneCount: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: 5 }) })
  .chain(({ members, zoneCount, n }) =>
    fc.record({
      n: fc.constant(n),
      zoneOf: fc.array(fc.integer({ min: 0, max: zoneCount - 1 }), { minLength: members, maxLength: members }).map((zs) => zs.map((z) => `z${z}`)),
    }),
  );

function setup({ n, zoneOf }: { n: number; zoneOf: string[] }) {
  const ids = zoneOf.map((_, i) => `n${i}`);
  const zones = new Map(ids.map((id, i) => [id, zoneOf[i]!]));
  return { ids, zones, ring: grow(ids), n };
}

describe('placement over zones (properties)', () => {
  it("a partition's N replicas span min(N, zones in the ring) distinct zones, and N distinct nodes when the ring has them", () => {
    fc.assert(
      fc.property(ringArb, (arb) => {
        const { ids, zones, ring, n } = setup(arb);
        const p = placement(ids[0]!, n, ring, zones);
        const ringZones = new Set(zones.values()).size;
        for (let part = 0; part < Q; part++) {
          const replicas = p.primaries(part);
          expect(new Set(replicas).size).toBe(Math.min(n, ids.length));
          expect(new Set(replicas.map((id) => zones.get(id))).size).toBe(Math.min(n, ringZones));
          // The walk still holds every member once: fallbacks after the N.
          expect([...p.walk(`k${part}`)].sort()).toEqual([...ids].sort());
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: every member computes the same walks, whatever order it learned the zones in', () => {
    fc.assert(
      fc.property(ringArb, fc.integer(), (arb, salt) => {
        const { ids, zones, ring, n } = setup(arb);
        const lists = ids.map((self, i) => {
          // Another insertion order of the same zones, as another node's view may build it.
          const entries = [...zones].sort((a, b) => ((a[0].charCodeAt(1) * 31 + salt + i) % 7) - ((b[0].charCodeAt(1) * 31 + salt + i) % 7));
          const p = placement(self, n, ring, new Map(entries));
          return Array.from({ length: Q }, (_, part) => p.walk(`key-${part}`).join(','));
        });
        for (const l of lists) expect(l).toEqual(lists[0]);
      }),
      { numRuns: 100 },
    );
  });

  it('when one node changes zone, only partitions it replicates before or after change their replica set', () => {
    let moved = 0;
    let bound = 0;
    fc.assert(
      fc.property(ringArb, fc.nat(), fc.integer({ min: 0, max: 5 }), (arb, pick, zone) => {
        const { ids, zones, ring, n } = setup(arb);
        const v = ids[pick % ids.length]!;
        const after = new Map(zones).set(v, `z${zone}`);
        const before = placement(v, n, ring, zones);
        const next = placement(v, n, ring, after);
        for (let part = 0; part < Q; part++) {
          const a = [...before.primaries(part)].sort().join(',');
          const b = [...next.primaries(part)].sort().join(',');
          const hasV = before.replicates(part, v) || next.replicates(part, v);
          if (hasV) bound++;
          if (a === b) continue;
          moved++;
          // Proof sketch: spread's choices depend on v only through v being chosen; if it is chosen
          // in neither run, every other node sees the same taken zones and is chosen alike.
          expect(hasV, `partition ${part}: ${a} -> ${b} without ${v}`).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
    expect(moved).toBeGreaterThan(0); // the property is not vacuous
    expect(moved).toBeLessThanOrEqual(bound);
  });

  it('sameZone() counts the partitions whose replicas all sit in one zone, and none once the ring has two zones and N >= 2', () => {
    fc.assert(
      fc.property(ringArb, (arb) => {
        const { ids, zones, ring, n } = setup(arb);
        const p = placement(ids[0]!, n, ring, zones);
        let expected = 0;
        for (let part = 0; part < Q; part++) if (new Set(p.primaries(part).map((id) => zones.get(id))).size === 1) expected++;
        const counted = p.sameZone().reduce((s, z) => s + z.partitions, 0);
        expect(counted).toBe(n < 2 ? 0 : expected);
        if (new Set(zones.values()).size >= 2 && n >= 2) expect(counted).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
