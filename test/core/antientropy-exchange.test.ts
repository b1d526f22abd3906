// Tests for core/antientropy-exchange.ts and its payload validators (core/protocol/antientropy.ts): the
// Merkle exchange finds exactly the differing keys (riak_core hashtree's property test, in our terms),
// stays under the payload budget, survives duplicates and reordering, and refuses bad input without
// throwing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MerkleTree } from '../../src/core/merkle';
import type { MerkleConfig } from '../../src/core/merkle';
import { MAX_PAYLOAD_CHARS, diffPairs, receive, respond, start } from '../../src/core/antientropy-exchange';
import type { Diff, ExchangeOptions, Session, Step } from '../../src/core/antientropy-exchange';
import { validateExchangePayload, validateHashesItem, validateKeysItem, type ExchangePayload } from '../../src/core/protocol/antientropy';
import { toBase64Url } from '../../src/core/protocol/base64url';

const dg = (s: string): string => toBase64Url(new TextEncoder().encode(s.padEnd(16, '.').slice(0, 16)));

interface Run {
  a: Step;
  b: Step;
  payloads: number;
  rounds: number;
  chars: number;
  maxChars: number;
}

interface Wire {
  /** Delivers payloads in this order (duplicate, reorder...); default as sent. */
  shuffle?: (ps: ExchangePayload[]) => ExchangePayload[];
}

/** Drives an exchange between trees a (initiator) and b (responder) through JSON and the validator. */
function run(a: MerkleTree, b: MerkleTree, opts: ExchangeOptions = {}, wire: Wire = {}): Run {
  let chars = 0;
  let maxChars = 0;
  let payloads = 0;
  let rounds = 0;
  const over = (ps: ExchangePayload[]): ExchangePayload[] => {
    if (ps.length > 0) rounds++;
    const out: ExchangePayload[] = [];
    for (const p of ps) {
      const s = JSON.stringify(p);
      chars += s.length;
      maxChars = Math.max(maxChars, s.length);
      payloads++;
      const v = validateExchangePayload(JSON.parse(s));
      expect(v, s.slice(0, 200)).not.toBeNull();
      out.push(v as ExchangePayload);
    }
    return wire.shuffle ? wire.shuffle(out) : out;
  };
  let stepA = start(a, opts);
  let stepB: Step | undefined;
  let toB = over(stepA.send);
  for (let guard = 0; guard < 100; guard++) {
    const toA: ExchangePayload[] = [];
    for (const p of toB) {
      stepB = stepB === undefined ? respond(b, p, opts) : receive(stepB.session, b, p);
      toA.push(...stepB.send);
    }
    if (toA.length === 0) break;
    const nextB: ExchangePayload[] = [];
    for (const p of over(toA)) {
      stepA = receive(stepA.session, a, p);
      nextB.push(...stepA.send);
    }
    if (nextB.length === 0) break;
    toB = over(nextB);
  }
  expect(stepB).toBeDefined();
  return { a: stepA, b: stepB as Step, payloads, rounds, chars, maxChars };
}

function mirror(d: Diff): Diff {
  return { localOnly: d.remoteOnly, remoteOnly: d.localOnly, different: d.different };
}

/** Two trees from keys split into same / only-a / only-b / different (riak_core's hashtree test). */
function pair(
  keys: string[],
  kinds: number[],
  cfg: Partial<MerkleConfig>,
): { a: MerkleTree; b: MerkleTree; expected: Diff } {
  const a = new MerkleTree(cfg);
  const b = new MerkleTree(cfg);
  const expected: Diff = { localOnly: [], remoteOnly: [], different: [] };
  keys.forEach((k, i) => {
    const kind = kinds[i % kinds.length] ?? 0;
    if (kind === 0 || kind === 3) a.insert(k, dg(`a${i}`));
    if (kind === 0) b.insert(k, dg(`a${i}`));
    if (kind === 2 || kind === 3) b.insert(k, dg(`b${i}`));
    if (kind === 1) a.insert(k, dg(`a${i}`));
    if (kind === 1) expected.localOnly.push(k);
    if (kind === 2) expected.remoteOnly.push(k);
    if (kind === 3) expected.different.push(k);
  });
  const sort = (xs: string[]) => xs.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return { a, b, expected: { localOnly: sort(expected.localOnly), remoteOnly: sort(expected.remoteOnly), different: sort(expected.different) } };
}

/** Repair as node.ts would: each side pushes localOnly ∪ different; the receiver merges (here: a joint digest). */
function repair(a: MerkleTree, b: MerkleTree, d: Diff): void {
  for (const k of d.localOnly) b.insert(k, a.get(k) as string);
  for (const k of d.remoteOnly) a.insert(k, b.get(k) as string);
  for (const k of d.different) {
    const merged = dg(`m${a.get(k)}${b.get(k)}`.slice(0, 16));
    a.insert(k, merged);
    b.insert(k, merged);
  }
}

