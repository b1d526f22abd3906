// Tests for core/merkle.ts: digests, incremental upkeep vs building from scratch, levels, persistence.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MerkleTree, SEGMENT_SEED, ZERO_HASH, bytesEqual, digestOf } from '../../src/core/merkle';
import { fromBase64Url, toBase64Url } from '../../src/core/protocol/base64url';
import { DIGEST_CHARS, isSetDigest } from '../../src/core/protocol/wire';
import type { MerkleConfig } from '../../src/core/merkle';
import * as versions from '../../src/core/versions';
import { murmur3, utf8 } from '../../src/core/hash';
import { emptyContext } from '../../src/core/context';

const dg = (s: string): string => toBase64Url(new TextEncoder().encode(s.padEnd(16, '.').slice(0, 16)));

function build(pairs: Iterable<readonly [string, string]>, cfg: Partial<MerkleConfig> = {}): MerkleTree {
  const t = new MerkleTree(cfg);
  for (const [k, d] of pairs) t.insert(k, d);
  return t;
}

/** Every node hash of every level (deep comparison of two trees). */
function allHashes(t: MerkleTree): string[] {
  const out: string[] = [];
  for (let d = 0; d <= t.depth; d++) {
    const idx = Array.from({ length: t.width(d) }, (_, i) => i);
    out.push(...t.level(d, idx).map(toBase64Url));
  }
  return out;
}

describe('digestOf', () => {
  const a = versions.put(versions.empty(), { coordinator: 'n1', context: emptyContext(), value: { x: 1, y: [1, 2] }, now: 5 }).set;
  const b = versions.put(a, { coordinator: 'n2', context: emptyContext(), value: 'other', now: 6 }).set;

  it('is 22 base64url chars (16 bytes) and stable for equal sets', () => {
    const d = digestOf(a);
    expect(d).toHaveLength(DIGEST_CHARS);
    expect(isSetDigest(d)).toBe(true);
    expect(fromBase64Url(d)).toHaveLength(16);
    expect(digestOf(versions.fromJson(JSON.parse(JSON.stringify(versions.toJson(a)))))).toBe(d);
    expect(digestOf(versions.merge(a, a))).toBe(d);
  });

  it('differs for different sets, and merge order does not matter', () => {
    expect(digestOf(a)).not.toBe(digestOf(b));
    expect(digestOf(versions.empty())).not.toBe(digestOf(a));
    expect(digestOf(versions.merge(a, b))).toBe(digestOf(versions.merge(b, a)));
  });
});

describe('base64url', () => {
  it('round-trips every length and rejects non-canonical input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        const s = toBase64Url(bytes);
        expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
        const back = fromBase64Url(s);
        expect(back).not.toBeNull();
        expect(bytesEqual(back as Uint8Array, bytes)).toBe(true);
      }),
    );
    expect(fromBase64Url('A')).toBeNull();
    expect(fromBase64Url('AQ')).not.toBeNull();
    expect(fromBase64Url('AB')).toBeNull(); // stray low bits: not the canonical encoding
    expect(fromBase64Url('a+b/')).toBeNull();
    expect(fromBase64Url('ab=')).toBeNull();
    expect(isSetDigest('A'.repeat(22))).toBe(true);
    expect(isSetDigest('A'.repeat(21) + 'B')).toBe(false);
    expect(isSetDigest('A'.repeat(23))).toBe(false);
  });
});

