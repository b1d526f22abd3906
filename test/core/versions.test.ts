// Sibling sets with dotted version vectors (paper §4.4): put-with-context, the join, tombstones,
// serialization, pruning, the LWW negative control, and fast-check properties over random histories.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ValidationError } from '../../src/core/errors';
import * as vc from '../../src/core/vclock';
import type { Dot } from '../../src/core/vclock';
import * as V from '../../src/core/versions';
import type { SiblingSet } from '../../src/core/versions';
import { contextOf, coversContext, decodeContext, emptyContext, encodeContext } from '../../src/core/context';
import type { Context } from '../../src/core/context';
import type { Json } from '../../src/ports/storage';

const blind = emptyContext();

function write(set: SiblingSet, coordinator: string, context: Context, value: Json, now = 0): V.PutResult {
  return V.put(set, { coordinator, context, value, now });
}
function del(set: SiblingSet, coordinator: string, context: Context, now = 0): V.PutResult {
  return V.put(set, { coordinator, context, tombstone: true, now });
}
const values = (set: SiblingSet): Json[] => V.read(set).values;
const sameDot = (a: Dot, b: Dot): boolean => vc.compareDots(a, b) === 0;

describe('versions: put with context', () => {
  it('a key never written reads as no values and an empty context', () => {
    expect(V.read(V.empty())).toEqual({ values: [], context: emptyContext() });
    expect(V.isEmpty(V.empty())).toBe(true);
  });

  it('a put gets a fresh dot from the coordinator and covers it in the clock', () => {
    const r = write(V.empty(), 'x', blind, 'v1', 5);
    expect(r.version).toEqual({ dot: { node: 'x', counter: 1 }, ts: 5, value: 'v1', tombstone: false });
    expect(r.set.clock).toEqual([{ node: 'x', counter: 1, ts: 5 }]);
    expect(values(r.set)).toEqual(['v1']);
  });

  it('THE key case: two puts with the same stale context through the same coordinator are siblings', () => {
    const s0 = write(V.empty(), 'x', blind, 'v0').set;
    const stale = V.read(s0).context;
    const a = write(s0, 'x', stale, 'from A');
    const b = write(a.set, 'x', stale, 'from B');
    expect(values(b.set)).toEqual(['from A', 'from B']);
    // A plain per-coordinator vector clock gives both writes the same clock [x:2], so the second
    // would silently replace the first; the dots here differ:
    expect(vc.increment(stale.clock, 'x', 0)).toEqual(vc.increment(stale.clock, 'x', 0));
    expect(a.version.dot).not.toEqual(b.version.dot);
  });

  it('a read-modify-write with the returned context collapses the siblings', () => {
    const s0 = write(V.empty(), 'x', blind, 'v0').set;
    const stale = V.read(s0).context;
    const two = write(write(s0, 'x', stale, 'a').set, 'y', stale, 'b').set;
    const { values: seen, context } = V.read(two);
    expect(seen).toEqual(['a', 'b']);
    const one = write(two, 'x', context, 'a+b').set;
    expect(values(one)).toEqual(['a+b']);
    expect(one.siblings.length).toBe(1);
  });

  it('the context a put returns covers the new version but not the siblings it left standing', () => {
    const first = write(V.empty(), 'x', blind, 'a');
    const second = write(first.set, 'x', blind, 'b');
    expect(coversContext(second.context, second.version.dot)).toBe(true);
    expect(coversContext(second.context, first.version.dot)).toBe(false);
    // So the second writer's next write replaces its own value and keeps the other writer's.
    const third = write(second.set, 'x', second.context, 'b2');
    expect(values(third.set)).toEqual(['a', 'b2']);
  });

  it('siblings never outnumber concurrent writers (riak sibling_explosion shape), same coordinator', () => {
    let set = V.empty();
    const ctx = { A: blind, B: blind };
    for (let i = 0; i < 100; i++) {
      for (const who of ['A', 'B'] as const) {
        const r = write(set, 'x', ctx[who], `${who}${i}`, i);
        set = r.set;
        ctx[who] = r.context;
      }
      expect(set.siblings.length).toBeLessThanOrEqual(2);
    }
    expect(values(set)).toEqual(['A99', 'B99']);
  });

  it('siblings never outnumber concurrent writers, different coordinators and replication', () => {
    let x = V.empty();
    let y = V.empty();
    let ctxA = blind;
    let ctxB = blind;
    for (let i = 0; i < 100; i++) {
      const a = write(x, 'x', ctxA, `A${i}`, i);
      x = a.set;
      ctxA = a.context;
      y = V.merge(y, a.set); // replication of A's write
      const b = write(y, 'y', ctxB, `B${i}`, i);
      y = b.set;
      ctxB = b.context;
      x = V.merge(x, b.set);
    }
    expect(values(x)).toEqual(['A99', 'B99']);
    expect(V.equals(x, y)).toBe(true);
  });

  it('concurrent blind writes are all kept (that is real concurrency)', () => {
    let set = V.empty();
    for (let i = 0; i < 5; i++) set = write(set, 'x', blind, i).set;
    expect(values(set)).toEqual([0, 1, 2, 3, 4]);
  });

  it('a context with an entry the coordinator never saw still gets a dot above it', () => {
    const ctx = contextOf(vc.fromEntries([{ node: 'x', counter: 7, ts: 0 }]));
    expect(write(V.empty(), 'x', ctx, 'v').version.dot).toEqual({ node: 'x', counter: 8 });
  });

  it('rejects values that are not JSON', () => {
    const bad: unknown[] = [undefined, Number.NaN, Infinity, () => 1, new Date(0), { a: undefined }, [1, [2, Symbol('s')]]];
    for (const value of bad) {
      expect(() => V.put(V.empty(), { coordinator: 'x', context: blind, value: value as Json, now: 0 })).toThrow(ValidationError);
    }
    let deep: Json = 1;
    for (let i = 0; i < V.MAX_JSON_DEPTH + 1; i++) deep = [deep];
    expect(() => write(V.empty(), 'x', blind, deep)).toThrow(/nested deeper/);
  });
});

