// The ring: Q equal partitions, each owned by one node; preference lists (paper §4.2, §6.2 strategy 3).
//
// Public API
//   type Move = { partition, from, to }
//   DEFAULT_Q                                        256
//   createRing(q, firstNode): Ring                   one node owns everything
//   assign(prev | undefined, members, q?): Ring      deterministic strategy-3 rebalance, minimal movement
//   ownerOf(ring, partition): NodeId
//   clockwise(ring, partition, limit?): NodeId[]     distinct owners met walking clockwise from
//                                                    `partition`, at most `limit` (placement.ts reads
//                                                    the first N as primaries, the rest as fallbacks)
//   partitionsOf(ring, node): number[]               partitions `node` owns, ascending
//   sameOwners(a | undefined, b): boolean            every partition owned alike
//   members(ring): NodeId[]                          distinct owners, sorted
//   ownershipCounts(ring): Map<NodeId, number>
//   movedPartitions(oldRing, newRing): Move[]        what changes hands (drives key transfer)
//   (type Ring and its validator isRing are the wire's: protocol/ring.ts)
//
// Why strategy 3 and not random tokens (§6.2): with Q fixed, equal partitions, a partition is the unit
// of transfer, of Merkle trees and of hints, and membership only decides who owns which partition.
// Joins and leaves move whole partitions, the ring state is a small array that gossips cheaply, and
// ownership is balanced by construction rather than in expectation.
//
// Why deterministic: every node computes the next ring from (previous ring, member set) on its own,
// and two nodes that do so must agree bit for bit. So nothing here depends on the order members are
// given in or on locale: ids are deduplicated and sorted by UTF-16 code units, and every tie is broken
// by partition index, then id.

import { assertPartitionCount } from './hash';
import type { NodeId } from '../ports/transport';
import { isRing, type Ring } from './protocol/ring';
import { isNodeId } from './protocol/wire';

/** One partition changing hands between two rings. */
export type Move = { partition: number; from: NodeId; to: NodeId };

export const DEFAULT_Q = 256;

// ---------------------------------------------------------------------------------------------------
// Building rings

/** A ring where `firstNode` owns every partition: the first tab of a room. */
export function createRing(q: number, firstNode: NodeId): Ring {
  return assign(undefined, [firstNode], q);
}

/**
 * The ring after membership becomes exactly `members` (order and duplicates ignored).
 *
 * Without a previous ring, partitions are dealt round-robin over the sorted ids: balanced, and
 * nearby partitions have distinct owners wherever Q and S allow. With one, only what must move
 * moves: a departed node's partitions, and the surplus of nodes above their new share; a join moves
 * only partitions to the newcomer, a leave only the leaver's. Every node ends with ⌊Q/S⌋ or ⌈Q/S⌉
 * partitions (max − min ≤ 1); if S > Q, S − Q members own nothing.
 *
 * Where partitions go is chosen to keep each node's partitions far apart, so that preference lists
 * find N distinct nodes within about N partitions. That is best effort: minimal movement comes first.
 */
export function assign(prev: Ring | undefined, members: readonly NodeId[], q: number = prev?.q ?? DEFAULT_Q): Ring {
  assertPartitionCount(q);
  const ids = normalizeMembers(members);
  if (prev === undefined) return roundRobin(q, ids);
  if (!isRing(prev)) throw new TypeError('assign: previous ring is malformed');
  if (prev.q !== q) throw new RangeError(`assign: cannot change Q from ${prev.q} to ${q} (that re-homes every key)`);
  return rebalance(prev, ids);
}

function normalizeMembers(members: readonly NodeId[]): NodeId[] {
  for (const id of members) {
    if (!isNodeId(id)) throw new TypeError(`assign: bad node id ${JSON.stringify(id)}`);
  }
  const ids = [...new Set(members)].sort(compareIds);
  if (ids.length === 0) throw new RangeError('assign: a ring needs at least one member');
  return ids;
}

/**
 * Deals partitions in rounds of the sorted ids. When S does not divide Q, the Q mod S extra
 * partitions go to the first ids and the others sit out one round each, those skipped rounds spread
 * evenly; a plain `ids[p % S]` would instead put ids[0] at both ends of the seam at p = Q-1, 0.
 */
function roundRobin(q: number, ids: readonly NodeId[]): Ring {
  const s = ids.length;
  const rounds = Math.ceil(q / s);
  const skips = rounds * s - q; // ids[s - skips ..] sit out one round each
  const owners: NodeId[] = [];
  for (let round = 0; round < rounds; round++) {
    ids.forEach((id, i) => {
      const m = i - (s - skips); // which skipper this is, if any
      if (m < 0 || skipRound(m, skips, rounds) !== round) owners.push(id);
    });
  }
  return { q, owners };
}

