// An add-wins observed-remove map from string keys to JSON values (OR-map), for node.update's
// `resolve`: the OR-set (orset.ts) whose elements are (key, value) pairs.
//
// set(key, v) tombstones every tag of `key` seen here and adds (key, v) under a fresh tag, so a set
// wins over a concurrent delete of the same key. Two concurrent sets of one key both survive the
// merge: get() returns every live value of the key (sorted, deterministic) and the app picks or
// merges them; the next set by anyone tombstones both and leaves one. Same costs as the OR-set:
// one tombstone per set or delete, never reaped.

import { canonicalJson, cmp, isJson, isTag, newTag } from './canonical';
import type { Json } from './kv';

export type ORMapEntry = { k: string; v: Json; tag: string };
export type ORMap = { entries: ORMapEntry[]; removed: string[] };

const MAX_KEY = 1024;

export function empty(): ORMap {
  return { entries: [], removed: [] };
}

/** The live values of `key`: none when absent, several after concurrent sets. */
export function get(map: ORMap, key: string): Json[] {
  return sortedValues(map.entries.filter((e) => e.k === key));
}

/** The keys present, sorted. */
export function keys(map: ORMap): string[] {
  return [...new Set(map.entries.map((e) => e.k))].sort(cmp);
}

/** Every key with its live values, keys sorted. */
export function entries(map: ORMap): Array<[string, Json[]]> {
  return keys(map).map((k) => [k, get(map, k)]);
}

export function set(map: ORMap, key: string, value: Json, tag: string = newTag()): ORMap {
  const seen = observed(map, key);
  return canonical({ entries: [...map.entries, { k: key, v: value, tag }], removed: [...map.removed, ...seen] });
}

export function remove(map: ORMap, key: string): ORMap {
  return canonical({ entries: map.entries, removed: [...map.removed, ...observed(map, key)] });
}

export function merge(a: ORMap, b: ORMap): ORMap {
  return canonical({ entries: [...a.entries, ...b.entries], removed: [...a.removed, ...b.removed] });
}

/** The siblings a read returned, merged; a sibling that is not an OR-map is ignored. For update's `resolve`. */
export function resolve(siblings: readonly Json[]): ORMap {
  return siblings.map(parse).reduce<ORMap>((acc, m) => (m ? merge(acc, m) : acc), empty());
}

export function parse(json: unknown): ORMap | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { entries: es, removed } = json as Record<string, unknown>;
  if (!Array.isArray(es) || !Array.isArray(removed) || !removed.every(isTag)) return undefined;
  if (!es.every(isEntry)) return undefined;
  return canonical({ entries: es.map((e: ORMapEntry) => ({ k: e.k, v: e.v, tag: e.tag })), removed });
}

function isEntry(x: unknown): x is ORMapEntry {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  return typeof e.k === 'string' && e.k.length <= MAX_KEY && isTag(e.tag) && isJson(e.v);
}

function observed(map: ORMap, key: string): string[] {
  return map.entries.filter((e) => e.k === key).map((e) => e.tag);
}

function sortedValues(es: ORMapEntry[]): Json[] {
  const byText = new Map<string, Json>();
  for (const e of es) byText.set(canonicalJson(e.v), e.v);
  return [...byText].sort(([a], [b]) => cmp(a, b)).map(([, v]) => v);
}

function canonical(map: ORMap): ORMap {
  const removed = [...new Set(map.removed)].sort(cmp);
  const dead = new Set(removed);
  const byTag = new Map<string, { e: ORMapEntry; key: string }>();
  for (const e of map.entries) {
    if (dead.has(e.tag)) continue;
    const key = `${e.k}\u0000${canonicalJson(e.v)}`;
    const seen = byTag.get(e.tag);
    if (!seen || key > seen.key) byTag.set(e.tag, { e, key });
  }
  return { entries: [...byTag.values()].map((x) => x.e).sort((x, y) => cmp(x.tag, y.tag)), removed };
}
