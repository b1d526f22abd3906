// Per-key sibling sets with dotted version vectors: syntactic reconciliation and put-with-context
// (paper §4.4; Almeida et al., "Dotted Version Vectors"; Riak 2.0's DVV / dot-kernel join).
//
// Public API:
//   empty()                        -> SiblingSet
//   put(set, PutInput)             -> { set, version, context } (a write or a tombstone)
//   merge(a, b) / mergeAll(sets)   -> SiblingSet   (replication, read repair, anti-entropy)
//   read(set)                      -> { values, context }
//   isEmpty(set) / hasOnlyTombstones(set)
//   pruneSet(set, opts)            -> SiblingSet
//   digestInput(set) / equals(a,b) -> canonical string / boolean
//   toJson(set) / fromJson(json)   -> SiblingSetJson / SiblingSet (throws ValidationError)
//   checkStorable(set)             throws ValidationError unless fromJson takes it back and it ships
//   canonicalJson(value), validateJson(value)
//   lwwPut / lwwMerge              -> NEGATIVE CONTROL ONLY: last-writer-wins, loses writes.
//   MAX_SIBLINGS, MAX_SET_CHARS, MAX_SET_UNITS   write-time bounds; NeedsNewActor (the coordinator must re-epoch)
//   MAX_MERGED_CHARS, MAX_MERGED_UNITS           the bounds on a stored set's values (checkStorable)
//   jsonUnits(value)               what parsing a value costs, in units (see MAX_SET_UNITS)
//
// Bounds (Riak's max_siblings and max_object_size). A put whose result would hold more than
// MAX_SIBLINGS versions, or more than MAX_SET_CHARS of serialized values, is refused with a
// ValidationError and nothing is stored: blind writes cannot grow a key until it no longer fits in a
// message (what a node stores, it must always be able to ship). Merges of sets within these bounds
// are never refused (that would lose data), so a set may reach twice a bound when two full replicas
// meet; the 10 Mi-char message limit leaves room for that. Past it (only a buggy or hostile peer
// gets there) the replica refuses the merge (checkStorable). Parsing accepts up to MAX_PARSED_SIBLINGS.
// The same holds for the values' structure (MAX_SET_UNITS, a lone value included): JSON.parse costs per
// value far more than per character, and every set must parse at a receiver within the peer frame
// guard's budget (protocol/json-guard.ts), so a value of a million empty objects is refused at write.
//
// Model. A set is { clock, siblings }. `clock` is the causal context: every event this replica
// has seen for the key. Each sibling is a version with its own dot (coordinator, counter). The
// invariant, kept by every function here: each sibling's dot is covered by `clock`, and every
// event the clock covers is either a sibling or was superseded by a version whose context saw it.
// Hence a replica whose clock covers a dot it does not hold may safely drop that dot elsewhere.
// Clients carry a Context (context.ts): a clock plus the dots of siblings they have not seen.
//
// Why not one vector clock per coordinator (the paper's literal scheme): two clients writing with
// the same stale context through the same coordinator would get clocks [c:2] then [c:3], and the
// second would silently replace the first. Here each write gets a fresh dot, and only the dots its
// context covers are dropped, so concurrent writes stay siblings however they are routed.

import { ValidationError } from './errors';
import type { Json } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import * as vclock from './vclock';
import type { Dot, PruneOptions, VClock, VClockJson } from './vclock';
import { adoptable, contextOf, coversContext } from './context';
import type { Context } from './context';

export interface Version {
  readonly dot: Dot;
  /** The coordinator's clock when the write was made (ms, from the Clock port). */
  readonly ts: number;
  /** Undefined exactly when `tombstone` is true. */
  readonly value: Json | undefined;
  readonly tombstone: boolean;
}

export interface SiblingSet {
  readonly clock: VClock;
  /** Sorted by dot (vclock.compareDots); unique dots. */
  readonly siblings: readonly Version[];
}

export type PutInput = {
  coordinator: NodeId;
  /** What the client has seen (decodeContext); emptyContext() for a blind write. */
  context: Context;
  /** The coordinator's clock, ms. */
  now: number;
  /** Clock pruning after the write; `false` disables it. Default: at most 10 entries. */
  prune?: PruneOptions | false;
} & ({ value: Json; tombstone?: false } | { tombstone: true; value?: undefined });