describe('versions: tombstones', () => {
  it('a delete with context hides the value; the key reads as not found but keeps its context', () => {
    const s1 = write(V.empty(), 'x', blind, 'v').set;
    const gone = del(s1, 'x', V.read(s1).context).set;
    const r = V.read(gone);
    expect(r.values).toEqual([]);
    expect(r.context.clock.length).toBeGreaterThan(0);
    expect(V.hasOnlyTombstones(gone)).toBe(true);
  });

  it('a put after a delete, with its context, has exactly one value', () => {
    const s1 = write(V.empty(), 'x', blind, 'v').set;
    const gone = del(s1, 'x', V.read(s1).context).set;
    const back = write(gone, 'y', V.read(gone).context, 'again').set;
    expect(values(back)).toEqual(['again']);
    expect(back.siblings.length).toBe(1);
    expect(V.hasOnlyTombstones(back)).toBe(false);
  });

  it('a concurrent put vs delete keeps the put', () => {
    const s1 = write(V.empty(), 'x', blind, 'v').set;
    const ctx = V.read(s1).context;
    const deleted = del(s1, 'x', ctx).set; // at replica x
    const updated = write(s1, 'y', ctx, 'v2').set; // concurrently at replica y
    expect(values(V.merge(deleted, updated))).toEqual(['v2']);
    expect(values(V.merge(updated, deleted))).toEqual(['v2']);
  });

  it('a delete wins only over what it saw', () => {
    const s1 = write(V.empty(), 'x', blind, 'seen').set;
    const ctx = V.read(s1).context;
    const s2 = write(s1, 'x', blind, 'unseen').set;
    expect(values(del(s2, 'x', ctx).set)).toEqual(['unseen']);
  });
});

