// Tests for core/placement.ts: the sloppy quorum's choice of nodes (paper §4.3, §4.6) and the caches
// that keep it off the hot path (per ring, and the last key's partition), which must never outlive a
// ring change.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { partitionOf } from '../../src/core/hash';
import { Placement, sloppy, type Target } from '../../src/core/placement';
import { assign, clockwise } from '../../src/core/ring';
import type { Ring } from '../../src/core/protocol/ring';
import type { NodeId } from '../../src/ports/transport';

/** The rule as first written, with arrays at every step: the reference the faster sloppy() must match. */
function reference(walk: readonly NodeId[], n: number, ok: (id: NodeId) => boolean): Target[] {
  const primaries = walk.slice(0, n);
  const down = primaries.filter((p) => !ok(p));
  const out: Target[] = primaries.filter(ok).map((node) => ({ node }));
  for (const node of walk.slice(n)) {
    if (out.length >= n || down.length === 0) break;
    if (ok(node)) out.push({ node, hintFor: down.shift() });
  }
  return out;
}

const ids = (k: number): NodeId[] => Array.from({ length: k }, (_, i) => `n${i}`);

describe('sloppy', () => {
  it('matches the reference rule for any walk, N and set of healthy nodes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }), (k, n, up) => {
        const walk = ids(k);
        const ok = (id: NodeId) => up[Number(id.slice(1))] === true;
        expect(sloppy(walk, n, ok)).toEqual(reference(walk, n, ok));
      }),
    );
  });

  it('gives each down primary, in order, the next healthy fallback', () => {
    const down = new Set(['n0', 'n2']);
    expect(sloppy(ids(6), 3, (id) => !down.has(id))).toEqual([{ node: 'n1' }, { node: 'n3', hintFor: 'n0' }, { node: 'n4', hintFor: 'n2' }]);
  });
});

describe('Placement', () => {
  function setup(members: NodeId[], self = 'n0') {
    let ring: Ring | undefined = assign(undefined, members, 16);
    const healthy = new Set(members);
    const placement = new Placement({
      self,
      n: 3,
      ring: () => ring,
      health: { healthy: (id) => healthy.has(id), reachable: (id) => healthy.has(id) },
    });
    return { placement, healthy, setRing: (r: Ring | undefined) => (ring = r), ring: () => ring as Ring };
  }

  it('answers "does this node replicate p" for the current ring, also after the ring changed', () => {
    const s = setup(ids(3));
    // Three members, N = 3: n0 replicates everything.
    for (let p = 0; p < 16; p++) expect(s.placement.replicates(p)).toBe(true);
    s.setRing(assign(s.ring(), ids(8), 16));
    for (let p = 0; p < 16; p++) expect(s.placement.replicates(p)).toBe(clockwise(s.ring(), p, 3).includes('n0'));
    expect([...Array(16).keys()].some((p) => !s.placement.replicates(p))).toBe(true);
    s.setRing(undefined);
    expect(s.placement.replicates(0)).toBe(false);
  });

  it("walks the key's own partition, whichever key came before and whatever the ring", () => {
    const s = setup(ids(8));
    for (const key of ['a', 'b', 'a', 'key-1', 'key-1', 'b']) {
      expect(s.placement.walk(key)).toEqual(clockwise(s.ring(), partitionOf(key, 16)));
    }
    s.setRing(assign(undefined, ids(8), 64));
    expect(s.placement.walk('b')).toEqual(clockwise(s.ring(), partitionOf('b', 64)));
  });

  it('coordinators: itself first when a primary, then the healthy primaries in walk order', () => {
    const s = setup(ids(3));
    const others = s.placement.walk('k').filter((id) => id !== 'n0');
    expect(s.placement.coordinators('k')).toEqual(['n0', ...others]);
    s.healthy.delete(others[0] as NodeId);
    expect(s.placement.coordinators('k')).toEqual(['n0', others[1]]);
    const t = setup(ids(8));
    const key = Array.from({ length: 100 }, (_, i) => `key-${i}`).find((k) => !t.placement.walk(k).slice(0, 3).includes('n0')) as string;
    const primaries = t.placement.walk(key).slice(0, 3);
    t.healthy.delete(primaries[1] as NodeId);
    expect(t.placement.coordinators(key)).toEqual([primaries[0], primaries[2]]);
  });
});
