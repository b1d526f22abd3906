// A counter that survives concurrent increments (PN-counter: a count of increments and one of
// decrements per actor), for node.update's `resolve`. merge takes each actor's larger count.
//
// Caveat: an actor must be one writer that reads its own last write before its next increment
// (update reads first; with R + W > N and no failures it does). If a sloppy-quorum read misses the
// actor's own newest write, its next increment starts from the older count and the max merge keeps
// only one of the two: an increment is lost, never doubled. Use a stable, unique actor per writer
// (node.id); the state grows by one entry per actor that ever wrote.

import type { Json } from './kv';

export type Counter = { p: Record<string, number>; n: Record<string, number> };

const MAX_ACTOR = 200;
const MAX_ACTORS = 10_000;

export function empty(): Counter {
  return { p: {}, n: {} };
}

export function value(c: Counter): number {
  return sum(c.p) - sum(c.n);
}

/** `c` with `by` (a non-negative integer; default 1) added under `actor`. */
export function increment(c: Counter, actor: string, by = 1): Counter {
  return bump(c, 'p', actor, by);
}

export function decrement(c: Counter, actor: string, by = 1): Counter {
  return bump(c, 'n', actor, by);
}

export function merge(a: Counter, b: Counter): Counter {
  return { p: maxEach(a.p, b.p), n: maxEach(a.n, b.n) };
}

/** The siblings a read returned, merged; a sibling that is not a counter is ignored. For update's `resolve`. */
export function resolve(siblings: readonly Json[]): Counter {
  return siblings.map(parse).reduce<Counter>((acc, c) => (c ? merge(acc, c) : acc), empty());
}

export function parse(json: unknown): Counter | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { p, n } = json as Record<string, unknown>;
  return isCounts(p) && isCounts(n) ? { p: { ...p }, n: { ...n } } : undefined;
}

function bump(c: Counter, side: 'p' | 'n', actor: string, by: number): Counter {
  if (!Number.isSafeInteger(by) || by < 0) throw new RangeError(`a counter step must be a non-negative safe integer, got ${by}`);
  if (actor.length === 0 || actor.length > MAX_ACTOR) throw new RangeError('a counter actor must be 1..200 characters');
  const next = (c[side][actor] ?? 0) + by;
  if (!Number.isSafeInteger(next)) throw new RangeError('counter overflow');
  return { ...c, [side]: { ...c[side], [actor]: next } };
}

function maxEach(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
  return Object.fromEntries(Object.entries(out).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function sum(counts: Record<string, number>): number {
  let s = 0;
  for (const v of Object.values(counts)) s += v;
  return s;
}

function isCounts(x: unknown): x is Record<string, number> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const es = Object.entries(x);
  return es.length <= MAX_ACTORS && es.every(([k, v]) => k.length > 0 && k.length <= MAX_ACTOR && Number.isSafeInteger(v) && (v as number) >= 0);
}