describe('versions: merge (replication, read repair, anti-entropy)', () => {
  it('a replica that received the new set drops the version it superseded', () => {
    const s1 = write(V.empty(), 'x', blind, 'old').set;
    const replica = V.merge(V.empty(), s1);
    const s2 = write(s1, 'x', V.read(s1).context, 'new').set;
    expect(values(V.merge(replica, s2))).toEqual(['new']);
    expect(values(V.merge(s2, replica))).toEqual(['new']);
  });

  it('keeps a version the other side has not seen', () => {
    const x = write(V.empty(), 'x', blind, 'at x').set;
    const y = write(V.empty(), 'y', blind, 'at y').set;
    expect(values(V.merge(x, y))).toEqual(['at x', 'at y']);
  });

  it('a write through a coordinator that missed an excepted sibling never drops it', () => {
    // B's context excepts A's sibling (x,1); coordinator z has seen nothing of the key yet.
    const a = write(V.empty(), 'x', blind, 'A');
    const b = write(a.set, 'x', blind, 'B');
    const z = write(V.empty(), 'z', b.context, 'B2');
    expect(vc.counter(z.set.clock, 'x')).toBe(0); // z cannot claim (x,2) without claiming (x,1)
    // A survives. B comes back as a false sibling: the documented price of a coordinator switch.
    expect(values(V.mergeAll([a.set, b.set, z.set]))).toEqual(['A', 'B', 'B2']);
  });
});

describe('versions: canonical form and JSON', () => {
  it('the same logical set gives the same digest input whatever the build order or key order', () => {
    const x = write(V.empty(), 'x', blind, { a: 1, b: [1, { c: 2, d: 3 }] }, 1).set;
    const y = write(V.empty(), 'y', blind, { b: [1, { d: 3, c: 2 }], a: 1 }, 2).set;
    expect(V.digestInput(V.merge(x, y))).toBe(V.digestInput(V.merge(y, x)));
    const y2 = write(V.empty(), 'y', blind, { a: 1, b: [1, { c: 2, d: 3 }] }, 2).set;
    expect(V.equals(V.merge(x, y), V.merge(y2, x))).toBe(true);
  });

  it('round-trips through JSON text and keeps the stored shape', () => {
    const s = del(write(V.empty(), 'x', blind, { n: null }, 3).set, 'y', blind, 4).set;
    const json = V.toJson(s);
    expect(json).toEqual({
      clock: [['x', 1, 3], ['y', 1, 4]],
      siblings: [
        { dot: ['x', 1], ts: 3, value: { n: null } },
        { dot: ['y', 1], ts: 4, tombstone: true },
      ],
    });
    expect(V.fromJson(JSON.parse(JSON.stringify(json)))).toEqual(s);
  });

  const ok = { clock: [['x', 2, 0]], siblings: [{ dot: ['x', 2], ts: 0, value: 1 }] };
  it.each<[string, unknown]>([
    ['null', null],
    ['an array', []],
    ['a missing clock', { siblings: [] }],
    ['a bad clock', { clock: [['x', 0, 0]], siblings: [] }],
    ['siblings not an array', { clock: [], siblings: {} }],
    ['a sibling not an object', { ...ok, siblings: [1] }],
    ['a bad dot', { ...ok, siblings: [{ dot: ['x'], ts: 0, value: 1 }] }],
    ['a negative dot counter', { ...ok, siblings: [{ dot: ['x', -2], ts: 0, value: 1 }] }],
    ['a missing ts', { ...ok, siblings: [{ dot: ['x', 2], value: 1 }] }],
    ['a missing value', { ...ok, siblings: [{ dot: ['x', 2], ts: 0 }] }],
    ['a tombstone with a value', { ...ok, siblings: [{ dot: ['x', 2], ts: 0, tombstone: true, value: 1 }] }],
    ['tombstone: false', { ...ok, siblings: [{ dot: ['x', 2], ts: 0, tombstone: false, value: 1 }] }],
    ['a dot the clock does not cover', { ...ok, siblings: [{ dot: ['x', 3], ts: 0, value: 1 }] }],
    ['a duplicate dot', { ...ok, siblings: [ok.siblings[0], ok.siblings[0]] }],
    ['a non-JSON value', { ...ok, siblings: [{ dot: ['x', 2], ts: 0, value: Number.NaN }] }],
  ])('fromJson rejects %s with ValidationError', (_, json) => {
    expect(() => V.fromJson(json)).toThrow(ValidationError);
  });
});

