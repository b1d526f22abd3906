// Ring membership as a persisted, mergeable history of explicit changes (paper §4.8.1).
//
// Public API
//   type Change = { node, kind: 'join'|'leave'|'remove', seq, by }
//   new MembershipView(q, changes?)       pure; merges and derives members and the ring
//   .merge(changes): boolean              true when anything new arrived
//   .propose(kind, node, by): Change      a new change, ordered after everything this view knows
//   .members()  .isMember(id)  .stateOf(id)  .ring  .changes()  .digest  .has(change)  .maxSeq
//   Membership.load(storage, q)           the view persisted under meta 'membership'
//   .view  .save()
//   isChange(x), MAX_CHANGES, MAX_SEQ, MAX_MEMBERS
//
// Why a history and not a member list: views must merge deterministically between any two nodes,
// whatever order they heard things in. Changes are immutable facts, merged by set union, and put in
// one total order (Lamport `seq`, then `kind` with join < leave < remove, then `by`, `node`). A node's
// state is its last change in that order, so a removal can only be undone by a join issued after it
// was known (an explicit rejoin), never by a stale view gossiping an older or concurrent join back:
// a removed member stays removed.
//
// Why the ring is a fold over that order: strategy 3 moves as little as possible from the previous
// ring (ring.assign), so the ring depends on the order of joins, not only on who is a member. Folding
// the same ordered history gives the same ring bit for bit on every node. A change that arrives late
// but sorts early refolds from the start; that can move partitions again, but every node ends at the
// same ring once their histories are equal, which is what gossip guarantees. Each change costs O(1)
// plus one ring assignment when it changes the member set (membership-fold.ts).

