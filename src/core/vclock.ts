// Version vectors with per-entry timestamps, and dots (one event of one node) — Dynamo paper §4.4.
//
// Public API (riak_core vclock.erl style):
//   empty()                              -> VClock
//   fromEntries(entries)                 -> VClock      (validates, sorts; throws ValidationError)
//   counter(clock, node)                 -> number      (0 when absent)
//   compare(a, b)                        -> 'before' | 'after' | 'equal' | 'concurrent'
//   descends(a, b)                       -> boolean     (a has seen everything b has)
//   equals(a, b)                         -> boolean
//   merge(a, b) / mergeAll(clocks)       -> VClock      (pointwise max)
//   covers(clock, dot)                   -> boolean
//   nextDot(clock, node)                 -> Dot
//   addDot(clock, dot, ts)               -> VClock
//   increment(clock, node, ts)           -> VClock
//   prune(clock, opts)                   -> VClock      (oldest ts first, deterministic)
//   compareDots(a, b) / dotKey(dot)      -> number / string
//   toJson(clock) / fromJson(json)       -> [[node, counter, ts], ...] / VClock
//   checkEntry(node, counter, ts)        throws ValidationError unless a valid entry (for parsers of dots)
//   MAX_COUNTER  MAX_ACTOR_CHARS  MAX_CLOCK_ENTRIES   the bounds every parsed clock keeps
//
// Bounds, because clocks arrive from peers and clients: an actor is at most 100 characters (node ids
// are 64, plus an epoch), a counter at most 2^48 (headroom below 2^53: a node that reaches it moves
// to a new actor epoch instead of minting a counter nobody can parse), and a parsed clock holds at
// most 1,024 entries (puts prune to about ten).
//
// A clock is a readonly array of entries sorted by node id (code-unit order, never locale order),
// one entry per node, counter >= 1. Every function here returns that canonical form, so the same
// clock always serializes to the same JSON whatever order its entries were learned in. The sorted
// form is also what makes compare and merge one linear walk over both clocks, with no maps: they run
// several times per message in the store, so they are kept allocation-free where they can be.
// Clocks are immutable, so merge returns one of its arguments unchanged when the other adds nothing.

import type { NodeId } from '../ports/transport';
import { ValidationError } from './errors';

/** One node's entry: how many of its events are known, and when (caller's clock, ms) it last grew. */
export interface VEntry {
  readonly node: NodeId;
  readonly counter: number;
  readonly ts: number;
}

/** A version vector in canonical form: sorted by node, unique nodes, counters >= 1. */
export type VClock = readonly VEntry[];

/** One event: the `counter`-th write coordinated by `node`. */
export interface Dot {
  readonly node: NodeId;
  readonly counter: number;
}

export type Order = 'before' | 'after' | 'equal' | 'concurrent';

export interface PruneOptions {
  /** Entries kept at most (the paper's threshold, "say 10"). Default 10. */
  maxEntries?: number;
  /** Nodes whose entries must survive (e.g. the coordinator and the nodes of live siblings). */
  keep?: Iterable<NodeId>;
  /** With `minAgeMs`: entries younger than `now - minAgeMs` survive (riak's young_vclock). */
  now?: number;
  minAgeMs?: number;
}

export const DEFAULT_MAX_ENTRIES = 10;
export const MAX_COUNTER = 2 ** 48;
export const MAX_ACTOR_CHARS = 100;
export const MAX_CLOCK_ENTRIES = 1024;

export function empty(): VClock {
  return [];
}

function entry(node: NodeId, counter: number, ts: number): VEntry {
  return { node, counter, ts };
}