describe('versions: pruning', () => {
  it('keeps the clock at maxEntries, keeping the coordinator and every sibling node', () => {
    let set = V.empty();
    for (let i = 0; i < 15; i++) set = write(set, `n${String(i).padStart(2, '0')}`, V.read(set).context, i, i).set;
    expect(set.clock.length).toBe(10);
    expect(values(set)).toEqual([14]);
    expect(vc.counter(set.clock, 'n14')).toBe(1);
    expect(vc.counter(set.clock, 'n00')).toBe(0); // oldest went first
    const two = V.put(set, { coordinator: 'late', context: blind, value: 'x', now: 99, prune: { maxEntries: 1 } }).set;
    expect(two.clock.map((e) => e.node).sort()).toEqual(['late', 'n14']);
  });

  it('prune: false leaves the clock alone', () => {
    let set = V.empty();
    for (let i = 0; i < 12; i++) set = V.put(set, { coordinator: `n${i}`, context: V.read(set).context, value: i, now: i, prune: false }).set;
    expect(set.clock.length).toBe(12);
  });

  it('pruning may bring back a superseded version as a false sibling, never drops a live one', () => {
    const s1 = write(V.empty(), 'old', blind, 'stale').set;
    const stale = V.merge(V.empty(), s1); // a replica that keeps the old version
    const s2 = V.put(s1, { coordinator: 'new', context: V.read(s1).context, value: 'fresh', now: 1, prune: false }).set;
    const pruned = V.pruneSet(s2, { maxEntries: 1 });
    expect(vc.counter(pruned.clock, 'old')).toBe(0);
    expect(values(V.merge(s2, stale))).toEqual(['fresh']);
    expect(values(V.merge(pruned, stale))).toEqual(['fresh', 'stale']); // false sibling (dot order: new < old)
  });
});

// ---- random histories ------------------------------------------------------------------------

type Cmd =
  | { t: 'put'; at: number; ctx: number; recent: boolean; del: boolean }
  | { t: 'read'; at: number; also: number }
  | { t: 'sync'; from: number; to: number }
  | { t: 'deliver'; msg: number };

interface Write {
  dot: Dot;
  ctx: Context;
}

interface Run {
  replicas: SiblingSet[];
  inFlight: SiblingSet[];
  writes: Write[];
  seen: SiblingSet[];
  /** Puts whose context covered a written dot the client neither saw nor was already superseded. */
  silentOverwrites: string[];
}

/** A client context, plus the dots its client may legitimately claim: seen, or already superseded. */
interface Held {
  ctx: Context;
  allowed: Set<string>;
}

const arbCmd = (nodes: number): fc.Arbitrary<Cmd> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('put' as const), at: fc.nat(nodes - 1), ctx: fc.nat(), recent: fc.boolean(), del: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('read' as const), at: fc.nat(nodes - 1), also: fc.nat(nodes - 1) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('sync' as const), from: fc.nat(nodes - 1), to: fc.nat(nodes - 1) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('deliver' as const), msg: fc.nat() }) },
  );

interface Algebra {
  put: typeof V.put;
  merge: typeof V.merge;
}
const DVV: Algebra = { put: V.put, merge: V.merge };
const LWW: Algebra = { put: V.lwwPut, merge: V.lwwMerge };

