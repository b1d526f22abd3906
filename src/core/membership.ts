// Ring membership as a persisted, mergeable history of explicit changes (paper §4.8.1).
//
// Public API
//   new MembershipView(q, changes?, options?)   pure; merges and derives members and the ring
//   .merge(changes, base?): boolean       true when anything new arrived
//   .propose(kind, node, by, attrs?): Change      a new change, ordered after everything this view knows (attrs: a join's zone and role)
//   .agree(peer)                          `peer` showed a digest equal to ours (gossip.ts calls it)
//   .members()  .isMember(id)  .stateOf(id)  .attributesOf(id)  .zones()  .ring  .changes()  .digest  .has(change)
//   .base  .baseSeq  .maxSeq  .self  .own
//   Membership.load(storage, q, self?)    the view persisted under meta 'membership'
//   .view  .save()
//   (type Change, its bounds and its validator isChange are the wire's: protocol/membership.ts)
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
// but sorts early refolds from the base; that can move partitions again, but every node ends at the
// same ring once their histories are equal, which is what gossip guarantees. Each change costs O(1)
// plus one ring assignment when it changes the member set (membership-fold.ts).
//
// Compaction: a room lives for months and every tab adds a join and a removal, so the prefix of the
// history is folded into a base (membership-base.ts) and dropped. The rule:
//   - A view is (base, changes above base.seq). Of two bases the higher (seq, chain hash) wins; a view
//     that adopts a base drops its changes at or below it, and no change at or below the base is taken
//     in. The state is therefore a function of (the winning base, the set of changes above it): merge
//     is still commutative, associative and idempotent, so views converge to one ring, and since the
//     digest is a hash chain over the history (the base keeps the chain at its cut), views that hold
//     the same history digest the same wherever they cut it.
//   - A view compacts up to seq b only when every other member has shown it a digest equal to its own
//     while its highest seq was >= b (`agree`), and keeps the newest changes (`keep`, and always the
//     newest seq, which a concurrent change may still share). Every member
//     then holds every change at or below b, and numbers its next change above b, so no member's
//     change is ever dropped. What can be dropped is a change numbered at or below a base by a node
//     that did not know it: a newcomer's first join (seq 1) or a long-gone node's stale proposals.
//     A view re-proposes its own dropped join, numbered after the base (so a newcomer still gets in),
//     and drops the rest: stale facts about a ring that has moved on.
//   - Past `forceAt` changes a view compacts without agreement (a member down for hours with
//     auto-removal off): the history stays bounded, at the price that changes that member made and
//     nobody saw may be dropped when it returns (its own join is re-proposed as above).