/** The round skipper m of k sits out: k skips spread evenly over the rounds. */
function skipRound(m: number, k: number, rounds: number): number {
  return Math.floor(((2 * m + 1) * rounds) / (2 * k));
}

// ---------------------------------------------------------------------------------------------------
// Rebalancing: decide the new shares, then hand over partitions greedily, best placement first.

/** Working state of one rebalance. `owners[p]` is undefined while p's owner has left and p awaits a home. */
type Plan = {
  owners: (NodeId | undefined)[];
  /** Partitions a node must still give away. */
  excess: Map<NodeId, number>;
  /** Partitions a node must still receive. */
  deficit: Map<NodeId, number>;
  /** The even gap between a node's partitions at its target share: ⌊Q / target⌋. */
  idealGap: Map<NodeId, number>;
  /** Rank of each member in sorted order: the final, deterministic tie-break. */
  rank: Map<NodeId, number>;
};

function rebalance(prev: Ring, ids: readonly NodeId[]): Ring {
  const plan = makePlan(prev, ids);
  const heap = new Heap<Offer>(better);
  for (const offer of initialOffers(plan)) heap.push(offer);
  let remaining = sum(plan.deficit.values());
  while (remaining > 0) {
    const offer = heap.pop();
    if (offer === undefined) throw new Error('assign: internal error, partitions left unplaced');
    if (!isLive(plan, offer)) continue;
    const fresh = price(plan, offer.partition, offer.to);
    // Lazy greedy: scores only fall as the plan fills (a receiver's gaps shrink as it gains
    // partitions, a donor's crowding eases as it sheds), so an offer whose score is unchanged since
    // it was queued still beats everything left in the heap. A changed one is requeued.
    if (better(fresh, offer) || better(offer, fresh)) {
      heap.push(fresh);
      continue;
    }
    transfer(plan, offer);
    remaining--;
  }
  return { q: prev.q, owners: plan.owners.map(placed) };
}

function placed(owner: NodeId | undefined): NodeId {
  // Total deficit equals free partitions plus total excess, so filling every deficit places all.
  if (owner === undefined) throw new Error('assign: internal error, a partition was left without owner');
  return owner;
}

function makePlan(prev: Ring, ids: readonly NodeId[]): Plan {
  const present = new Set(ids);
  const owners = prev.owners.map((o) => (present.has(o) ? o : undefined));
  const counts = new Map<NodeId, number>(ids.map((id) => [id, 0]));
  for (const o of owners) if (o !== undefined) counts.set(o, counts.get(o)! + 1);
  const target = targets(prev.q, ids, counts);
  const plan: Plan = { owners, excess: new Map(), deficit: new Map(), idealGap: new Map(), rank: new Map() };
  ids.forEach((id, i) => {
    const have = counts.get(id)!;
    const want = target.get(id)!;
    if (have > want) plan.excess.set(id, have - want);
    if (have < want) plan.deficit.set(id, want - have);
    plan.idealGap.set(id, want === 0 ? prev.q : Math.floor(prev.q / want));
    plan.rank.set(id, i);
  });
  return plan;
}

/**
 * Each member's share: ⌊Q/S⌋, plus one for Q mod S of them. The extra ones go to the most loaded
 * nodes, so that no node gives up a partition only for another to need one: movement stays minimal.
 */
function targets(q: number, ids: readonly NodeId[], counts: Map<NodeId, number>): Map<NodeId, number> {
  const base = Math.floor(q / ids.length);
  const extra = q % ids.length;
  const byLoad = [...ids].sort((a, b) => counts.get(b)! - counts.get(a)! || compareIds(a, b));
  return new Map(byLoad.map((id, i) => [id, base + (i < extra ? 1 : 0)]));
}

/**
 * An offer: give `partition` to `to`. Ranked, best first, by
 *   gap       how far `partition` is from the receiver's nearest other partition, capped at its ideal
 *             gap: far apart partitions make preference lists of distinct nodes (§4.3 wants N
 *             distinct physical nodes; §6.2's strategy 3 alone does not promise it);
 *   crowding  how close it is to its current owner's nearest other one (0 when the owner left):
 *             taking a crowded partition also spreads the donor;
 *   then partition index and receiver rank, for determinism.
 */
type Offer = { partition: number; to: NodeId; gap: number; crowding: number; rank: number };

function better(a: Offer, b: Offer): boolean {
  if (a.gap !== b.gap) return a.gap > b.gap;
  if (a.crowding !== b.crowding) return a.crowding < b.crowding;
  if (a.partition !== b.partition) return a.partition < b.partition;
  return a.rank < b.rank;
}

function price(plan: Plan, partition: number, to: NodeId): Offer {
  const from = plan.owners[partition];
  return {
    partition,
    to,
    gap: gapTo(plan.owners, partition, to, plan.idealGap.get(to)!),
    crowding: from === undefined ? 0 : gapTo(plan.owners, partition, from, plan.idealGap.get(from)!),
    rank: plan.rank.get(to)!,
  };
}

