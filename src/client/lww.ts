// Last-writer-wins register, named as such: of concurrent siblings the one with the larger
// writer-supplied timestamp wins and the others are DROPPED, for node.update's `resolve`.
//
// Caveats, why Dynamo keeps siblings instead (DeCandia et al. §4.4): the timestamp comes from the
// writer's clock, so a writer whose clock runs ahead wins over later writes of others until real
// time catches up, and a concurrent write that loses is lost silently, with no error anywhere.
// Ties (equal timestamps) go to the larger writer id, then the larger value text, so every replica
// picks the same winner. Use it for values where losing a concurrent edit is acceptable (a cursor,
// a "last seen", a preference), never for money or lists.

import { canonicalJson, isJson } from './canonical';
import type { Json } from './kv';

export type LWW = { v: Json; ts: number; by: string };

/** A register holding `value`, stamped `ts` (default Date.now()) by writer `by`. */
export function write(value: Json, by: string, ts: number = Date.now()): LWW {
  if (!Number.isFinite(ts)) throw new RangeError('an LWW timestamp must be a finite number');
  return { v: value, ts, by };
}

export function merge(a: LWW, b: LWW): LWW {
  if (a.ts !== b.ts) return a.ts > b.ts ? a : b;
  if (a.by !== b.by) return a.by > b.by ? a : b;
  return canonicalJson(a.v) >= canonicalJson(b.v) ? a : b;
}

/** The winning sibling, or undefined when none is an LWW register. For update's `resolve`. */
export function resolve(siblings: readonly Json[]): LWW | undefined {
  return siblings.map(parse).reduce<LWW | undefined>((acc, r) => (r === undefined ? acc : acc === undefined ? r : merge(acc, r)), undefined);
}

export function parse(json: unknown): LWW | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { v, ts, by } = json as Record<string, unknown>;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || typeof by !== 'string' || by.length > 200 || !isJson(v)) return undefined;
  return { v, ts, by };
}