/** Replays commands over `nodes` replicas; each replica coordinates as node `r<i>`. */
function replay(cmds: Cmd[], nodes: number, alg: Algebra = DVV, maxEntries = 10): Run {
  const run: Run = { replicas: Array.from({ length: nodes }, () => V.empty()), inFlight: [], writes: [], seen: [], silentOverwrites: [] };
  const contexts: Held[] = [{ ctx: emptyContext(), allowed: new Set() }];
  const dead = new Set<string>(); // written dots some put's context covered: superseded
  const at = (i: number): SiblingSet => run.replicas[i] as SiblingSet;
  cmds.forEach((cmd, step) => {
    if (cmd.t === 'put') {
      // Half the puts use one of the 2 newest contexts (read-modify-write), half any older one.
      const i = cmd.recent ? contexts.length - 1 - (cmd.ctx % Math.min(2, contexts.length)) : cmd.ctx % contexts.length;
      const held = contexts[i] as Held;
      for (const w of run.writes.filter((x) => coversContext(held.ctx, x.dot))) {
        if (!held.allowed.has(vc.dotKey(w.dot))) run.silentOverwrites.push(vc.dotKey(w.dot));
        dead.add(vc.dotKey(w.dot));
      }
      const input = cmd.del ? { tombstone: true as const } : { value: `w${step}` };
      const r = alg.put(at(cmd.at), { coordinator: `r${cmd.at}`, context: held.ctx, now: step, prune: { maxEntries }, ...input });
      run.replicas[cmd.at] = r.set;
      run.writes.push({ dot: r.version.dot, ctx: held.ctx });
      contexts.push({ ctx: r.context, allowed: new Set([...held.allowed, ...dead, vc.dotKey(r.version.dot)]) });
      for (let j = 0; j < nodes; j++) if (j !== cmd.at) run.inFlight.push(r.set);
    } else if (cmd.t === 'read') {
      const merged = alg.merge(at(cmd.at), at(cmd.also));
      const ctx = decodeContext(encodeContext(V.read(merged).context));
      contexts.push({ ctx, allowed: new Set([...dead, ...merged.siblings.map((x) => vc.dotKey(x.dot))]) });
    } else if (cmd.t === 'sync') {
      run.replicas[cmd.to] = alg.merge(at(cmd.to), at(cmd.from));
    } else if (run.inFlight.length > 0) {
      const [msg] = run.inFlight.splice(cmd.msg % run.inFlight.length, 1);
      const to = cmd.msg % nodes;
      run.replicas[to] = alg.merge(at(to), msg as SiblingSet);
    }
    run.seen.push(...run.replicas);
  });
  return run;
}

/** Writes that are neither in `final` nor covered by the context of some write made later. */
function lostWrites(writes: Write[], final: SiblingSet): Dot[] {
  return writes
    .filter((w) => !final.siblings.some((s) => sameDot(s.dot, w.dot)))
    .filter((w) => !writes.some((o) => coversContext(o.ctx, w.dot)))
    .map((w) => w.dot);
}

function shuffled<T>(xs: readonly T[], keys: readonly number[]): T[] {
  return xs.map((x, i) => [x, keys[i % Math.max(1, keys.length)] ?? 0] as const).sort((a, b) => a[1] - b[1]).map(([x]) => x);
}

const arbRun = fc
  .integer({ min: 3, max: 4 })
  .chain((nodes) => fc.tuple(fc.constant(nodes), fc.array(arbCmd(nodes), { maxLength: 40 })))
  .map(([nodes, cmds]) => replay(cmds, nodes));

const pick = (run: Run, i: number): SiblingSet => run.seen[i % Math.max(1, run.seen.length)] ?? V.empty();

