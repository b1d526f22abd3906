// Structure-aware mutations of captured peer messages: field deletion, type swaps, boundary numbers,
// long strings, huge arrays, deep nesting, prototype names as keys and values, wrong message types,
// crossover between frames, sibling sets that parse but sit at (or just past) every bound, and
// byte-level damage. Each returns the message and a short description of what was done.

import type { SeededRandom } from '../../src/sim/random';
import { boundaryNumber, clone, deepNesting, length, PROTO_NAMES, randomJson, raw, rawLength, scale, setOwn, text, type J } from './json';

export type Obj = { [key: string]: J };
export const MESSAGE_TYPES = ['put', 'put-ack', 'get', 'get-reply', 'fwd-put', 'fwd-put-reply', 'handoff', 'handoff-ack', 'reaped', 'aae', 'gossip', 'gossip-state'];

/** A place in a message: the container and the key or index of the value there. */
interface Slot {
  parent: Obj | J[];
  at: string | number;
}

/** Up to `max` slots of the message, sampled uniformly (reservoir) in one walk. */
function slots(rng: SeededRandom, msg: Obj, max = 1000): Slot[] {
  const all: Slot[] = [];
  const stack: Array<Obj | J[]> = [msg];
  let seen = 0;
  for (let node = stack.pop(); node !== undefined && seen < max * 4; node = stack.pop()) {
    const keys: Array<string | number> = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const at of keys) {
      seen++;
      const slot = { parent: node, at };
      if (all.length < max) all.push(slot);
      else if (rng.int(seen) < max) all[rng.int(max)] = slot;
      const v = (node as Record<string | number, J>)[at];
      if (typeof v === 'object' && v !== null) stack.push(v as Obj | J[]);
    }
  }
  return all;
}

/** One slot of the message; the root's `type` field when it has none left (all deleted). */
function anySlot(rng: SeededRandom, msg: Obj): Slot {
  const all = slots(rng, msg);
  return all.length > 0 ? rng.pick(all) : { parent: msg, at: 'type' };
}

function get(s: Slot): J {
  return (s.parent as Record<string | number, J>)[s.at] as J;
}

function put(s: Slot, v: J): void {
  if (Array.isArray(s.parent)) s.parent[s.at as number] = v;
  else setOwn(s.parent, s.at as string, v);
}

function remove(s: Slot): void {
  if (Array.isArray(s.parent)) s.parent.splice(s.at as number, 1);
  else delete s.parent[s.at as string];
}

/** A value of another JSON type than `v`. */
function otherType(rng: SeededRandom, v: J): J {
  const options: J[] = [null, true, 0, -1, '', 'x', [], {}, [v], { v }];
  const kind = (x: J) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
  const different = options.filter((o) => kind(o) !== kind(v));
  return rng.pick(different);
}

type Op = (rng: SeededRandom, msg: Obj, ctx: MutationContext) => string;

export interface MutationContext {
  /** Another captured message, for crossover. */
  other(): Obj;
  /** Ids recently used by real requests between members (stale ids for replies). */
  staleIds: number[];
}

const ops: Record<string, Op> = {
  'delete-field': (rng, msg) => {
    const s = anySlot(rng, msg);
    remove(s);
    return `delete ${String(s.at)}`;
  },
  'type-swap': (rng, msg) => {
    const s = anySlot(rng, msg);
    put(s, otherType(rng, get(s)));
    return `type-swap ${String(s.at)}`;
  },
  boundary: (rng, msg) => {
    const all = slots(rng, msg);
    const numbers = all.filter((s) => typeof get(s) === 'number');
    const s = numbers.length > 0 && rng.chance(0.8) ? rng.pick(numbers) : anySlot(rng, msg);
    put(s, boundaryNumber(rng));
    return `boundary ${String(s.at)}`;
  },
  'long-string': (rng, msg) => {
    const s = anySlot(rng, msg);
    const n = length(rng);
    put(s, text(rng, n));
    return `long-string ${String(s.at)} ${n}`;
  },
  'huge-array': (rng, msg) => {
    const s = anySlot(rng, msg);
    const v = get(s);
    const item: J = Array.isArray(v) && v.length > 0 ? (v[0] as J) : rng.chance(0.5) ? v : 0;
    const itemText = JSON.stringify(item) ?? 'null';
    // At most ~500 K chars in all: a frame past the message limit is refused before it is parsed,
    // and one near it made of nested arrays takes seconds to parse (reported, not repeated).
    const n = Math.max(1, Math.min(scale(rng, [2, 65], [1025, 4097], [10_001, 100_000]), Math.floor(500_000 / rawLength(item))));
    // One raw copy of a container, not n references to one object (which later walks would visit n times).
    const fill = typeof item === 'object' && item !== null ? raw(itemText) : item;
    put(s, new Array<J>(n).fill(fill));
    return `huge-array ${String(s.at)} ${n}`;
  },
  'deep-nesting': (rng, msg) => {
    const s = anySlot(rng, msg);
    const levels = scale(rng, [2, 255], [256, 257, 1000], [10_000, 100_000]);
    put(s, raw(deepNesting(rng, levels)));
    return `deep-nesting ${String(s.at)} ${levels}`;
  },
  'proto-key': (rng, msg) => {
    const name = rng.pick(PROTO_NAMES);
    const r = rng.int(3);
    if (r === 0) msg['type'] = name;
    else if (r === 1) {
      const objects = slots(rng, msg).map(get).filter((v): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v));
      setOwn(objects.length > 0 ? rng.pick(objects) : msg, name, randomJson(rng, 1));
    } else {
      const strings = slots(rng, msg).filter((s) => typeof get(s) === 'string');
      if (strings.length > 0) put(rng.pick(strings), name);
      else setOwn(msg, name, name);
    }
    return `proto-key ${name} (${r})`;
  },
  'wrong-type': (rng, msg) => {
    msg['type'] = rng.pick(MESSAGE_TYPES);
    return `wrong-type ${String(msg['type'])}`;
  },
  id: (rng, msg, ctx) => {
    msg['id'] = rng.chance(0.5) && ctx.staleIds.length > 0 ? rng.pick(ctx.staleIds) : boundaryNumber(rng);
    return 'id';
  },
  crossover: (rng, msg, ctx) => {
    const donor = slots(rng, ctx.other());
    const s = anySlot(rng, msg);
    if (donor.length > 0) put(s, clone(get(rng.pick(donor))));
    return `crossover ${String(s.at)}`;
  },
  'random-field': (rng, msg) => {
    const s = anySlot(rng, msg);
    put(s, randomJson(rng));
    return `random ${String(s.at)}`;
  },
  set: (rng, msg) => {
    const sets = slots(rng, msg).filter((s) => isSet(get(s)));
    const s = sets.length > 0 ? rng.pick(sets) : undefined;
    if (s) put(s, extremeSet(rng));
    else if (typeof msg['key'] === 'string') msg['set'] = extremeSet(rng);
    return 'extreme-set';
  },
};

