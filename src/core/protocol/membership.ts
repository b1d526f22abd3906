// The membership history as it travels (paper §4.8.1): changes, the base a compacted prefix folds
// into, their bounds and their validators. membership.ts says what they mean; this file what they may be.

import type { NodeId } from '../../ports/transport';
import { isRing, type Ring } from './ring';
import { isNodeId, isObject } from './wire';

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

export type BaseNode = readonly [id: NodeId, state: MemberState, seq: number];
/** The fold of every change with seq <= `seq` (membership-base.ts): plain JSON, persisted and gossiped. */
export interface Base {
  /** Every change with seq <= this is folded in. */
  readonly seq: number;
  readonly count: number;
  readonly h1: number;
  readonly h2: number;
  readonly ring: Ring | null;
  /** Members and recently departed nodes, sorted by id. */
  readonly nodes: readonly BaseNode[];
}

/**
 * Seqs keep headroom below 2^53: 2^40 changes is 35 years at 1,000 a second, and a peer's change at
 * the edge of the safe integers can never leave the next change unnumberable.
 */
export const MAX_SEQ = 2 ** 40;
/**
 * Twice the signaling server's room limit (256 peers): a join beyond it changes nothing
 * (membership-fold.ts), and past Q = 256 members a newcomer owns nothing anyway.
 */
export const MAX_MEMBERS = 512;
/** Departed nodes a base may remember (an honest room stays far below: membership-base.ts prunes by seq). */
export const MAX_DEPARTED = 1024;
/** The most changes one gossip message may carry: a view compacts long before it holds this many. */
export const MAX_CHANGES = 1024;

const STATES = new Set<unknown>(['member', 'left', 'removed']);

export function isSeq(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0 && x <= MAX_SEQ;
}

export function isChange(x: unknown): x is Change {
  if (!isObject(x)) return false;
  const { node, kind, seq, by } = x;
  return isNodeId(node) && isNodeId(by) && (kind === 'join' || kind === 'leave' || kind === 'remove') && isSeq(seq);
}

/** Shape, ranges, counts and consistency; `q`, when given, must be the ring's. */
export function isBase(x: unknown, q?: number): x is Base {
  if (!isObject(x)) return false;
  const { seq, count, h1, h2, ring, nodes } = x;
  if (!isSeq(seq) || !isCount(count) || !isUint32(h1) || !isUint32(h2)) return false;
  if (!Array.isArray(nodes) || nodes.length > MAX_MEMBERS + MAX_DEPARTED) return false;
  const members = new Set<NodeId>();
  let last = '';
  for (const n of nodes) {
    // Sorted by id in code-unit order (string comparison), each id once.
    if (!isBaseNode(n, seq) || (last !== '' && last >= n[0])) return false;
    last = n[0];
    if (n[1] === 'member') members.add(n[0]);
  }
  if (members.size > MAX_MEMBERS) return false;
  if (ring === null) return members.size === 0;
  if (!isRing(ring) || (q !== undefined && ring.q !== q)) return false;
  // The ring is the members' (or, with nobody left, its last owners').
  return members.size === 0 || ring.owners.every((o) => members.has(o));
}

function isBaseNode(n: unknown, baseSeq: number): n is BaseNode {
  return Array.isArray(n) && n.length === 3 && isNodeId(n[0]) && STATES.has(n[1]) && isSeq(n[2]) && n[2] <= baseSeq;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff;
}