// The forms digestInput and canonicalJson had before they were written out by hand: Merkle hashes
// are compared between peers, so the strings must stay byte-for-byte the same.
function refCanonical(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(refCanonical).join(',')}]`;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${refCanonical(value[k] as Json)}`).join(',')}}`;
}

describe('versions: canonical strings are unchanged', () => {
  it('canonicalJson matches the reference on any JSON, odd keys and non-JSON holes included', () => {
    const arbValue = fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.constant(undefined), fc.integer())), fc.dictionary(fc.string(), fc.jsonValue()));
    fc.assert(
      fc.property(arbValue, (v) => {
        expect(V.canonicalJson(v as Json)).toBe(refCanonical(v as Json));
      }),
      { numRuns: 500 },
    );
    expect(V.canonicalJson({ b: 1, a: [1, -0, 'x'], __proto__x: null, ä: true } as Json)).toBe('{"__proto__x":null,"a":[1,0,"x"],"b":1,"ä":true}');
  });

  it('digestInput is canonicalJson(toJson(set)) for every set of random histories', () => {
    fc.assert(
      fc.property(arbRun, fc.nat(), (run, i) => {
        const set = pick(run, i);
        expect(V.digestInput(set)).toBe(refCanonical(V.toJson(set) as unknown as Json));
      }),
    );
    const odd = V.put(V.empty(), { coordinator: 'n"1', context: blind, value: { z: [1.5, { b: 2, a: 1 }], a: 'é' }, now: 7.25 }).set;
    const withTomb = del(odd, 'n2', V.read(odd).context, 8).set;
    for (const s of [odd, withTomb, V.merge(odd, withTomb)]) expect(V.digestInput(s)).toBe(refCanonical(V.toJson(s) as unknown as Json));
  });
});

describe('versions: equals on values', () => {
  const one = (value: Json, ts = 1): SiblingSet => write(V.empty(), 'x', blind, value, ts).set;
  it('compares values as canonical JSON: key order ignored, types and lengths not', () => {
    expect(V.equals(one({ a: 1, b: [1, { c: null }] }), one({ b: [1, { c: null }], a: 1 }))).toBe(true);
    const differ: Array<[Json, Json]> = [
      [{ a: 1 }, { a: '1' }],
      [{ a: 1 }, { a: 1, b: 2 }],
      [{ a: 1 }, { b: 1 }],
      [[1, 2], [2, 1]],
      [[1], { 0: 1 }],
      [null, {}],
      ['x', 'y'],
    ];
    for (const [x, y] of differ) expect(V.equals(one(x), one(y))).toBe(false);
    expect(V.equals(one('v', 1), one('v', 2))).toBe(false); // ts is part of the stored form
    const tomb = del(V.empty(), 'x', blind, 1).set;
    expect(V.equals(tomb, del(V.empty(), 'x', blind, 1).set)).toBe(true);
    expect(V.equals(tomb, one('v', 1))).toBe(false);
  });
});

describe('versions: properties over random histories of 3-4 coordinators', () => {
  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(arbRun, fc.nat(), fc.nat(), fc.nat(), (run, i, j, k) => {
        const [a, b, c] = [pick(run, i), pick(run, j), pick(run, k)];
        expect(V.digestInput(V.merge(a, b))).toBe(V.digestInput(V.merge(b, a)));
        expect(V.digestInput(V.merge(V.merge(a, b), c))).toBe(V.digestInput(V.merge(a, V.merge(b, c))));
        expect(V.digestInput(V.merge(a, a))).toBe(V.digestInput(a));
        expect(V.merge(a, b).siblings.every((s) => vc.covers(V.merge(a, b).clock, s.dot))).toBe(true);
      }),
    );
  });

  it('equals agrees with comparing digestInput, for separately built and reordered copies too', () => {
    // A copy through JSON text with object keys reversed: equal content, no shared objects.
    const reorder = (x: unknown): unknown =>
      Array.isArray(x) ? x.map(reorder) : x !== null && typeof x === 'object' ? Object.fromEntries(Object.entries(x).reverse().map(([k, v]) => [k, reorder(v)])) : x;
    fc.assert(
      fc.property(arbRun, fc.nat(), fc.nat(), (run, i, j) => {
        const [a, b] = [pick(run, i), pick(run, j)];
        const copy = V.fromJson(reorder(JSON.parse(JSON.stringify(V.toJson(a)))));
        expect(V.equals(a, b)).toBe(V.digestInput(a) === V.digestInput(b));
        expect(V.equals(a, copy)).toBe(true);
        expect(V.equals(V.merge(a, b), V.merge(b, copy))).toBe(V.digestInput(V.merge(a, b)) === V.digestInput(V.merge(b, copy)));
      }),
    );
  });

  it('every set survives toJson / fromJson unchanged', () => {
    fc.assert(
      fc.property(arbRun, fc.nat(), (run, i) => {
        const s = pick(run, i);
        expect(V.fromJson(JSON.parse(JSON.stringify(V.toJson(s))))).toEqual(s);
      }),
    );
  });

  it('dots are unique: no two writes share one', () => {
    fc.assert(
      fc.property(arbRun, (run) => {
        expect(new Set(run.writes.map((w) => vc.dotKey(w.dot))).size).toBe(run.writes.length);
      }),
    );
  });

  it('no acknowledged version is lost, whatever the merge order, and all orders converge', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 4 }).chain((n) => fc.tuple(fc.constant(n), fc.array(arbCmd(n), { maxLength: 50 }))),
        fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 60 }),
        ([nodes, cmds], keys1, keys2) => {
          const run = replay(cmds, nodes);
          const everything = [...run.replicas, ...run.inFlight];
          const f1 = shuffled(everything, keys1).reduce(V.merge, V.empty());
          const f2 = shuffled(everything, keys2).reduceRight(V.merge, V.empty());
          expect(lostWrites(run.writes, f1)).toEqual([]);
          expect(V.digestInput(f1)).toBe(V.digestInput(f2));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('no client context ever covers a version its client neither saw nor was superseded (no silent overwrite)', () => {
    fc.assert(
      fc.property(arbRun, (run) => {
        expect(run.silentOverwrites).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('with aggressive pruning (maxEntries 2, 5 coordinators) still nothing is lost', () => {
    fc.assert(
      fc.property(fc.array(arbCmd(5), { maxLength: 50 }), fc.array(fc.double({ noNaN: true }), { minLength: 1, maxLength: 60 }), (cmds, keys) => {
        const run = replay(cmds, 5, DVV, 2);
        const [a, b, c] = [pick(run, keys.length), pick(run, cmds.length), pick(run, 7)];
        expect(V.digestInput(V.merge(V.merge(a, b), c))).toBe(V.digestInput(V.merge(a, V.merge(b, c))));
        expect(V.digestInput(V.merge(a, b))).toBe(V.digestInput(V.merge(b, a)));
        const final = shuffled([...run.replicas, ...run.inFlight], keys).reduce(V.merge, V.empty());
        expect(lostWrites(run.writes, final)).toEqual([]);
        expect(run.silentOverwrites).toEqual([]);
        expect(new Set(run.writes.map((w) => vc.dotKey(w.dot))).size).toBe(run.writes.length);
      }),
    );
  });
});

describe('versions: last-writer-wins NEGATIVE CONTROL', () => {
  it('loses one of two concurrent writes, and the lost-write check sees it', () => {
    const x = V.lwwPut(V.empty(), { coordinator: 'x', context: blind, value: 'first', now: 1 });
    const y = V.lwwPut(V.empty(), { coordinator: 'y', context: blind, value: 'second', now: 2 });
    const final = V.lwwMerge(x.set, y.set);
    expect(values(final)).toEqual(['second']);
    const writes = [x, y].map((r) => ({ dot: r.version.dot, ctx: blind }));
    expect(lostWrites(writes, final)).toEqual([{ node: 'x', counter: 1 }]);
  });

  it('random histories under LWW lose writes that the checker reports', () => {
    const cmds: Cmd[] = [
      { t: 'put', at: 0, ctx: 0, recent: false, del: false },
      { t: 'put', at: 1, ctx: 0, recent: false, del: false },
      { t: 'sync', from: 0, to: 1 },
    ];
    const run = replay(cmds, 3, LWW);
    expect(lostWrites(run.writes, run.replicas.reduce(V.lwwMerge, V.empty()))).toHaveLength(1);
    const lossy = fc.sample(fc.array(arbCmd(3), { minLength: 20, maxLength: 40 }), { numRuns: 50, seed: 42 }).filter((c) => {
      const r = replay(c, 3, LWW);
      return lostWrites(r.writes, [...r.replicas, ...r.inFlight].reduce(V.lwwMerge, V.empty())).length > 0;
    });
    expect(lossy.length).toBeGreaterThan(0);
  });
});