export interface PutResult {
  /** The coordinator's new local state; ship it to the other replicas (they merge it). */
  set: SiblingSet;
  /** The new version; `version.dot` identifies the write. */
  version: Version;
  /** For the client: its new version seen, the siblings this write left standing not seen. */
  context: Context;
}

export interface ReadResult {
  /** Non-tombstone sibling values in dot order; [] when none or only tombstones. */
  values: Json[];
  /** Hand back on the next put/delete so that write supersedes everything read here. */
  context: Context;
}

/** Deepest JSON nesting accepted in a value (keeps canonicalJson's recursion safe). */
export const MAX_JSON_DEPTH = 256;
export const MAX_SIBLINGS = 64;
export const MAX_SET_CHARS = 4 * 1024 * 1024;
/** Values a stored set may hold: two full replicas meeting (see the header), within a 10 Mi-char message. */
export const MAX_MERGED_CHARS = 2 * MAX_SET_CHARS;
/**
 * Parse cost of a set's values, in jsonUnits: 2 per array or object, 1 per separator (`,` and `:`),
 * 1 per non-integer number. Units never exceed characters; a 1 MiB value of records (objects of a few
 * short fields, ~0.25 units a character) or of long strings is below; only dense structure
 * (1-character elements, empty containers) reaches it. Twice this, plus a
 * message's own structure, is what the peer frame guard admits (protocol/json-guard.ts FRAME_LIMITS).
 */
export const MAX_SET_UNITS = 320 * 1024;
export const MAX_MERGED_UNITS = 2 * MAX_SET_UNITS;
const MAX_PARSED_SIBLINGS = 1024;

/** The coordinator cannot mint under its actor (its counter reached vclock.MAX_COUNTER): it needs a new epoch. */
export class NeedsNewActor extends Error {
  override readonly name = 'NeedsNewActor';
}

export function empty(): SiblingSet {
  return { clock: vclock.empty(), siblings: [] };
}

function byDot(a: Version, b: Version): number {
  return vclock.compareDots(a.dot, b.dot);
}

function sortSiblings(siblings: Version[]): Version[] {
  for (let i = 1; i < siblings.length; i++) {
    if (byDot(siblings[i - 1] as Version, siblings[i] as Version) > 0) return siblings.sort(byDot);
  }
  return siblings; // stored and shipped sets arrive sorted
}

function makeVersion(input: PutInput, dot: Dot): Version {
  if (input.tombstone === true) return { dot, ts: input.now, value: undefined, tombstone: true };
  validateJson(input.value);
  return { dot, ts: input.now, value: input.value, tombstone: false };
}

/**
 * A write (or, with `tombstone: true`, a delete) coordinated by `coordinator`. The new version gets
 * a fresh dot, one past every event of the coordinator known here or in the context; it drops
 * exactly the siblings the context covers and keeps the rest as siblings.
 * Preconditions for the caller (the quorum coordinator): `set` is the coordinator's own durable
 * local state for the key, and puts to one key are applied there one at a time. Dot uniqueness
 * rests on the coordinator remembering its own counter, which is why pruning here always keeps
 * the coordinator's entry; a node that minted dots from an empty or stale set would reuse them.
 * Why the returned context may claim all of the new clock but the kept siblings: whatever else it
 * covers, the client either saw or was already superseded here, so dropping it later loses nothing.
 */
export function put(set: SiblingSet, input: PutInput): PutResult {
  const ctx = input.context;
  const base = vclock.merge(set.clock, adoptable(ctx, set.clock));
  const seen = Math.max(vclock.counter(base, input.coordinator), vclock.counter(ctx.clock, input.coordinator));
  if (seen >= vclock.MAX_COUNTER) throw new NeedsNewActor(`actor ${input.coordinator} has no counter left`);
  const dot: Dot = { node: input.coordinator, counter: seen + 1 };
  const version = makeVersion(input, dot);
  const kept = set.siblings.filter((s) => !coversContext(ctx, s.dot));
  const clock = vclock.addDot(base, dot, input.now);
  let next: SiblingSet = { clock, siblings: sortSiblings([...kept, version]) };
  checkBounds(next.siblings);
  if (input.prune !== false) next = pruneSet(next, withKeep(input.prune, input.coordinator));
  return { set: next, version, context: { clock: next.clock, except: kept.map((s) => s.dot) } };
}

