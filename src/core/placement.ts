// Replica placement (paper §4.3 preference lists, §4.6 sloppy quorum; riak_core_apl): the one place
// that turns the ring and peer liveness into where a key's replicas live.
//
// Public API
//   new Placement({ self, n, ring, health, zones? })
//   .walk(key)                     every member, from the key's partition clockwise and spread over
//                                  zones: N primaries, then the fallbacks in the order a sloppy quorum
//                                  tries them
//   .primaries(p, ring?)           partition p's N replicas (in `ring`, default the current one)
//   .replicates(p, node?, ring?)   is `node` (default this node) one of p's N replicas
//   .coordinators(key)             who may coordinate a write, in order: this node if it is a
//                                  primary, else the healthy primaries; [] when none is reachable
//   .targets(key, need)            where a request goes: the first N healthy nodes of the walk, each
//                                  fallback naming the down primary it holds a hint for
//   .writeTargets(key, need)       the same, always including this node (the coordinator keeps a copy)
//   .coReplicas(p)                 p's other replicas that are healthy (anti-entropy partners)
//   .sameZone()                    partitions whose replicas all sit in one zone, per zone (a zone
//                                  that fails takes every copy of them: the ring console warns)
//   type Target = { node, hintFor? }
//
// Only this file and ring.ts walk the ring: everything that asks "who holds p" asks here, so the
// zone rule (spread, below) is in one file.

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
  /** Members' zones (membership.ts): a new map whenever one changes. Absent: every node a zone of its own. */
  zones?(): ReadonlyMap<NodeId, string> | undefined;
}

/** Walks and primaries per partition, computed once per ring (every request would walk it otherwise). */
interface RingCache {
  walks: Array<readonly NodeId[] | undefined>;
  primaries: Array<readonly NodeId[] | undefined>;
  /** Per partition: 0 not known yet, 1 this node is a primary, 2 it is not (asked on every local write). */
  mine: Uint8Array;
}

export class Placement {
  private caches = new WeakMap<Ring, RingCache>();
  private zones: ReadonlyMap<NodeId, string> | undefined;
  // The current ring's cache and the last key's partition: a put asks for the same key's walk a few
  // times (coordinators, targets, where), and every local write asks whether this node replicates.
  private lastRing: Ring | undefined;
  private lastCache: RingCache | undefined;
  private lastKey = '';
  private lastQ = 0;
  private lastPartition = 0;

  constructor(private readonly deps: PlacementDeps) {}

  walk(key: string): readonly NodeId[] {
    const ring = this.deps.ring();
    return ring ? this.walkOf(this.partition(key, ring.q), ring) : [];
  }

  primaries(p: number, ring: Ring | undefined = this.deps.ring()): readonly NodeId[] {
    if (!ring || p < 0 || p >= ring.q) return [];
    const cache = this.cache(ring);
    return (cache.primaries[p] ??= this.walkOf(p, ring).slice(0, this.deps.n));
  }

  replicates(p: number, node: NodeId = this.deps.self, ring: Ring | undefined = this.deps.ring()): boolean {
    if (node !== this.deps.self || !ring || p < 0 || p >= ring.q) return this.primaries(p, ring).includes(node);
    const mine = this.cache(ring).mine;
    if (mine[p] === 0) mine[p] = this.primaries(p, ring).includes(node) ? 1 : 2;
    return mine[p] === 1;
  }