import type { Json, Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import {
  applyChange,
  applyRing,
  chainChange,
  chainDigest,
  changeKey,
  emptyChain,
  emptyFold,
  emptyRingFold,
  type Chain,
  type Change,
  type ChangeKind,
  type Fold,
  type MemberState,
  type RingFold,
} from './membership-fold';
import type { Ring } from './ring';

export type { Change, ChangeKind, MemberState } from './membership-fold';
export { MAX_MEMBERS } from './membership-fold';

/** A history this long is refused from peers: rooms are tabs, not datacenters. */
export const MAX_CHANGES = 10_000;
/**
 * Seqs keep headroom below 2^53 (2^40 changes is 35 years at 1,000 a second): a peer's change at the
 * edge of the safe integers would leave the next change unnumberable, refused by every peer, and
 * histories different forever. Peers' changes above it are refused, and propose never goes past it.
 */
export const MAX_SEQ = 2 ** 40;
const META = 'membership';
const KIND_RANK: Record<ChangeKind, number> = { join: 0, leave: 1, remove: 2 };

export class MembershipView {
  /** The history, in order. */
  private sorted: Change[] = [];
  private readonly keys = new Set<string>();
  /** Three folds of sorted[0 .. their cursor): states, ring, digest chain. */
  private f: Fold = emptyFold();
  private folded = 0;
  private r: RingFold = emptyRingFold();
  private ringed = 0;
  private chain: Chain = emptyChain();
  private chained = 0;

  constructor(
    readonly q: number,
    changes: readonly Change[] = [],
  ) {
    this.insert(changes);
  }

  /** Adds what this view lacks; true when anything was new. */
  merge(changes: readonly Change[]): boolean {
    return this.insert(changes);
  }

  propose(kind: ChangeKind, node: NodeId, by: NodeId): Change {
    const seq = this.maxSeq + 1;
    // Never number past the bound peers accept: the change would be ours alone, forever.
    if (seq > MAX_SEQ) throw new RangeError(`membership: seq ${seq} would pass MAX_SEQ (${MAX_SEQ})`);
    const change: Change = { node, kind, seq, by };
    this.insert([change]);
    return change;
  }

  has(change: Change): boolean {
    return this.keys.has(changeKey(change));
  }

  changes(): readonly Change[] {
    return this.sorted;
  }

  /** The highest seq known: a new change is numbered one above it. */
  get maxSeq(): number {
    return this.sorted.at(-1)?.seq ?? 0;
  }

  /** Current members, sorted by id. */
  members(): NodeId[] {
    return [...this.fold().members].sort();
  }

  isMember(id: NodeId): boolean {
    return this.fold().members.has(id);
  }

  /** The node's last change in the history; undefined if it never joined or was forgotten. */
  stateOf(id: NodeId): MemberState | undefined {
    return this.fold().states.get(id)?.state;
  }

  /** The ring after the whole history; undefined while nobody has joined. */
  get ring(): Ring | undefined {
    this.ringTo(this.sorted.length);
    return this.r.ring;
  }

  /** Equal digests mean equal histories (up to hash collisions): gossip sends this first. */
  get digest(): string {
    this.chainTo(this.sorted.length);
    return chainDigest(this.chain);
  }

  // --- internals ---------------------------------------------------------------------------------

  private fold(): Fold {
    this.foldTo(this.sorted.length);
    return this.f;
  }

  private foldTo(k: number): void {
    while (this.folded < k) applyChange(this.f, this.sorted[this.folded++]!);
  }

  private ringTo(k: number): void {
    while (this.ringed < k) applyRing(this.r, this.sorted[this.ringed++]!, this.q);
  }

  private chainTo(k: number): void {
    while (this.chained < k) chainChange(this.chain, this.sorted[this.chained++]!);
  }

  /** Back to the start; the next read folds the changes again. */
  private refold(): void {
    this.f = emptyFold();
    this.r = emptyRingFold();
    this.chain = emptyChain();
    this.folded = this.ringed = this.chained = 0;
  }

  /** Adds new changes in order; true when any was new. O(n + m log m). */
  private insert(changes: readonly Change[]): boolean {
    const fresh: Change[] = [];
    for (const c of changes) {
      const k = changeKey(c);
      if (this.keys.has(k)) continue;
      this.keys.add(k);
      fresh.push(c);
    }
    if (fresh.length === 0) return false;
    fresh.sort(compare);
    const first = fresh[0]!;
    const last = this.sorted.at(-1);
    if (last === undefined || compare(last, first) < 0) {
      this.sorted.push(...fresh); // news usually sorts last: the fold just continues
    } else {
      const at = lowerBound(this.sorted, first);
      this.sorted = mergeSorted(this.sorted, fresh);
      if (at < Math.max(this.folded, this.ringed, this.chained)) this.refold();
    }
    return true;
  }
}

/** The view persisted in the node's meta store, so a restarted node keeps the ring it knew. */
export class Membership {
  private constructor(
    private readonly storage: Storage,
    readonly view: MembershipView,
  ) {}

  static async load(storage: Storage, q: number): Promise<Membership> {
    const saved = await storage.getMeta(META);
    const list = isObject(saved) && Array.isArray(saved.changes) ? saved.changes : [];
    return new Membership(storage, new MembershipView(q, (list as unknown[]).filter(isChange)));
  }

  save(): Promise<void> {
    return this.storage.putMeta(META, { changes: this.view.changes() as unknown as Json });
  }
}

/** Validator for changes received from peers. */
export function isChange(x: unknown): x is Change {
  if (!isObject(x)) return false;
  const { node, kind, seq, by } = x;
  return (
    isId(node) &&
    isId(by) &&
    (kind === 'join' || kind === 'leave' || kind === 'remove') &&
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq > 0 &&
    seq <= MAX_SEQ
  );
}

function isId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= 64;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function compare(a: Change, b: Change): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  // Concurrent changes (same seq): a removal or leave wins over a join it did not see.
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (a.by !== b.by) return a.by < b.by ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** The first index whose change sorts at or after `c`. */
function lowerBound(sorted: readonly Change[], c: Change): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(sorted[mid]!, c) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mergeSorted(a: readonly Change[], b: readonly Change[]): Change[] {
  const out: Change[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(compare(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
