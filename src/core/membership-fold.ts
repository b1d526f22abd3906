// The fold of an ordered membership history into member states, a ring and a digest (paper §4.8.1, §6.2).
//
// Public API
//   type NodeState = { state, seq }           a node's last change: its kind as a state, and its seq
//   type Fold = { states, members }           mutable; O(1) per change
//   type RingFold = { members, ring }         mutable; one ring assignment per member-set change
//   type Chain = { count, h1, h2 }            the hash chain over the changes folded; the digest
//   emptyFold()  applyChange(f, c)  emptyRingFold()  applyRing(r, c, q)
//   emptyChain()  chainChange(chain, c)  chainDigest(chain)  changeKey(c)
//   (joins beyond protocol/membership.ts's MAX_MEMBERS members are ignored)
//
// Why a mutable fold with O(1) work per change (plus one ring assignment when membership changes):
// the first version kept a copy of every member's state after every change, so a history of n
// changes cost O(n · members) memory and time, and a 10,000-change history ran out of memory.
// The states, the ring and the digest are three folds with their own cursors, because gossip asks
// for the digest and for who is a member far more often than anyone asks for the ring.
//
// Why the digest is a hash chain over the changes in order: compacting a prefix of the history into
// a base (membership-base.ts) keeps the chain value at the cut, so two views holding the same
// history digest the same whether or not, and wherever, they compacted it.
//
// Why a member cap: a ring assignment costs O(members · log members + Q · gap), so an unbounded
// member set makes every later join and leave dearer, and the signaling server already caps a room
// at 256 peers. A join that would make the room larger than MAX_MEMBERS changes nothing, and being
// a fact of the ordered history, it changes nothing on every node alike.

import type { NodeId } from '../ports/transport';
import { murmur3, utf8 } from './hash';
import { MAX_MEMBERS, type Change, type ChangeKind, type MemberState } from './protocol/membership';
import type { Ring } from './protocol/ring';
import { assign } from './ring';

export interface NodeState {
  readonly state: MemberState;
  /** The seq of the change that set the state (how long ago it was, for pruning departed nodes). */
  readonly seq: number;
}

/** Who is in what state: O(1) per change, all that gossip needs. */
export interface Fold {
  states: Map<NodeId, NodeState>;
  members: Set<NodeId>;
}

/** The ring, folded apart (and only when read): each member-set change costs a ring assignment. */
export interface RingFold {
  members: Set<NodeId>;
  /** Undefined until somebody joins; kept (last owners) while nobody is a member. */
  ring: Ring | undefined;
}

export interface Chain {
  /** Changes chained so far, including those folded into the base the chain started from. */
  count: number;
  /** The two 32-bit links of the hash chain over every change so far. */
  h1: number;
  h2: number;
}

const STATE: Record<ChangeKind, MemberState> = { join: 'member', leave: 'left', remove: 'removed' };
const H1 = 0x6d656d31; // arbitrary starting links, fixed forever: they are part of every digest
const H2 = 0x6d656d32;

export function emptyFold(): Fold {
  return { states: new Map(), members: new Set() };
}

export function emptyRingFold(): RingFold {
  return { members: new Set(), ring: undefined };
}

export function emptyChain(): Chain {
  return { count: 0, h1: H1, h2: H2 };
}

/** Chains one change, the next in the total order. */
export function chainChange(chain: Chain, c: Change): void {
  const bytes = utf8(changeKey(c));
  chain.h1 = murmur3(bytes, chain.h1);
  chain.h2 = murmur3(bytes, chain.h2);
  chain.count++;
}

/** Folds one change, the next in the total order, into the states. */
export function applyChange(f: Fold, c: Change): void {
  if (updateMembers(f.members, c) !== 'ignored') f.states.set(c.node, { state: STATE[c.kind], seq: c.seq });
}

/** Folds one change, the next in the total order, into the ring. */
export function applyRing(r: RingFold, c: Change, q: number): void {
  // A ring with no members keeps its last owners: nobody is left to move data to.
  if (updateMembers(r.members, c) === 'changed' && r.members.size > 0) r.ring = assign(r.ring, [...r.members], q);
}

/** The one rule both folds follow, so that they agree on the member set at every step. */
function updateMembers(members: Set<NodeId>, c: Change): 'changed' | 'same' | 'ignored' {
  const wasMember = members.has(c.node);
  const joins = c.kind === 'join';
  if (joins && !wasMember && members.size >= MAX_MEMBERS) return 'ignored'; // the room is full
  if (wasMember === joins) return 'same';
  if (joins) members.add(c.node);
  else members.delete(c.node);
  return 'changed';
}

/** Equal digests mean equal histories (up to hash collisions): gossip sends this first. */
export function chainDigest(chain: Chain): string {
  return `${chain.count}:${(chain.h1 >>> 0).toString(36)}:${(chain.h2 >>> 0).toString(36)}`;
}

/** A change's identity: two changes with equal keys are the same fact. */
export function changeKey(c: Change): string {
  return `${c.seq}\u0000${c.by}\u0000${c.node}\u0000${c.kind}`;
}
