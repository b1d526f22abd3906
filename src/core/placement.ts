// Replica placement (paper §4.3 preference lists, §4.6 sloppy quorum; riak_core_apl): the one place
// that turns the ring and peer liveness into where a key's replicas live.
//
// Public API
//   new Placement({ self, n, ring, health })
//   .walk(key)                     every member clockwise from the key's partition: N primaries, then
//                                  the fallbacks in the order a sloppy quorum tries them
//   .primaries(p, ring?)           partition p's N replicas (in `ring`, default the current one)
//   .replicates(p, node?, ring?)   is `node` (default this node) one of p's N replicas
//   .coordinators(key)             who may coordinate a write, in order: this node if it is a
//                                  primary, else the healthy primaries; [] when none is reachable
//   .targets(key, need)            where a request goes: the first N healthy nodes of the walk, each
//                                  fallback naming the down primary it holds a hint for
//   .writeTargets(key, need)       the same, always including this node (the coordinator keeps a copy)
//   .coReplicas(p)                 p's other replicas that are healthy (anti-entropy partners)
//   type Target = { node, hintFor? }
//
// Only this file and ring.ts walk the ring: everything that asks "who holds p" asks here, so a new
// rule (zones, say) changes one file.

import type { NodeId } from '../ports/transport';
import { partitionOf } from './hash';
import type { Ring } from './protocol/ring';
import { clockwise } from './ring';

export interface Target {
  node: NodeId;
  /** Set when `node` is a fallback holding this write for a primary that is down. */
  hintFor?: NodeId;
}

/** What placement needs to know of liveness (liveness.ts). */
export interface Health {
  /** Up: worth sending requests to. */
  healthy(id: NodeId): boolean;
  /** Not known down: a suspect may still answer. */
  reachable(id: NodeId): boolean;
}

export interface PlacementDeps {
  self: NodeId;
  n: number;
  ring(): Ring | undefined;
  health: Health;
}

/** Walks and primaries per partition, computed once per ring (every request would walk it otherwise). */
interface RingCache {
  walks: Array<readonly NodeId[] | undefined>;
  primaries: Array<readonly NodeId[] | undefined>;
}

export class Placement {
  private readonly caches = new WeakMap<Ring, RingCache>();

  constructor(private readonly deps: PlacementDeps) {}

  walk(key: string): readonly NodeId[] {
    const ring = this.deps.ring();
    return ring ? this.walkOf(partitionOf(key, ring.q), ring) : [];
  }

  primaries(p: number, ring: Ring | undefined = this.deps.ring()): readonly NodeId[] {
    if (!ring || p < 0 || p >= ring.q) return [];
    const cache = this.cache(ring);
    return (cache.primaries[p] ??= this.walkOf(p, ring).slice(0, this.deps.n));
  }

  replicates(p: number, node: NodeId = this.deps.self, ring: Ring | undefined = this.deps.ring()): boolean {
    return this.primaries(p, ring).includes(node);
  }

  coordinators(key: string): NodeId[] {
    const primaries = this.walk(key).slice(0, this.deps.n);
    const healthy = primaries.filter((id) => id !== this.deps.self && this.deps.health.healthy(id));
    return primaries.includes(this.deps.self) ? [this.deps.self, ...healthy] : healthy;
  }

  /**
   * The first N healthy nodes of the walk (§4.6). If that is fewer than the request needs, suspects
   * are tried too: a peer that timed out twice under load may well answer now, and failing the
   * request at once would be worse than asking it.
   */
  targets(key: string, need: number): Target[] {
    const walk = this.walk(key);
    const { self, health, n } = this.deps;
    const healthy = sloppy(walk, n, (id) => id === self || health.healthy(id));
    if (healthy.length >= need) return healthy;
    return sloppy(walk, n, (id) => id === self || health.reachable(id));
  }

  /**
   * The coordinator always keeps a copy, since it minted the version from its own state. It is
   * missing from the targets only when no primary was reachable and other fallbacks came first; it
   * then takes the last fallback's place, and that fallback's hint.
   */
  writeTargets(key: string, need: number): Target[] {
    const plan = this.targets(key, need);
    const self = this.deps.self;
    if (plan.some((t) => t.node === self)) return plan;
    const last = plan.at(-1);
    return [...plan.slice(0, -1), { node: self, hintFor: last?.hintFor }];
  }

  coReplicas(p: number): NodeId[] {
    return this.primaries(p).filter((x) => x !== this.deps.self && this.deps.health.healthy(x));
  }

  private walkOf(p: number, ring: Ring): readonly NodeId[] {
    return (this.cache(ring).walks[p] ??= clockwise(ring, p));
  }

  private cache(ring: Ring): RingCache {
    let c = this.caches.get(ring);
    if (!c) this.caches.set(ring, (c = { walks: new Array(ring.q), primaries: new Array(ring.q) }));
    return c;
  }
}

/** The first n nodes of the walk that pass `ok`; a fallback stands in for the next primary that did not. */
export function sloppy(walk: readonly NodeId[], n: number, ok: (id: NodeId) => boolean): Target[] {
  const primaries = walk.slice(0, n);
  const downPrimaries = primaries.filter((p) => !ok(p));
  const out: Target[] = primaries.filter(ok).map((node) => ({ node }));
  for (const node of walk.slice(n)) {
    if (out.length >= n || downPrimaries.length === 0) break;
    if (ok(node)) out.push({ node, hintFor: downPrimaries.shift() });
  }
  return out;
}