describe('exchange', () => {
  it('equal trees: one round trip, nothing differs', () => {
    const { a, b } = pair(Array.from({ length: 500 }, (_, i) => `k${i}`), [0], {});
    const r = run(a, b);
    expect(r.payloads).toBe(2);
    expect(r.a.done && r.b.done).toBe(true);
    expect(r.a.diff).toEqual({ localOnly: [], remoteOnly: [], different: [] });
    expect(r.b.diff).toEqual(r.a.diff);
  });

  it('two empty trees, and an empty tree against a full one', () => {
    expect(run(new MerkleTree(), new MerkleTree()).a.diff).toEqual({ localOnly: [], remoteOnly: [], different: [] });
    const { a, b, expected } = pair(Array.from({ length: 400 }, (_, i) => `k${i}`), [2], {});
    const r = run(a, b);
    expect(r.a.diff).toEqual(expected);
    expect(r.b.diff).toEqual(mirror(expected));
    const back = run(b, a);
    expect(back.a.diff).toEqual(mirror(expected));
  });

  it('a small partition is settled in one round trip', () => {
    const { a, b, expected } = pair(Array.from({ length: 12 }, (_, i) => `k${i}`), [0, 1, 2, 3], {});
    const r = run(a, b);
    expect(r.payloads).toBe(2);
    expect(r.a.diff).toEqual(expected);
    expect(r.b.diff).toEqual(mirror(expected));
  });

  it('one difference among 5,000 keys costs a few round trips and a few KB', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `cart:user-${i}`);
    const kinds = keys.map((_, i) => (i === 1234 ? 3 : 0));
    const { a, b, expected } = pair(keys, kinds, {});
    const r = run(a, b);
    expect(r.a.diff).toEqual(expected);
    expect(r.a.diff?.different).toEqual(['cart:user-1234']);
    expect(r.rounds).toBeLessThanOrEqual(5);
    expect(r.chars).toBeLessThan(8000);
  });

  it('many differences are chunked under the payload budget, long keys included', () => {
    const keys = Array.from({ length: 3000 }, (_, i) => `${i % 7 === 0 ? 'L'.repeat(1000) : 'k'}-${i}`);
    const { a, b, expected } = pair(keys, [0, 1, 2, 3, 2, 2], {});
    for (const opts of [{}, { leafKeys: 200 }, { leafKeys: 4000 }]) {
      const r = run(a, b, opts);
      expect(r.maxChars).toBeLessThanOrEqual(MAX_PAYLOAD_CHARS);
      expect(r.payloads).toBeGreaterThan(r.rounds); // some rounds took several parts
      expect(r.a.diff).toEqual(expected);
      expect(r.b.diff).toEqual(mirror(expected));
    }
  });

  it('duplicated and reordered payloads change nothing', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`);
    const { a, b, expected } = pair(keys, [0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 0], { fanoutBits: 2, depth: 5 });
    const dupRev = (ps: ExchangePayload[]) => [...ps, ...ps].reverse();
    const r = run(a, b, {}, { shuffle: dupRev });
    expect(r.a.diff).toEqual(expected);
    expect(r.b.diff).toEqual(mirror(expected));
  });

  // riak_core hashtree_eqc in our terms: random keys split into same / only local / only remote /
  // different; the exchange finds exactly those sets on both sides; after repairing both ways the
  // next exchange finds nothing and the roots are equal.
  it('finds exactly the differing keys, and nothing after repair (property)', () => {
    const cfg = fc
      .record({ fanoutBits: fc.integer({ min: 1, max: 4 }), depth: fc.integer({ min: 1, max: 4 }) })
      .filter((c) => c.fanoutBits * c.depth <= 16);
    const opts = fc.record({ leafKeys: fc.integer({ min: 0, max: 24 }), batchHashes: fc.integer({ min: 0, max: 600 }) });
    const keys = fc.uniqueArray(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), { maxLength: 250 });
    const kinds = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(cfg, opts, keys, kinds, (c, o, ks, kd) => {
        const { a, b, expected } = pair(ks, kd, c);
        const r = run(a, b, o);
        expect(r.a.error).toBeNull();
        expect(r.b.error).toBeNull();
        expect(r.a.diff).toEqual(expected);
        expect(r.b.diff).toEqual(mirror(expected));
        repair(a, b, r.a.diff as Diff);
        const again = run(b, a, o);
        expect(again.a.diff).toEqual({ localOnly: [], remoteOnly: [], different: [] });
        expect(again.payloads).toBe(2);
        expect(toBase64Url(a.root())).toBe(toBase64Url(b.root()));
      }),
      { numRuns: 150 },
    );
  });

  it('diffPairs compares two pair lists', () => {
    expect(
      diffPairs(
        [['a', '1'], ['b', '2'], ['c', '3']],
        [['b', '2'], ['c', '4'], ['d', '5']],
      ),
    ).toEqual({ localOnly: ['a'], remoteOnly: ['d'], different: ['c'] });
  });
});

describe('refusals', () => {
  const big = () => pair(Array.from({ length: 300 }, (_, i) => `k${i}`), [0, 3], {});

  it('a config mismatch ends both sides with an error', () => {
    const a = new MerkleTree({ fanoutBits: 4, depth: 4 });
    const b = new MerkleTree({ fanoutBits: 4, depth: 3 });
    const sa = start(a);
    const sb = respond(b, sa.send[0] as ExchangePayload);
    expect(sb.done).toBe(true);
    expect(sb.error).toMatch(/config/);
    expect(sb.send[0]?.abort).toMatch(/config/);
    const back = receive(sa.session, a, validateExchangePayload(JSON.parse(JSON.stringify(sb.send[0]))) as ExchangePayload);
    expect(back.done).toBe(true);
    expect(back.error).toMatch(/peer aborted/);
    expect(back.diff).toBeNull();
  });

  it('protocol violations abort instead of throwing', () => {
    const { a, b } = big();
    const first = start(a).send[0] as ExchangePayload;
    const cases: ExchangePayload[] = [
      { ...first, r: 2 },
      { ...first, cfg: undefined },
      { ...first, items: [{ d: 0, i: 0, l: 1, m: 'AAAA', h: '' }] }, // bitmap of 3 bytes, not 2
      { ...first, items: [{ d: 0, i: 0, l: 1, m: '__8', h: '' }] }, // bits set, no hashes
      { ...first, items: [{ d: 0, i: 0, l: 9, m: 'AA', h: '' }] }, // deeper than the tree
      { ...first, items: [{ d: 1, i: 99, l: 1, m: 'AAA', h: '' }] }, // no such node
      { ...first, items: [{ d: 4, i: 0, k: [['k1', dg('x')]] }] }, // k1 is not in segment 0 (almost surely)
      { ...first, items: [{ d: 0, i: 0, k: [['k1', dg('x')], ['k1', dg('y')]] }] }, // repeated key
    ];
    for (const bad of cases) {
      const s = respond(b, bad);
      expect(s.done, JSON.stringify(bad).slice(0, 120)).toBe(true);
      expect(s.error).not.toBeNull();
      expect(s.send).toHaveLength(1);
      expect(s.send[0]?.abort).toBeTypeOf('string');
    }
  });

  it('a finished session ignores further payloads', () => {
    const { a, b } = big();
    const r = run(a, b);
    const late = receive(r.a.session as Session, a, start(a).send[0] as ExchangePayload);
    expect(late.send).toEqual([]);
    expect(late.diff).toEqual(r.a.diff);
  });

  it('the validators never throw and reject malformed payloads', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        expect(() => validateExchangePayload(x)).not.toThrow();
        expect(() => validateHashesItem(x)).not.toThrow();
        expect(() => validateKeysItem(x)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
    const ok: ExchangePayload = { v: 1, r: 0, n: 0, of: 1, cfg: [4, 4], items: [{ d: 0, i: 0, k: [['k', dg('a')]] }], mine: ['x'] };
    expect(validateExchangePayload(ok)).toEqual(ok);
    const bad: unknown[] = [
      null,
      'payload',
      { ...ok, v: 2 },
      { ...ok, r: -1 },
      { ...ok, r: 1.5 },
      { ...ok, n: 1 },
      { ...ok, of: 0 },
      { ...ok, cfg: [4] },
      { ...ok, cfg: [0, 4] },
      { ...ok, items: 'x' },
      { ...ok, items: [{}] },
      { ...ok, items: [{ d: 0, i: 0, k: [['k', 'short']] }] },
      { ...ok, items: [{ d: 0, i: 0, k: [['', dg('a')]] }] },
      { ...ok, items: [{ d: 0, i: 0, k: [['k'.repeat(1025), dg('a')]] }] },
      { ...ok, items: [{ d: -1, i: 0, k: [] }] },
      { ...ok, items: [{ d: 0, i: 0, l: 1, m: '!!', h: '' }] },
      { ...ok, items: [{ d: 0, i: 0, l: 1, m: 'AA', h: 'AAAA' }] }, // 3 bytes: not whole hashes
      { ...ok, items: [{ d: 0, i: 0, l: 0, m: 'AA', h: '' }] },
      { ...ok, items: [{ d: 0, i: 0, l: 1, m: 'AA', h: '', k: [] }] },
      { ...ok, items: Array.from({ length: 4097 }, () => ({ d: 0, i: 0, k: [] })) },
      { ...ok, mine: [1] },
      { ...ok, yours: 'k' },
      { ...ok, both: Array.from({ length: 16385 }, () => 'k') },
      { ...ok, abort: 7 },
      { ...ok, items: Array.from({ length: 100 }, (_, j) => ({ d: 0, i: 0, k: Array.from({ length: 30 }, (_, n) => [`${j}-${n}`.padEnd(40, 'x'), dg('a')]) })) }, // > 64 KiB
    ];
    for (const x of bad) expect(validateExchangePayload(x), JSON.stringify(x).slice(0, 100)).toBeNull();
  });
});