/** The write-time bounds (see the header); a single sibling's size is a value's, already checked by its writer. */
function checkBounds(siblings: readonly Version[]): void {
  const units = valueUnits(siblings);
  if (units > MAX_SET_UNITS) {
    throw new ValidationError(`key would hold values of ${units} JSON units (arrays and objects count 2, separators 1; limit ${MAX_SET_UNITS}): write fewer, larger elements, or read it and write back with the context to merge`);
  }
  if (siblings.length <= 1) return;
  if (siblings.length > MAX_SIBLINGS) {
    throw new ValidationError(`key would hold ${siblings.length} concurrent versions (limit ${MAX_SIBLINGS}): read it and write back with the context to merge them`);
  }
  const chars = valueChars(siblings);
  if (chars > MAX_SET_CHARS) {
    throw new ValidationError(`key would hold ${chars} characters of concurrent values (limit ${MAX_SET_CHARS}): read it and write back with the context to merge them`);
  }
}

/** JSON units of the siblings' values (see MAX_SET_UNITS). */
function valueUnits(siblings: readonly Version[]): number {
  let units = 0;
  for (const s of siblings) if (!s.tombstone && s.value !== undefined) units += jsonUnits(s.value);
  return units;
}

/**
 * A value's units: 2 per array or object, 1 per separator, 1 per non-integer number: at least what
 * the frame guard counts in its JSON text (protocol/json-guard.ts counts decimal points, and a number
 * such as 1e-7 has none). Iterative: values nest up to MAX_JSON_DEPTH.
 */
export function jsonUnits(value: Json): number {
  let units = 0;
  const stack: Json[] = [value];
  for (let x = stack.pop(); x !== undefined; x = stack.pop()) {
    if (typeof x === 'number' && !Number.isInteger(x)) units++;
    if (x === null || typeof x !== 'object') continue;
    if (Array.isArray(x)) {
      units += 2 + Math.max(0, x.length - 1);
      for (const y of x) stack.push(y);
    } else {
      const vals = Object.values(x);
      units += 2 + Math.max(0, 2 * vals.length - 1);
      for (const y of vals) if (y !== undefined) stack.push(y);
    }
  }
  return units;
}

/** Serialized characters of the siblings' values: what both size bounds measure. */
function valueChars(siblings: readonly Version[]): number {
  let chars = 0;
  for (const s of siblings) chars += s.tombstone ? 0 : JSON.stringify(s.value).length;
  return chars;
}

function withKeep(opts: PruneOptions | undefined, node: NodeId): PruneOptions {
  return { ...opts, keep: [node, ...(opts?.keep ?? [])] };
}

// Same dot, different content only happens if a node reissued a dot (lost its storage); pick by
// a total order (ts, then canonical form) so merge stays commutative and associative.
function pickSame(x: Version, y: Version): Version {
  if (x === y || x.ts !== y.ts) return x.ts >= y.ts ? x : y;
  // The usual case is one version received twice: equal content, so no canonical strings needed.
  if (x.tombstone === y.tombstone && (x.tombstone || jsonEquals(x.value, y.value))) return x;
  return versionJson(x) >= versionJson(y) ? x : y;
}

/**
 * The join: a sibling survives if both sides hold it, or the other side has not seen its dot.
 * Commutative, associative, idempotent; a sibling is dropped only when the other side's clock covers
 * its dot without holding it, i.e. some version there superseded it.
 */
export function merge(a: SiblingSet, b: SiblingSet): SiblingSet {
  // Both sibling lists are sorted by dot with unique dots, so one walk pairs equal dots and
  // yields the result already sorted.
  const as = a.siblings;
  const bs = b.siblings;
  const out: Version[] = [];
  let i = 0;
  let j = 0;
  while (i < as.length || j < bs.length) {
    const x = as[i];
    const y = bs[j];
    const order = x === undefined ? 1 : y === undefined ? -1 : vclock.compareDots(x.dot, y.dot);
    if (order < 0) {
      if (!vclock.covers(b.clock, (x as Version).dot)) out.push(x as Version);
      i++;
    } else if (order > 0) {
      if (!vclock.covers(a.clock, (y as Version).dot)) out.push(y as Version);
      j++;
    } else {
      out.push(pickSame(x as Version, y as Version));
      i++;
      j++;
    }
  }
  return { clock: vclock.merge(a.clock, b.clock), siblings: out };
}

