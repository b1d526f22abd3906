// The ring as it travels inside a membership base (paper §6.2 strategy 3): Q equal partitions and the
// owner of each, plain JSON, and its validator. ring.ts builds rings; this file says what one may be.

import type { NodeId } from '../../ports/transport';
import { isNodeId } from './wire';

export type Ring = {
  /** Number of partitions; a power of two. Fixed for the life of a ring. */
  readonly q: number;
  /** owners[p] is the node that owns partition p (the p-th equal slice of the hash space). */
  readonly owners: readonly NodeId[];
};

/** Bounds on Q, the number of partitions (paper §6.2 strategy 3: Q equal-sized partitions). */
export const MIN_Q = 1;
export const MAX_Q = 65536;

export function isPartitionCount(q: unknown): q is number {
  return typeof q === 'number' && Number.isInteger(q) && q >= MIN_Q && q <= MAX_Q && (q & (q - 1)) === 0;
}

/** True for a well-formed ring: Q a valid power of two and exactly Q owners, each a node id. */
export function isRing(x: unknown): x is Ring {
  if (typeof x !== 'object' || x === null) return false;
  const { q, owners } = x as { q?: unknown; owners?: unknown };
  return isPartitionCount(q) && Array.isArray(owners) && owners.length === q && owners.every(isNodeId);
}