import type { Json, Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import { beats, fromBase, toBase } from './membership-base';
import {
  applyChange,
  applyRing,
  chainChange,
  chainDigest,
  changeKey,
  emptyChain,
  emptyFold,
  emptyRingFold,
  pickAttributes,
  type Chain,
  type Fold,
  type RingFold,
} from './membership-fold';
import {
  isBase,
  isChange,
  MAX_CHANGES,
  MAX_MEMBERS,
  MAX_SEQ,
  type Attributes,
  type Base,
  type Change,
  type ChangeKind,
  type MemberState,
} from './protocol/membership';
import type { Ring } from './protocol/ring';
import type { Mutants } from './mutants';
import { isNodeId, isObject } from './protocol/wire';

const META = 'membership';
const KIND_RANK: Record<ChangeKind, number> = { join: 0, leave: 1, remove: 2 };

export interface ViewOptions {
  /** This node's id; otherwise the proposer of the first `propose` (node.ts always proposes as itself). */
  self?: NodeId;
  base?: Base;
  /** The last change this node proposed about itself (persisted: it re-proposes a dropped join). */
  own?: Change;
  /** 'ignore-removals' (mutants.ts, the simulator only): 'remove' changes are never taken in. */
  mutants?: Mutants;
  /** Changes kept above the base when compacting. Default 32. */
  keep?: number;
  /** Compact, once every member agrees, when holding more changes than this. Default 128. */
  compactAt?: number;
  /** Compact without agreement past this many changes. Default 512 (below MAX_CHANGES). */
  forceAt?: number;
}

export class MembershipView {
  private baseState: Base | undefined;
  /** The changes above the base, in order. */
  private sorted: Change[] = [];
  private readonly keys = new Set<string>();
  /** Three folds of the base and sorted[0 .. their cursor): states, ring, digest chain. */
  private f: Fold = emptyFold();
  private folded = 0;
  private r: RingFold = emptyRingFold();
  private ringed = 0;
  private chain: Chain = emptyChain();
  private chained = 0;
  /** Per peer: our highest seq when it last showed us our own digest. */
  private readonly agreed = new Map<NodeId, number>();
  private ownChange: Change | undefined;
  private zoneCache: { fold: Fold; at: number; map: ReadonlyMap<NodeId, string> } | undefined;
  private selfId: NodeId | undefined;
  private readonly keep: number;
  private readonly compactAt: number;
  private readonly forceAt: number;
  private readonly blindToRemovals: boolean;

  constructor(
    readonly q: number,
    changes: readonly Change[] = [],
    options: ViewOptions = {},
  ) {
    this.selfId = options.self;
    this.blindToRemovals = options.mutants?.has('ignore-removals') ?? false;
    this.ownChange = options.own;
    this.keep = Math.max(1, options.keep ?? 32);
    this.compactAt = Math.max(this.keep, options.compactAt ?? 128);
    this.forceAt = Math.max(this.compactAt, Math.min(options.forceAt ?? 512, MAX_CHANGES - 1));
    if (options.base !== undefined && isBase(options.base, q)) this.adopt(options.base);
    this.insert(changes);
    this.compactIfDue();
  }

  /**
   * Adds what this view lacks: the base if it wins over ours, and the changes above the base.
   * True when anything was new. Gossip decides beforehand how much of a peer's state to offer here.
   */
  merge(changes: readonly Change[], base?: Base): boolean {
    let news = false;
    if (base !== undefined && base.ring?.q !== undefined && base.ring.q !== this.q) base = undefined;
    if (base !== undefined && beats(base, this.baseState)) {
      this.adopt(base);
      news = true;
    }
    if (this.insert(changes)) news = true;
    if (!news) return false;
    this.compactIfDue();
    this.restoreOwnJoin();
    return true;
  }

  propose(kind: ChangeKind, node: NodeId, by: NodeId, attrs: Attributes = {}): Change {
    const seq = this.maxSeq + 1;
    // Never number past the bound peers accept: the change would be ours alone, forever.
    if (seq > MAX_SEQ) throw new RangeError(`membership: seq ${seq} is past MAX_SEQ (${MAX_SEQ})`);
    const change: Change = { node, kind, seq, by, ...(kind === 'join' ? pickAttributes(attrs) : {}) };
    this.selfId ??= by;
    if (node === by && by === this.selfId) this.ownChange = change;
    this.insert([change]);
    this.compactIfDue();
    return change;
  }

  /** `peer` sent a digest equal to ours: it holds everything we hold, up to our highest seq. */
  agree(peer: NodeId): void {
    this.agreed.set(peer, Math.max(this.agreed.get(peer) ?? 0, this.maxSeq));
    // Only members' agreement counts; forget the peers that are gone (tabs come and go for months).
    if (this.agreed.size > 2 * MAX_MEMBERS) for (const [p] of this.agreed) if (!this.isMember(p)) this.agreed.delete(p);
    this.compactIfDue();
  }

  /** Whether `change` is among the changes held above the base. */
  has(change: Change): boolean {
    return this.keys.has(changeKey(change));
  }

  /** The changes above the base, in order. */
  changes(): readonly Change[] {
    return this.sorted;
  }

  get base(): Base | undefined {
    return this.baseState;
  }

  /** Every change at or below this seq is folded into the base (0 without one). */
  get baseSeq(): number {
    return this.baseState?.seq ?? 0;
  }

  /** The highest seq known, base included: a new change is numbered one above it. */
  get maxSeq(): number {
    return Math.max(this.baseSeq, this.sorted.at(-1)?.seq ?? 0);
  }

  get self(): NodeId | undefined {
    return this.selfId;
  }

  /** The last change this node proposed about itself. */
  get own(): Change | undefined {
    return this.ownChange;
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

  /** The zone and role the node's last join named (empty when it named none, or is unknown). */
  attributesOf(id: NodeId): Attributes {
    return pickAttributes(this.fold().states.get(id));
  }

  /**
   * Members' zones, for placement: the same map object until a zone changes (placement caches
   * walks by it). Members whose join named no zone are not in it.
   */
  zones(): ReadonlyMap<NodeId, string> {
    const f = this.fold();
    const cached = this.zoneCache;
    if (cached?.fold === f && cached.at === this.folded) return cached.map;
    const map = new Map<NodeId, string>();
    for (const id of f.members) {
      const z = f.states.get(id)?.zone;
      if (z !== undefined) map.set(id, z);
    }
    const prev = cached?.map;
    const same = prev !== undefined && prev.size === map.size && [...map].every(([id, z]) => prev.get(id) === z);
    this.zoneCache = { fold: f, at: this.folded, map: same ? prev : map };
    return this.zoneCache.map;
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

  /** Back to the base; the next read folds the changes again. */
  private refold(): void {
    const start = this.baseState === undefined ? undefined : fromBase(this.baseState);
    this.f = start?.fold ?? emptyFold();
    this.r = start?.ringFold ?? emptyRingFold();
    this.chain = start?.chain ?? emptyChain();
    this.folded = this.ringed = this.chained = 0;
  }

  private adopt(base: Base): void {
    this.baseState = base;
    let drop = 0;
    while (drop < this.sorted.length && this.sorted[drop]!.seq <= base.seq) this.keys.delete(changeKey(this.sorted[drop++]!));
    this.sorted = this.sorted.slice(drop);
    this.refold();
  }

  /** Adds new changes above the base in order; true when any was new. O(n + m log m). */
  private insert(changes: readonly Change[]): boolean {
    const fresh: Change[] = [];
    for (const c of changes) {
      if (c.seq <= this.baseSeq) continue; // folded into the base already, or too late for it
      if (c.kind === 'remove' && this.blindToRemovals) continue;
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

  private compactIfDue(): void {
    const n = this.sorted.length;
    if (n <= this.compactAt) return;
    // The newest seq stays above the base: a change concurrent with it (same seq) may still come.
    let upTo = Math.min(this.sorted[n - this.keep - 1]!.seq, this.maxSeq - 1);
    if (n <= this.forceAt) upTo = Math.min(upTo, this.agreedByAll());
    if (upTo > this.baseSeq) this.compact(upTo);
  }

  /** The highest seq every other member is known to hold; 0 if one of them has not shown it. */
  private agreedByAll(): number {
    const self = this.selfId;
    if (self === undefined || !this.isMember(self)) return 0;
    let min = Infinity;
    for (const m of this.fold().members) if (m !== self) min = Math.min(min, this.agreed.get(m) ?? 0);
    return min;
  }

  /** Folds every change with seq <= upTo into a new base. */
  private compact(upTo: number): void {
    const k = upperBoundSeq(this.sorted, upTo);
    if (Math.max(this.folded, this.ringed, this.chained) > k) this.refold();
    this.foldTo(k);
    this.ringTo(k);
    this.chainTo(k);
    this.adopt(toBase(this.f, this.r.ring, this.chain, upTo));
  }

  /** Our own join was dropped below a base it was not folded into: join again, numbered after it. */
  private restoreOwnJoin(): void {
    const own = this.ownChange;
    const self = this.selfId;
    if (own?.kind !== 'join' || self === undefined || own.seq > this.baseSeq) return;
    if (this.isMember(self) || this.maxSeq >= MAX_SEQ) return;
    this.propose('join', self, self, own);
  }
}

/** The view persisted in the node's meta store, so a restarted node keeps the ring it knew. */
export class Membership {
  private constructor(
    private readonly storage: Storage,
    readonly view: MembershipView,
  ) {}

  /** `self`, when given, is this node's id (otherwise the view learns it from its first proposal). */
  static async load(storage: Storage, q: number, self?: NodeId, mutants?: Mutants): Promise<Membership> {
    const saved = await storage.getMeta(META);
    const rec: Record<string, unknown> = isObject(saved) ? saved : {};
    const list = Array.isArray(rec.changes) ? (rec.changes as unknown[]) : [];
    const view = new MembershipView(q, list.filter(isChange), {
      base: isBase(rec.base, q) ? rec.base : undefined,
      self: self ?? (isNodeId(rec.self) ? rec.self : undefined),
      own: isChange(rec.own) ? rec.own : undefined,
      ...(mutants ? { mutants } : {}),
    });
    return new Membership(storage, view);
  }

  save(): Promise<void> {
    const { view } = this;
    const rec: Record<string, unknown> = { changes: view.changes() };
    if (view.base !== undefined) rec.base = view.base;
    if (view.self !== undefined) rec.self = view.self;
    if (view.own !== undefined) rec.own = view.own;
    return this.storage.putMeta(META, rec as unknown as Json);
  }
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

/** How many changes have seq <= `seq`. */
function upperBoundSeq(sorted: readonly Change[], seq: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.seq <= seq) lo = mid + 1;
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