export function mergeAll(sets: Iterable<SiblingSet>): SiblingSet {
  let out = empty();
  for (const s of sets) out = merge(out, s);
  return out;
}

/** Values to show the client, and the context that makes its next write supersede them all. */
export function read(set: SiblingSet): ReadResult {
  const values: Json[] = [];
  for (const s of set.siblings) if (!s.tombstone && s.value !== undefined) values.push(s.value);
  return { values, context: contextOf(set.clock) };
}

/** Nothing known at all (never written here). */
export function isEmpty(set: SiblingSet): boolean {
  return set.siblings.length === 0 && set.clock.length === 0;
}

/** Every sibling is a tombstone (reads as not found); a candidate for reaping after the grace period. */
export function hasOnlyTombstones(set: SiblingSet): boolean {
  return set.siblings.length > 0 && set.siblings.every((s) => s.tombstone);
}

/**
 * Prunes the set's clock (vclock.prune), always keeping the entries of the siblings' nodes.
 * Why the tradeoff is acceptable: dropping an entry only makes this replica claim to have seen less.
 * A version it had superseded may then survive a later merge as a false sibling (the client sees
 * an old value next to the new one and resolves it), but no un-superseded version is ever dropped,
 * because dropping needs coverage and pruning only removes coverage. Keeping the siblings' nodes
 * keeps every live dot covered, so a read-modify-write can still collapse them.
 */
export function pruneSet(set: SiblingSet, opts: PruneOptions = {}): SiblingSet {
  if (set.clock.length <= (opts.maxEntries ?? vclock.DEFAULT_MAX_ENTRIES)) return set; // nothing to drop
  const keep = [...(opts.keep ?? []), ...set.siblings.map((s) => s.dot.node)];
  const clock = vclock.prune(set.clock, { ...opts, keep });
  return clock === set.clock ? set : { clock, siblings: set.siblings };
}

// ---- serialization -------------------------------------------------------------------------------

export interface VersionJson {
  dot: [NodeId, number];
  ts: number;
  value?: Json;
  tombstone?: true;
}

/** Stored / shipped form. */
export interface SiblingSetJson {
  clock: VClockJson;
  siblings: VersionJson[];
}

function versionToJson(v: Version): VersionJson {
  const out: VersionJson = { dot: [v.dot.node, v.dot.counter], ts: v.ts };
  if (v.tombstone) out.tombstone = true;
  else if (v.value !== undefined) out.value = v.value;
  return out;
}

function versionJson(v: Version): string {
  return canonicalJson(versionToJson(v) as unknown as Json);
}

export function toJson(set: SiblingSet): SiblingSetJson {
  return { clock: vclock.toJson(set.clock), siblings: set.siblings.map(versionToJson) };
}

/**
 * Canonical string of a set (for Merkle hashing and equality): same logical set, same string.
 * Exactly canonicalJson(toJson(set)), written out directly (keys in sorted order) because the Merkle
 * trees hash every stored write. Peers compare these hashes, so the string must never change.
 */
export function digestInput(set: SiblingSet): string {
  let out = '{"clock":[';
  for (let i = 0; i < set.clock.length; i++) {
    const e = set.clock[i] as vclock.VEntry;
    out += `${i === 0 ? '' : ','}[${JSON.stringify(e.node)},${JSON.stringify(e.counter)},${JSON.stringify(e.ts)}]`;
  }
  out += '],"siblings":[';
  for (let i = 0; i < set.siblings.length; i++) {
    const v = set.siblings[i] as Version;
    out += `${i === 0 ? '' : ','}{"dot":[${JSON.stringify(v.dot.node)},${JSON.stringify(v.dot.counter)}],`;
    if (v.tombstone) out += `"tombstone":true,"ts":${JSON.stringify(v.ts)}}`;
    else if (v.value !== undefined) out += `"ts":${JSON.stringify(v.ts)},"value":${canonicalJson(v.value)}}`;
    else out += `"ts":${JSON.stringify(v.ts)}}`;
  }
  return `${out}]}`;
}

