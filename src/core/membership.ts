// Ring membership as a persisted, mergeable history of explicit changes (paper §4.8.1).
//
// Public API
//   type Change = { node, kind: 'join'|'leave'|'remove', seq, by }
//   new MembershipView(q, changes?)       pure; merges and derives members and the ring
//   .merge(changes): boolean              true when anything new arrived
//   .propose(kind, node, by): Change      a new change, ordered after everything this view knows
//   .members()  .isMember(id)  .stateOf(id)  .ring  .changes()  .digest  .has(change)
//   Membership.load(storage, q)           the view persisted under meta 'membership'
//   .view  .save()
//   isChange(x), MAX_CHANGES, MAX_SEQ
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
// but sorts early refolds from its position; that can move partitions again, but every node ends at
// the same ring once their histories are equal, which is what gossip guarantees.

import type { Json, Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import { murmur3, utf8 } from './hash';
import { assign, type Ring } from './ring';

export type ChangeKind = 'join' | 'leave' | 'remove';
export interface Change {
  /** The member the change is about. */
  readonly node: NodeId;
  readonly kind: ChangeKind;
  /** Lamport order: one more than the highest seq the proposer knew. */
  readonly seq: number;
  /** Who proposed it (the node itself for join and leave). */
  readonly by: NodeId;
}
export type MemberState = 'member' | 'left' | 'removed';

/** A history this long is refused from peers: rooms are tabs, not datacenters. */
export const MAX_CHANGES = 10_000;
/**
 * Highest sequence number taken from peers, with headroom below 2^53: a change at 2^53 - 1 would
 * make every later proposal 2^53, which no peer accepts, and membership could never change again.
 * Proposals stop at the bound too (ordered among equals by kind, then proposer): a ring whose
 * history reached it (a buggy peer) still agrees on every change, though a removal made at the bound
 * can no longer be undone by a later join.
 */
export const MAX_SEQ = 2 ** 48;
const META = 'membership';
const KIND_RANK: Record<ChangeKind, number> = { join: 0, leave: 1, remove: 2 };
const STATE: Record<ChangeKind, MemberState> = { join: 'member', leave: 'left', remove: 'removed' };

export class MembershipView {
  private sorted: Change[] = [];
  private readonly keys = new Set<string>();
  /** Rings after each prefix of `sorted` (index i: after change i); valid below `dirtyFrom`. */
  private rings: Array<Ring | undefined> = [];
  private states: Array<ReadonlyMap<NodeId, MemberState>> = [];
  private dirtyFrom = 0;
  private cachedDigest: string | undefined;

  constructor(
    readonly q: number,
    changes: readonly Change[] = [],
  ) {
    this.merge(changes);
  }

  /** Adds what this view lacks; true when anything was new. */
  merge(changes: readonly Change[]): boolean {
    let first = Infinity;
    for (const c of changes) {
      const k = changeKey(c);
      if (this.keys.has(k)) continue;
      this.keys.add(k);
      const at = insertionIndex(this.sorted, c);
      this.sorted.splice(at, 0, c);
      first = Math.min(first, at);
    }
    if (first === Infinity) return false;
    this.dirtyFrom = Math.min(this.dirtyFrom, first);
    this.rings.length = this.dirtyFrom;
    this.states.length = this.dirtyFrom;
    this.cachedDigest = undefined;
    return true;
  }

  propose(kind: ChangeKind, node: NodeId, by: NodeId): Change {
    const seq = Math.min((this.sorted.at(-1)?.seq ?? 0) + 1, MAX_SEQ);
    const change: Change = { node, kind, seq, by };
    this.merge([change]);
    return change;
  }

  has(change: Change): boolean {
    return this.keys.has(changeKey(change));
  }

  changes(): readonly Change[] {
    return this.sorted;
  }

  /** Current members, sorted by id. */
  members(): NodeId[] {
    const out: NodeId[] = [];
    for (const [id, s] of this.state()) if (s === 'member') out.push(id);
    return out.sort();
  }

  isMember(id: NodeId): boolean {
    return this.state().get(id) === 'member';
  }

  /** The node's last change in the history; undefined if it never joined. */
  stateOf(id: NodeId): MemberState | undefined {
    return this.state().get(id);
  }

  /** The ring after the whole history; undefined while nobody has joined. */
  get ring(): Ring | undefined {
    this.fold();
    return this.rings.at(-1);
  }

  /** Equal digests mean equal histories (up to hash collisions): gossip sends this first. */
  get digest(): string {
    if (this.cachedDigest === undefined) {
      const bytes = utf8(this.sorted.map(changeKey).join('\n'));
      this.cachedDigest = `${this.sorted.length}:${murmur3(bytes, 1).toString(36)}:${murmur3(bytes, 2).toString(36)}`;
    }
    return this.cachedDigest;
  }

  private state(): ReadonlyMap<NodeId, MemberState> {
    this.fold();
    return this.states.at(-1) ?? new Map();
  }

  private fold(): void {
    for (let i = this.dirtyFrom; i < this.sorted.length; i++) {
      const c = this.sorted[i]!;
      const prevStates = this.states[i - 1] ?? new Map<NodeId, MemberState>();
      const prevRing = this.rings[i - 1];
      const states = new Map(prevStates).set(c.node, STATE[c.kind]);
      const wasMember = prevStates.get(c.node) === 'member';
      let ring = prevRing;
      if (wasMember !== (c.kind === 'join')) {
        const members = [...states].filter(([, s]) => s === 'member').map(([id]) => id);
        // A ring with no members keeps its last owners: nobody is left to move data to.
        if (members.length > 0) ring = assign(prevRing, members, this.q);
      }
      this.states[i] = states;
      this.rings[i] = ring;
    }
    this.dirtyFrom = this.sorted.length;
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

function changeKey(c: Change): string {
  return `${c.seq}\u0000${c.by}\u0000${c.node}\u0000${c.kind}`;
}

function compare(a: Change, b: Change): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  // Concurrent changes (same seq): a removal or leave wins over a join it did not see.
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  if (a.by !== b.by) return a.by < b.by ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** Where `c` goes in the sorted history; news usually sorts last, so search from the end. */
function insertionIndex(sorted: readonly Change[], c: Change): number {
  let i = sorted.length;
  while (i > 0 && compare(sorted[i - 1]!, c) > 0) i--;
  return i;
}