/** min(cap, ring distance from p to the nearest partition other than p owned by `node`). */
function gapTo(owners: readonly (NodeId | undefined)[], p: number, node: NodeId, cap: number): number {
  const q = owners.length;
  for (let d = 1; d < cap; d++) {
    if (owners[(p + d) % q] === node || owners[(p - d + q) % q] === node) return d;
  }
  return cap;
}

/** Every partition that may move (free, or held by a node with surplus) offered to every receiver. */
function* initialOffers(plan: Plan): Generator<Offer> {
  const receivers = [...plan.deficit.keys()];
  for (let p = 0; p < plan.owners.length; p++) {
    if (!isMovable(plan, p)) continue;
    for (const to of receivers) yield price(plan, p, to);
  }
}

function isMovable(plan: Plan, p: number): boolean {
  const from = plan.owners[p];
  return from === undefined || (plan.excess.get(from) ?? 0) > 0;
}

function isLive(plan: Plan, offer: Offer): boolean {
  return (plan.deficit.get(offer.to) ?? 0) > 0 && plan.owners[offer.partition] !== offer.to && isMovable(plan, offer.partition);
}

function transfer(plan: Plan, offer: Offer): void {
  const from = plan.owners[offer.partition];
  if (from !== undefined) plan.excess.set(from, plan.excess.get(from)! - 1);
  plan.deficit.set(offer.to, plan.deficit.get(offer.to)! - 1);
  plan.owners[offer.partition] = offer.to;
}

// ---------------------------------------------------------------------------------------------------
// Reading rings

export function ownerOf(ring: Ring, partition: number): NodeId {
  assertPartition(ring, partition);
  return ring.owners[partition]!;
}

/**
 * The distinct nodes met walking clockwise from `partition` (§4.3), at most `limit`: its coordinator
 * first. Skipping repeated owners is what makes a preference list N distinct physical nodes; a ring
 * with fewer members than `limit` yields all of them.
 */
export function clockwise(ring: Ring, partition: number, limit = Infinity): NodeId[] {
  assertPartition(ring, partition);
  if (!(limit >= 0)) throw new RangeError(`clockwise: limit must be non-negative, got ${limit}`);
  const seen = new Set<NodeId>();
  const out: NodeId[] = [];
  for (let i = 0; i < ring.q && out.length < limit; i++) {
    const owner = ring.owners[(partition + i) % ring.q]!;
    if (!seen.has(owner)) {
      seen.add(owner);
      out.push(owner);
    }
  }
  return out;
}

/** Whether two rings assign every partition alike (undefined, no ring yet, never does). */
export function sameOwners(a: Ring | undefined, b: Ring): boolean {
  return a !== undefined && a.q === b.q && a.owners.every((o, i) => o === b.owners[i]);
}

export function partitionsOf(ring: Ring, node: NodeId): number[] {
  const out: number[] = [];
  ring.owners.forEach((o, p) => {
    if (o === node) out.push(p);
  });
  return out;
}

export function members(ring: Ring): NodeId[] {
  return [...new Set(ring.owners)].sort(compareIds);
}

export function ownershipCounts(ring: Ring): Map<NodeId, number> {
  const counts = new Map<NodeId, number>();
  for (const id of members(ring)) counts.set(id, 0);
  for (const o of ring.owners) counts.set(o, counts.get(o)! + 1);
  return counts;
}

/** Partitions whose owner differs between two rings of the same Q, ascending. */
export function movedPartitions(oldRing: Ring, newRing: Ring): Move[] {
  if (oldRing.q !== newRing.q) throw new RangeError(`movedPartitions: Q differs (${oldRing.q} vs ${newRing.q})`);
  const out: Move[] = [];
  for (let p = 0; p < oldRing.q; p++) {
    const from = oldRing.owners[p]!;
    const to = newRing.owners[p]!;
    if (from !== to) out.push({ partition: p, from, to });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------

function assertPartition(ring: Ring, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= ring.q) {
    throw new RangeError(`partition must be an integer in [0, ${ring.q}), got ${partition}`);
  }
}

/** Code-unit order: the same in every engine, unlike localeCompare. */
function compareIds(a: NodeId, b: NodeId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sum(xs: Iterable<number>): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

// ---------------------------------------------------------------------------------------------------
// A binary heap; `before(a, b)` means a comes out first.

class Heap<T> {
  private readonly items: T[] = [];
  private readonly before: (a: T, b: T) => boolean;

  constructor(before: (a: T, b: T) => boolean) {
    this.before = before;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    const items = this.items;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < items.length && this.before(items[l]!, items[best]!)) best = l;
      if (r < items.length && this.before(items[r]!, items[best]!)) best = r;
      if (best === i) return;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
  }
}