function byNode(a: VEntry, b: VEntry): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** Builds a canonical clock; rejects malformed entries and duplicate nodes. */
export function fromEntries(entries: Iterable<VEntry>): VClock {
  const out: VEntry[] = [];
  for (const e of entries) {
    checkEntry(e.node, e.counter, e.ts);
    out.push(entry(e.node, e.counter, e.ts));
  }
  out.sort(byNode);
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1]?.node === out[i]?.node) throw new ValidationError(`clock: duplicate node ${JSON.stringify(out[i]?.node)}`);
  }
  return out;
}

export function checkEntry(node: unknown, counter: unknown, ts: unknown): void {
  if (typeof node !== 'string' || node.length === 0 || node.length > MAX_ACTOR_CHARS) {
    throw new ValidationError(`clock: node id must be a string of 1..${MAX_ACTOR_CHARS} characters`);
  }
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 1 || counter > MAX_COUNTER) {
    throw new ValidationError(`clock: counter of ${JSON.stringify(node)} must be an integer in 1..2^48`);
  }
  if (typeof ts !== 'number' || !Number.isSafeInteger(Math.floor(ts)) || ts < 0) {
    throw new ValidationError(`clock: ts of ${JSON.stringify(node)} must be a number in 0..2^53`);
  }
}

/** The counter of `node` in `clock`; 0 when the node has no entry. */
export function counter(clock: VClock, node: NodeId): number {
  for (let i = 0; i < clock.length; i++) {
    const e = clock[i] as VEntry;
    if (e.node === node) return e.counter;
  }
  return 0;
}

/** True when `a` has seen every event `b` has (a >= b pointwise). Timestamps are ignored. */
export function descends(a: VClock, b: VClock): boolean {
  if (b.length > a.length) return false; // some node of b is missing from a
  let i = 0;
  for (let j = 0; j < b.length; j++) {
    const e = b[j] as VEntry;
    while (i < a.length && (a[i] as VEntry).node < e.node) i++;
    const mine = a[i];
    if (mine === undefined || mine.node !== e.node || mine.counter < e.counter) return false;
    i++;
  }
  return true;
}

export function compare(a: VClock, b: VClock): Order {
  // One walk: does a have an event b lacks, and b one that a lacks?
  let aAhead = false;
  let bAhead = false;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.node < y.node)) {
      aAhead = true;
      i++;
    } else if (x === undefined || y.node < x.node) {
      bAhead = true;
      j++;
    } else {
      if (x.counter > y.counter) aAhead = true;
      else if (y.counter > x.counter) bAhead = true;
      i++;
      j++;
    }
    if (aAhead && bAhead) return 'concurrent';
  }
  return aAhead ? 'after' : bAhead ? 'before' : 'equal';
}

/** Same counters for the same nodes (timestamps are bookkeeping, not causality). */
export function equals(a: VClock, b: VClock): boolean {
  return compare(a, b) === 'equal';
}

// Why max ts on a counter tie: the same (node, counter) should carry one ts, but a context that
// lost or never had it (or a replayed dot) may differ; taking the max keeps merge commutative.
function maxEntry(x: VEntry, y: VEntry): VEntry {
  if (x.counter !== y.counter) return x.counter > y.counter ? x : y;
  return x.ts >= y.ts ? x : y;
}

/** Pointwise max of counters; each entry keeps the ts of its larger counter. */
export function merge(a: VClock, b: VClock): VClock {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: VEntry[] = [];
  let allA = true; // every entry of the result is a's own: return a itself
  let allB = true;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    let e: VEntry;
    if (y === undefined || (x !== undefined && x.node < y.node)) {
      e = x as VEntry;
      i++;
    } else if (x === undefined || y.node < x.node) {
      e = y;
      j++;
    } else {
      e = maxEntry(x, y);
      i++;
      j++;
    }
    if (e !== x) allA = false;
    if (e !== y) allB = false;
    out.push(e);
  }
  if (allA && out.length === a.length) return a;
  if (allB && out.length === b.length) return b;
  return out;
}

export function mergeAll(clocks: Iterable<VClock>): VClock {
  let out = empty();
  for (const c of clocks) out = merge(out, c);
  return out;
}