describe('MerkleTree', () => {
  it('an empty tree has the zero root; insert changes it; remove restores it', () => {
    const t = new MerkleTree();
    expect(t.segments).toBe(65536);
    expect(t.fanout).toBe(16);
    expect(bytesEqual(t.root(), ZERO_HASH)).toBe(true);
    expect(t.insert('a', dg('1'))).toBe(true);
    const r1 = t.root();
    expect(bytesEqual(r1, ZERO_HASH)).toBe(false);
    expect(t.insert('a', dg('1'))).toBe(false); // same digest: no change, nothing dirty
    expect(t.dirtyCount()).toBe(0);
    expect(t.insert('a', dg('2'))).toBe(true);
    expect(bytesEqual(t.root(), r1)).toBe(false);
    expect(t.remove('a')).toBe(true);
    expect(t.remove('a')).toBe(false);
    expect(bytesEqual(t.root(), ZERO_HASH)).toBe(true);
    expect(t.size).toBe(0);
    expect(t.count(0, 0)).toBe(0);
  });

  it('counts, segmentKeys and keysUnder agree with the inserted pairs', () => {
    const pairs = Array.from({ length: 300 }, (_, i) => [`key-${i}`, dg(`v${i}`)] as const);
    const t = build(pairs, { fanoutBits: 2, depth: 3 });
    expect(t.count(0, 0)).toBe(300);
    let sum = 0;
    for (let s = 0; s < t.segments; s++) {
      const keys = t.segmentKeys(s);
      expect(keys.length).toBe(t.count(t.depth, s));
      for (const [k, d] of keys) {
        expect(t.segmentOf(k)).toBe(s);
        expect(t.get(k)).toBe(d);
      }
      expect(keys.map(([k]) => k)).toEqual([...keys.map(([k]) => k)].sort());
      sum += keys.length;
    }
    expect(sum).toBe(300);
    for (let i = 0; i < 4; i++) expect(t.keysUnder(1, i).length).toBe(t.count(1, i));
    expect(t.keysUnder(0, 0)).toEqual([...pairs].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, d]) => [k, d]));
  });

  it('empty nodes hash to zero and non-empty ones do not', () => {
    const t = build([['only', dg('x')]], { fanoutBits: 2, depth: 2 });
    const s = t.segmentOf('only');
    for (let i = 0; i < t.segments; i++) expect(bytesEqual(t.hash(2, i), ZERO_HASH)).toBe(i !== s);
    expect(() => t.hash(3, 0)).toThrow(RangeError);
    expect(() => t.hash(1, 4)).toThrow(RangeError);
  });

  it('segmentOf is MurmurHash3 of the UTF-8 key; lone surrogates stay distinct', () => {
    const t = new MerkleTree({ fanoutBits: 4, depth: 4 });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), (k) => {
        expect(t.segmentOf(k)).toBe(murmur3(utf8(k), SEGMENT_SEED) >>> 16);
      }),
      { numRuns: 500 },
    );
    expect(t.segmentOf('caf\u00e9 \ud83d\ude00')).toBe(murmur3(utf8('caf\u00e9 \ud83d\ude00'), SEGMENT_SEED) >>> 16);
    // UTF-8 maps both to U+FFFD; the tree must not, or two different keys would hash alike.
    const a = build([['x\ud800', dg('1')]], { fanoutBits: 1, depth: 1 });
    const b = build([['x\ufffd', dg('1')]], { fanoutBits: 1, depth: 1 });
    expect(bytesEqual(a.root(), b.root())).toBe(false);
    expect(() => t.insert('', dg('x'))).toThrow(RangeError);
    expect(() => t.insert('k', '')).toThrow(RangeError);
  });

  it('rejects bad configs', () => {
    expect(() => new MerkleTree({ fanoutBits: 0 })).toThrow(RangeError);
    expect(() => new MerkleTree({ fanoutBits: 9 })).toThrow(RangeError);
    expect(() => new MerkleTree({ depth: 0 })).toThrow(RangeError);
    expect(() => new MerkleTree({ fanoutBits: 8, depth: 4 })).toThrow(RangeError);
    expect(() => new MerkleTree({ depth: 1.5 })).toThrow(RangeError);
  });

  it('refresh(budget) spreads the hashing and ends with the same root', () => {
    const pairs = Array.from({ length: 2000 }, (_, i) => [`k${i}`, dg(`${i}`)] as const);
    const a = build(pairs);
    const b = build(pairs);
    expect(b.dirtyCount()).toBeGreaterThan(2000);
    let calls = 0;
    while (!b.refresh(100)) calls++;
    expect(calls).toBeGreaterThan(10);
    expect(b.dirtyCount()).toBe(0);
    expect(bytesEqual(a.root(), b.root())).toBe(true);
  });

  it('toJSON / fromJSON round-trips; bad input gives null', () => {
    const t = build(Array.from({ length: 50 }, (_, i) => [`k${i}`, dg(`${i}`)] as const), { fanoutBits: 3, depth: 3 });
    const back = MerkleTree.fromJSON(JSON.parse(JSON.stringify(t)));
    expect(back).not.toBeNull();
    expect(back?.config).toEqual({ fanoutBits: 3, depth: 3 });
    expect(bytesEqual((back as MerkleTree).root(), t.root())).toBe(true);
    const good = t.toJSON();
    for (const bad of [
      null,
      42,
      [],
      { ...good, v: 2 },
      { ...good, depth: 0 },
      { ...good, fanoutBits: 'x' },
      { ...good, entries: [['k', 'not a digest']] },
      { ...good, entries: [['', dg('a')]] },
      { ...good, entries: [['k', dg('a')], ['k', dg('b')]] },
      { ...good, entries: [['k']] },
      { ...good, entries: 'nope' },
    ]) {
      expect(MerkleTree.fromJSON(bad)).toBeNull();
    }
  });

  // The property: whatever sequence of inserts, updates and removes (with root reads in between, to
  // exercise lazy recomputation), the tree equals one built from scratch from the final state, in
  // another order, at every node.
  it('incremental insert/remove equals a build from scratch (property)', () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('put' as const), k: fc.integer({ min: 0, max: 40 }), v: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ t: fc.constant('read' as const) }),
    );
    const cfg = fc.record({ fanoutBits: fc.integer({ min: 1, max: 4 }), depth: fc.integer({ min: 1, max: 3 }) });
    fc.assert(
      fc.property(cfg, fc.array(op, { maxLength: 120 }), (c, ops) => {
        const t = new MerkleTree(c);
        const model = new Map<string, string>();
        for (const o of ops) {
          if (o.t === 'put') {
            t.insert(`key:${o.k}`, dg(`v${o.v}`));
            model.set(`key:${o.k}`, dg(`v${o.v}`));
          } else if (o.t === 'del') {
            t.remove(`key:${o.k}`);
            model.delete(`key:${o.k}`);
          } else {
            t.root();
          }
        }
        const scratch = build([...model].reverse(), c);
        expect(t.size).toBe(model.size);
        expect(toBase64Url(t.root())).toBe(toBase64Url(scratch.root()));
        expect(allHashes(t)).toEqual(allHashes(scratch));
        expect(t.keysUnder(0, 0)).toEqual(scratch.keysUnder(0, 0));
        expect(t.dirtyCount()).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('different contents give different roots (property, small trees)', () => {
    const key = fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }));
    const entries = fc.uniqueArray(fc.tuple(key, fc.integer({ min: 0, max: 2 })), {
      selector: ([k]) => k,
      maxLength: 20,
    });
    fc.assert(
      fc.property(entries, entries, (a, b) => {
        const ta = build(a.map(([k, v]) => [k, dg(`${v}`)] as const), { fanoutBits: 2, depth: 2 });
        const tb = build(b.map(([k, v]) => [k, dg(`${v}`)] as const), { fanoutBits: 2, depth: 2 });
        const same = JSON.stringify(ta.keysUnder(0, 0)) === JSON.stringify(tb.keysUnder(0, 0));
        expect(bytesEqual(ta.root(), tb.root())).toBe(same);
      }),
      { numRuns: 300 },
    );
    // 2-6 s alone; a loaded 2-core machine running the whole suite took it past the 20 s default.
  }, 90_000);
});