  coordinators(key: string): NodeId[] {
    const walk = this.walk(key);
    const { self, n, health } = this.deps;
    const healthy: NodeId[] = [];
    let primary = false;
    for (let i = 0; i < n && i < walk.length; i++) {
      const id = walk[i] as NodeId;
      if (id === self) primary = true;
      else if (health.healthy(id)) healthy.push(id);
    }
    if (primary) healthy.unshift(self);
    return healthy;
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

  /**
   * Partitions whose replicas (up to N) all sit in one zone, counted per zone, most first. Empty when
   * N is 1 (one copy is always in one zone) or when every partition spans two zones or more.
   */
  sameZone(): Array<{ zone: string; partitions: number }> {
    const ring = this.deps.ring();
    if (!ring || this.deps.n < 2) return [];
    const zones = this.deps.zones?.();
    const count = new Map<string, number>();
    for (let p = 0; p < ring.q; p++) {
      const [first, ...rest] = this.primaries(p, ring);
      if (first === undefined) continue;
      const zone = zones?.get(first) ?? first;
      if (rest.every((id) => (zones?.get(id) ?? id) === zone)) count.set(zone, (count.get(zone) ?? 0) + 1);
    }
    return [...count].map(([zone, partitions]) => ({ zone, partitions })).sort((a, b) => b.partitions - a.partitions || (a.zone < b.zone ? -1 : 1));
  }

  private walkOf(p: number, ring: Ring): readonly NodeId[] {
    const cache = this.cache(ring);
    return (cache.walks[p] ??= spread(clockwise(ring, p), this.deps.n, this.zones));
  }

  private cache(ring: Ring): RingCache {
    const zones = this.deps.zones?.();
    if (zones !== this.zones) {
      // A member moved zones: every walk may change, for the current ring and any other asked about.
      this.zones = zones;
      this.caches = new WeakMap();
      this.lastRing = undefined;
    }
    if (ring === this.lastRing) return this.lastCache as RingCache;
    let c = this.caches.get(ring);
    if (!c) this.caches.set(ring, (c = { walks: new Array(ring.q), primaries: new Array(ring.q), mine: new Uint8Array(ring.q) }));
    this.lastRing = ring;
    this.lastCache = c;
    return c;
  }

  private partition(key: string, q: number): number {
    if (key !== this.lastKey || q !== this.lastQ) {
      this.lastPartition = partitionOf(key, q);
      this.lastKey = key;
      this.lastQ = q;
    }
    return this.lastPartition;
  }
}

/**
 * A clockwise walk rearranged over failure domains (paper §4.3, which spreads replicas over data
 * centers; Cassandra's rack-aware walk): the first N are the first node of each zone not yet taken,
 * in walk order, topped up in walk order when the ring has fewer zones than N; then the fallbacks,
 * those in zones the N lack first. Deterministic (a function of the ring and the zones), and a zone
 * change moves only the keys whose walk crosses that zone. A node that names no zone is a zone of its own,
 * so with no zones at all this is the plain walk.
 */
export function spread(walk: readonly NodeId[], n: number, zones: ReadonlyMap<NodeId, string> | undefined): readonly NodeId[] {
  if (zones === undefined || zones.size === 0) return walk;
  const first: NodeId[] = [];
  const chosen = new Set<NodeId>();
  const taken = new Set<string>();
  for (const id of walk) {
    if (first.length >= n) break;
    const z = zones.get(id);
    if (z !== undefined && taken.has(z)) continue;
    first.push(id);
    chosen.add(id);
    if (z !== undefined) taken.add(z);
  }
  for (const id of walk) {
    if (first.length >= n) break;
    if (!chosen.has(id)) first.push(id), chosen.add(id);
  }
  const elsewhere: NodeId[] = [];
  const rest: NodeId[] = [];
  for (const id of walk) {
    if (chosen.has(id)) continue;
    const z = zones.get(id);
    (z === undefined || !taken.has(z) ? elsewhere : rest).push(id);
  }
  return [...first, ...elsewhere, ...rest];
}

/**
 * The first n nodes of the walk that pass `ok`; a fallback stands in for the next primary that did
 * not. `ok` is asked once per node (it runs for every request, so no intermediate arrays either).
 */
export function sloppy(walk: readonly NodeId[], n: number, ok: (id: NodeId) => boolean): Target[] {
  const out: Target[] = [];
  let down: NodeId[] | undefined;
  for (let i = 0; i < n && i < walk.length; i++) {
    const node = walk[i] as NodeId;
    if (ok(node)) out.push({ node });
    else (down ??= []).push(node);
  }
  if (down === undefined) return out;
  for (let i = n, next = 0; i < walk.length && out.length < n && next < down.length; i++) {
    const node = walk[i] as NodeId;
    if (ok(node)) out.push({ node, hintFor: down[next++] });
  }
  return out;
}
