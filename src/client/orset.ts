// An add-wins observed-remove set of JSON values (OR-set; Shapiro et al. 2011), the cart's merge
// (src/apps/cart/orset.ts) made general: a resolver for node.update's `resolve`.
//
// State (plain JSON, canonical): { adds: [{ v, tag }], removed: [tag] }. Every add carries a fresh
// tag; a remove records the tags of that value it has seen. merge is the union of adds minus every
// removed tag, and the union of tombstones: an add the remover never saw survives (add wins), and a
// value removed on one sibling stays removed when merged with one that still holds the same tag.
// merge is commutative, associative and idempotent, so siblings merge in any order and a merge
// written twice is harmless. Cost: tombstones are never reaped (that needs causal stability): the
// state grows by one tag per remove, so keep it for sets edited by people, not for logs.

import { canonicalJson, cmp, isJson, isTag, newTag } from './canonical';
import type { Json } from './kv';

export type ORSetAdd = { v: Json; tag: string };
// Type aliases, not interfaces: the state must be assignable to Json.
export type ORSet = { adds: ORSetAdd[]; removed: string[] };

export function empty(): ORSet {
  return { adds: [], removed: [] };
}

/** The values in the set, each once, in a deterministic order. */
export function values(set: ORSet): Json[] {
  const seen = new Map<string, Json>();
  for (const a of set.adds) seen.set(canonicalJson(a.v), a.v);
  return [...seen].sort(([a], [b]) => cmp(a, b)).map(([, v]) => v);
}

export function has(set: ORSet, value: Json): boolean {
  const id = canonicalJson(value);
  return set.adds.some((a) => canonicalJson(a.v) === id);
}

/** `set` with `value` added under a fresh tag (or `tag`). */
export function add(set: ORSet, value: Json, tag: string = newTag()): ORSet {
  return canonical({ adds: [...set.adds, { v: value, tag }], removed: set.removed });
}

/** `set` without `value`: every tag of it seen here is tombstoned; concurrent adds survive. */
export function remove(set: ORSet, value: Json): ORSet {
  const id = canonicalJson(value);
  return canonical({ adds: set.adds, removed: [...set.removed, ...set.adds.filter((a) => canonicalJson(a.v) === id).map((a) => a.tag)] });
}

export function merge(a: ORSet, b: ORSet): ORSet {
  return canonical({ adds: [...a.adds, ...b.adds], removed: [...a.removed, ...b.removed] });
}

/** The siblings a read returned, merged; a sibling that is not an OR-set is ignored. For update's `resolve`. */
export function resolve(siblings: readonly Json[]): ORSet {
  return siblings.map(parse).reduce<ORSet>((acc, s) => (s ? merge(acc, s) : acc), empty());
}

/** A stored value as an OR-set, or undefined when it is not one. */
export function parse(json: unknown): ORSet | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { adds, removed } = json as Record<string, unknown>;
  if (!Array.isArray(adds) || !Array.isArray(removed) || !removed.every(isTag)) return undefined;
  const ok = adds.every((a: unknown) => typeof a === 'object' && a !== null && isTag((a as ORSetAdd).tag) && isJson((a as ORSetAdd).v));
  return ok ? canonical({ adds: adds.map((a: ORSetAdd) => ({ v: a.v, tag: a.tag })), removed }) : undefined;
}

/** Tombstoned adds dropped, one add per tag, sorted: equal sets are equal JSON. */
function canonical(set: ORSet): ORSet {
  const removed = [...new Set(set.removed)].sort(cmp);
  const dead = new Set(removed);
  const byTag = new Map<string, { add: ORSetAdd; key: string }>();
  for (const a of set.adds) {
    if (dead.has(a.tag)) continue;
    const key = canonicalJson(a.v);
    const seen = byTag.get(a.tag);
    // One tag with two values is a bug or a forgery: keep one, independently of order.
    if (!seen || key > seen.key) byTag.set(a.tag, { add: a, key });
  }
  const adds = [...byTag.values()].map((x) => x.add).sort((x, y) => cmp(x.tag, y.tag));
  return { adds, removed };
}