export const OP_NAMES = Object.keys(ops);

function isSet(v: J): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Array.isArray(v['clock']) && Array.isArray(v['siblings']);
}

/**
 * A sibling set that parses, or misses by one: up to the parser's bounds (1,024 clock entries and
 * siblings) or one past them, counters at 2^48, timestamps at 2^53-1, 100-char actors, big values.
 * Actors are fresh per set, so two such sets merged hold the union of both.
 */
export function extremeSet(rng: SeededRandom): Obj {
  const actors = scale(rng, [1, 3, 10, 11], [64, 1024, 1025], [1024]);
  const siblings = Math.min(actors, scale(rng, [0, 1, 2], [64, 65, 1024, 1025], [1024]));
  const tag = rng.uint32().toString(36);
  const name = (i: number) => (rng.chance(0.1) ? `${tag}-${i}-`.padEnd(100, 'a') : `${tag}-${i}`);
  const counter = rng.pick([1, 2 ** 48, 2 ** 48 - 1, 7]);
  const ts = rng.pick([0, 1.5, 2 ** 53 - 1, 1e15]);
  const names = Array.from({ length: actors }, (_, i) => name(i)).sort();
  const clock: J = names.map((n) => [n, counter, ts]);
  const big = rng.chance(0.01) ? rng.pick([100_000, 900_000]) : 0;
  const sibling = (n: string, i: number): Obj => {
    if (i === 0 && big > 0) return { dot: [n, counter], ts, value: 'v'.repeat(big) };
    return rng.chance(0.1) ? { dot: [n, counter], ts, tombstone: true } : { dot: [n, counter], ts, value: i };
  };
  const values: J = names.slice(0, siblings).map(sibling);
  return { clock, siblings: values };
}

/** Byte-level damage to a serialized frame: truncation, a flipped character, garbage, doubling. */
export function damage(rng: SeededRandom, frame: string): { frame: string; how: string } {
  const at = rng.int(frame.length + 1);
  switch (rng.int(5)) {
    case 0:
      return { frame: frame.slice(0, at), how: `truncate ${at}` };
    case 1:
      return { frame: frame.slice(0, at) + String.fromCharCode(rng.int(128)) + frame.slice(at + 1), how: `flip ${at}` };
    case 2:
      return { frame: frame.slice(0, at) + text(rng, 1 + rng.int(8)) + frame.slice(at), how: `insert ${at}` };
    case 3:
      return { frame: frame + frame, how: 'doubled' };
    default:
      return { frame: rng.pick(['', ' ', 'null', '[]', '{}', '"put"', '0', 'true', '{"type":"put"}', '\ufeff{}']), how: 'tiny' };
  }
}

/** One to three structural mutations of a copy of `base`. */
export function mutateMessage(rng: SeededRandom, base: Obj, ctx: MutationContext): { msg: Obj; how: string } {
  const msg = clone(base);
  const done: string[] = [];
  for (let i = 1 + (rng.chance(0.3) ? rng.int(3) : 0); i > 0; i--) {
    const name = rng.pick(OP_NAMES);
    done.push(ops[name]!(rng, msg, ctx));
  }
  return { msg, how: done.join(' + ') };
}
