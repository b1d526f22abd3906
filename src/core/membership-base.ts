// A base: the fold of a compacted prefix of the membership history, kept instead of its changes (§4.8.1).
//
// Public API
//   toBase(fold, ring, chain, seq): Base   the state after every change with seq <= `seq`
//   fromBase(base): { fold, ringFold, chain }  to continue from
//   beats(a, b): boolean         the total order on bases: higher seq, then higher chain hash
//   DEPARTED_WINDOW
//   (type Base, its bounds and its validator isBase are the wire's: protocol/membership.ts)
//
// The rule (see membership.ts for why it converges): a base at seq b stands for every change with
// seq <= b. A view holds one base and the changes above it; a change at or below its base is not
// taken in (it is either folded in already or arrived too late). Of two bases the one that `beats`
// wins, and a view that adopts it drops its own changes at or below it. A base carries the chain
// hash of the history it folded, so its identity is (seq, chain hash), and the states and ring it
// carries are a pure function of that history: two nodes that compact the same history at the same
// seq build identical bases.
//
// Why departed nodes are pruned by a seq window and not by count: a node that left or was removed
// more than DEPARTED_WINDOW seqs before the cut is forgotten. "More than W seqs ago" stays true at
// every later cut, so compacting in one step or in several forgets the same nodes. A count cap is
// kept too (MAX_DEPARTED, a bound for validation), but an honest room never reaches it.

import type { NodeId } from '../ports/transport';
import type { Chain, Fold, NodeState, RingFold } from './membership-fold';
import { MAX_DEPARTED, type Base, type BaseNode } from './protocol/membership';
import type { Ring } from './protocol/ring';

/** A departed node is remembered for this many seqs after its departure (its 'removed' matters briefly). */
export const DEPARTED_WINDOW = 1024;

export function toBase(f: Fold, ring: Ring | undefined, chain: Chain, seq: number): Base {
  const departed: BaseNode[] = [];
  const nodes: BaseNode[] = [];
  for (const [id, s] of f.states) {
    if (s.state === 'member') nodes.push([id, s.state, s.seq]);
    else if (s.seq > seq - DEPARTED_WINDOW) departed.push([id, s.state, s.seq]);
  }
  // Only a room where hundreds left at the same few seqs gets here; keep the latest departures.
  departed.sort((a, b) => b[2] - a[2] || compareIds(a[0], b[0]));
  nodes.push(...departed.slice(0, MAX_DEPARTED));
  nodes.sort((a, b) => compareIds(a[0], b[0]));
  return { seq, count: chain.count, h1: chain.h1 >>> 0, h2: chain.h2 >>> 0, ring: ring ?? null, nodes };
}

export function fromBase(b: Base): { fold: Fold; ringFold: RingFold; chain: Chain } {
  const states = new Map<NodeId, NodeState>();
  const members = new Set<NodeId>();
  for (const [id, state, seq] of b.nodes) {
    states.set(id, { state, seq });
    if (state === 'member') members.add(id);
  }
  return {
    fold: { states, members },
    ringFold: { members: new Set(members), ring: b.ring ?? undefined },
    chain: { count: b.count, h1: b.h1, h2: b.h2 },
  };
}

/** True when `a` wins over `b` (or over no base at all). */
export function beats(a: Base, b: Base | undefined): boolean {
  if (b === undefined) return true;
  if (a.seq !== b.seq) return a.seq > b.seq;
  if (a.h1 !== b.h1) return a.h1 > b.h1;
  if (a.h2 !== b.h2) return a.h2 > b.h2;
  return a.count > b.count;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