/**
 * Same as comparing digestInput(a) and digestInput(b), without building either string: replicas
 * compare sets on every incoming write and every read repair, and canonical JSON dominated that.
 */
export function equals(a: SiblingSet, b: SiblingSet): boolean {
  if (a === b) return true;
  if (a.clock !== b.clock) {
    if (a.clock.length !== b.clock.length) return false;
    for (let i = 0; i < a.clock.length; i++) {
      const x = a.clock[i] as vclock.VEntry;
      const y = b.clock[i] as vclock.VEntry;
      if (x !== y && (x.node !== y.node || x.counter !== y.counter || x.ts !== y.ts)) return false;
    }
  }
  if (a.siblings.length !== b.siblings.length) return false;
  for (let i = 0; i < a.siblings.length; i++) {
    const x = a.siblings[i] as Version;
    const y = b.siblings[i] as Version;
    if (x === y) continue;
    if (x.dot.node !== y.dot.node || x.dot.counter !== y.dot.counter || x.ts !== y.ts) return false;
    // digestInput writes a tombstone as `tombstone: true` and a value only when it is defined.
    if (x.tombstone !== y.tombstone) return false;
    if (!x.tombstone && !jsonEquals(x.value, y.value)) return false;
  }
  return true;
}

/** Equality of canonicalJson(x) and canonicalJson(y), key order ignored; undefined only equals undefined. */
function jsonEquals(x: Json | undefined, y: Json | undefined): boolean {
  if (x === y) return true;
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
  if (Array.isArray(x)) {
    if (!Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!jsonEquals(x[i], y[i])) return false;
    return true;
  }
  if (Array.isArray(y)) return false;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const k of keys) {
    if (!Object.prototype.hasOwnProperty.call(y, k) || !jsonEquals(x[k], y[k])) return false;
  }
  return true;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function versionFromJson(j: unknown, i: number): Version {
  const where = `sibling ${i}`;
  if (!isRecord(j)) throw new ValidationError(`set: ${where} must be an object`);
  const dot = j['dot'];
  if (!Array.isArray(dot) || dot.length !== 2) throw new ValidationError(`set: ${where}: dot must be [node, counter]`);
  const [node, counter] = dot as [unknown, unknown];
  const ts = j['ts'];
  try {
    vclock.checkEntry(node, counter, ts);
  } catch (e) {
    throw new ValidationError(`set: ${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const d: Dot = { node: node as NodeId, counter: counter as number };
  const tombstone = j['tombstone'];
  if (tombstone !== undefined && tombstone !== true) throw new ValidationError(`set: ${where}: tombstone must be true or absent`);
  if (tombstone === true) {
    if ('value' in j) throw new ValidationError(`set: ${where}: a tombstone has no value`);
    return { dot: d, ts: ts as number, value: undefined, tombstone: true };
  }
  if (!('value' in j)) throw new ValidationError(`set: ${where}: value missing`);
  const value = j['value'];
  validateJson(value);
  return { dot: d, ts: ts as number, value, tombstone: false };
}

/**
 * Throws ValidationError unless the set can be stored: fromJson takes it back, and its values fit in
 * a message (MAX_MERGED_CHARS, MAX_MERGED_UNITS). Sets that each pass can merge into one that does not (clock entries,
 * siblings and values add up, and a peer's set may come near the message limit alone); stored, it
 * could never be read back or shipped again, so the replica and the hint store refuse such a merge
 * and keep what they had. A lone sibling is held to the same bounds: one that arrived whole in a
 * frame near the peer limits would not fit again inside a handoff's larger envelope.
 */
export function checkStorable(set: SiblingSet): void {
  if (set.clock.length > vclock.MAX_CLOCK_ENTRIES) throw new ValidationError(`set: a clock of ${set.clock.length} entries (limit ${vclock.MAX_CLOCK_ENTRIES})`);
  if (set.siblings.length > MAX_PARSED_SIBLINGS) throw new ValidationError(`set: ${set.siblings.length} siblings (limit ${MAX_PARSED_SIBLINGS})`);
  if (set.siblings.length === 0) return;
  const chars = valueChars(set.siblings);
  if (chars > MAX_MERGED_CHARS) throw new ValidationError(`set: ${chars} characters of values (limit ${MAX_MERGED_CHARS} once merged)`);
  const units = valueUnits(set.siblings);
  if (units > MAX_MERGED_UNITS) throw new ValidationError(`set: values of ${units} JSON units (limit ${MAX_MERGED_UNITS} once merged)`);
}

/** Parses and validates a stored or received set; throws ValidationError when malformed. */
export function fromJson(json: unknown): SiblingSet {
  if (!isRecord(json)) throw new ValidationError('set: expected an object { clock, siblings }');
  const clock = vclock.fromJson(json['clock']);
  const raw = json['siblings'];
  if (!Array.isArray(raw)) throw new ValidationError('set: siblings must be an array');
  if (raw.length > MAX_PARSED_SIBLINGS) throw new ValidationError(`set: more than ${MAX_PARSED_SIBLINGS} siblings`);
  const siblings = sortSiblings(raw.map(versionFromJson));
  for (let i = 0; i < siblings.length; i++) {
    const s = siblings[i] as Version;
    const prev = siblings[i - 1];
    if (prev !== undefined && vclock.compareDots(prev.dot, s.dot) === 0) throw new ValidationError('set: duplicate dot');
    if (!vclock.covers(clock, s.dot)) throw new ValidationError(`set: sibling dot ${vclock.dotKey(s.dot)} not covered by the clock`);
  }
  return { clock, siblings };
}

// ---- JSON values ---------------------------------------------------------------------------------

/** Throws ValidationError unless `value` is plain JSON (finite numbers, no undefined) nested <= MAX_JSON_DEPTH. */
export function validateJson(value: unknown): asserts value is Json {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return; // the common case, no stack
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [x, depth] = item;
    if (x === null || typeof x === 'string' || typeof x === 'boolean') continue;
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw new ValidationError('value: numbers must be finite');
      continue;
    }
    if (depth >= MAX_JSON_DEPTH) throw new ValidationError(`value: nested deeper than ${MAX_JSON_DEPTH}`);
    if (Array.isArray(x)) for (const y of x) stack.push([y, depth + 1]);
    else if (isPlainObject(x)) for (const y of Object.values(x)) stack.push([y, depth + 1]);
    else throw new ValidationError(`value: ${typeof x} is not JSON`);
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** JSON with object keys sorted by code unit (never locale), so equal values give equal strings. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      // `?? ''`: what Array.prototype.join made of a non-JSON element (undefined), kept for old digests.
      out += `${i === 0 ? '' : ','}${(canonicalJson(value[i] as Json) as string | undefined) ?? ''}`;
    }
    return `${out}]`;
  }
  const keys = Object.keys(value);
  if (keys.length > 1) keys.sort(byCodeUnit);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    out += `${i === 0 ? '' : ','}${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`;
  }
  return `${out}}`;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- NEGATIVE CONTROL: last-writer-wins --------------------------------------------------------
// Not used by the store. It exists so tests can prove the invariant checker catches lost writes:
// LWW keeps one sibling (highest ts, ties by dot) and silently discards concurrent writes.

function lwwWinner(siblings: Iterable<Version>): Version[] {
  let best: Version | undefined;
  for (const s of siblings) {
    if (best === undefined || s.ts > best.ts || (s.ts === best.ts && vclock.compareDots(s.dot, best.dot) > 0)) best = s;
  }
  return best === undefined ? [] : [best];
}

/** NEGATIVE CONTROL. Like put, but the result holds only the last writer's version. */
export function lwwPut(set: SiblingSet, input: PutInput): PutResult {
  const r = put(set, { ...input, prune: false });
  const siblings = lwwWinner(r.set.siblings);
  return { set: { clock: r.set.clock, siblings }, version: r.version, context: contextOf(r.set.clock) };
}

/** NEGATIVE CONTROL. Union of clocks; keeps only the single highest-ts sibling of both sides. */
export function lwwMerge(a: SiblingSet, b: SiblingSet): SiblingSet {
  return { clock: vclock.merge(a.clock, b.clock), siblings: lwwWinner([...a.siblings, ...b.siblings]) };
}