/** True when the event `dot` is in the causal past summarized by `clock`. */
export function covers(clock: VClock, dot: Dot): boolean {
  return counter(clock, dot.node) >= dot.counter;
}

/** The next event of `node` after everything `clock` has seen of it. */
export function nextDot(clock: VClock, node: NodeId): Dot {
  return { node, counter: counter(clock, node) + 1 };
}

/** `clock` with `dot` included: the dot's node entry becomes max(counter, dot.counter). */
export function addDot(clock: VClock, dot: Dot, ts: number): VClock {
  checkEntry(dot.node, dot.counter, ts);
  return merge(clock, [entry(dot.node, dot.counter, ts)]);
}

export function increment(clock: VClock, node: NodeId, ts: number): VClock {
  return addDot(clock, nextDot(clock, node), ts);
}

// Oldest first; ties by node id, so the choice never depends on the order entries arrived in.
function oldestFirst(a: VEntry, b: VEntry): number {
  return a.ts !== b.ts ? a.ts - b.ts : byNode(a, b);
}

/**
 * Drops the oldest entries (smallest ts, then smallest node id) until at most `maxEntries` remain,
 * never dropping a `keep` node or an entry younger than `minAgeMs`; so the result may stay larger.
 * Why this is only safe in one direction: a pruned clock claims to have seen less, so versions it
 * had superseded may come back as (false) siblings; it can never make a live version look seen.
 */
export function prune(clock: VClock, opts: PruneOptions = {}): VClock {
  const max = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (clock.length <= max) return clock;
  const keep = new Set(opts.keep ?? []);
  const young = (e: VEntry): boolean =>
    opts.now !== undefined && opts.minAgeMs !== undefined && opts.now - e.ts < opts.minAgeMs;
  const candidates = clock.filter((e) => !keep.has(e.node) && !young(e)).sort(oldestFirst);
  const drop = new Set(candidates.slice(0, clock.length - max).map((e) => e.node));
  return clock.filter((e) => !drop.has(e.node));
}

/** A total order on dots: by node id, then counter. */
export function compareDots(a: Dot, b: Dot): number {
  if (a.node !== b.node) return a.node < b.node ? -1 : 1;
  return a.counter - b.counter;
}

/** A string key for maps and sets of dots; unambiguous because JSON quotes the node id. */
export function dotKey(dot: Dot): string {
  return `${JSON.stringify(dot.node)}:${dot.counter}`;
}

export type VClockJson = Array<[NodeId, number, number]>;

/** Compact stored form: `[[node, counter, ts], ...]` sorted by node. */
export function toJson(clock: VClock): VClockJson {
  return clock.map((e) => [e.node, e.counter, e.ts]);
}

/** Parses and validates a stored or received clock; throws ValidationError when malformed. */
export function fromJson(json: unknown): VClock {
  if (!Array.isArray(json)) throw new ValidationError('clock: expected an array of [node, counter, ts]');
  if (json.length > MAX_CLOCK_ENTRIES) throw new ValidationError(`clock: more than ${MAX_CLOCK_ENTRIES} entries`);
  const entries: VEntry[] = [];
  let sorted = true;
  for (let i = 0; i < json.length; i++) {
    const t: unknown = json[i];
    if (!Array.isArray(t) || t.length !== 3) throw new ValidationError('clock: each entry must be [node, counter, ts]');
    const node: unknown = t[0];
    const c: unknown = t[1];
    const ts: unknown = t[2];
    checkEntry(node, c, ts);
    const e = entry(node as NodeId, c as number, ts as number);
    const prev = entries[entries.length - 1];
    if (prev !== undefined && !(prev.node < e.node)) sorted = false;
    entries.push(e);
  }
  // What we stored or sent is already canonical; only a foreign clock needs sorting and the duplicate check.
  return sorted ? entries : fromEntries(entries);
}
