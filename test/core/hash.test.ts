// Tests for core/hash.ts: MurmurHash3 x86_32 vectors, UTF-8 encoding, partition mapping (paper §4.2, §6.2).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  HASH_SEED,
  assertPartitionCount,
  hashKey,
  murmur3,
  partitionOf,
  partitionOfHash,
  utf8,
} from '../../src/core/hash';
import { isPartitionCount, MAX_Q } from '../../src/core/protocol/ring';

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));

describe('murmur3 (MurmurHash3_x86_32)', () => {
  // Published vectors: SMHasher-derived lists used by mmh3, Bitcoin Core, Ian Boyd's set (SO 31929528).
  it.each([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['', 0xfba4c795, 0x6a396f08],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['aa', 0x9747b28c, 0x5d211726],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['ab', 0x9747b28c, 0x74875592],
    ['abc', 0x9747b28c, 0xc84a62dd],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['abc', 0, 0xb3dd93fa],
    ['hello', 0, 0x248bfa47],
    ['foo', 0, 4138058784],
    ['test', 0, 0xba6bd213],
    ['test', 0x9747b28c, 0x704b81dc],
    ['Hello, world!', 0, 0xc0363e43],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', 0, 0xee925b90],
    ['a'.repeat(256), 0x9747b28c, 0x37405bdc],
  ])('%j seed %i', (input, seed, expected) => {
    expect(murmur3(ascii(input), seed)).toBe(expected);
  });

  it.each([
    ['00', 0, 0x514e28b7],
    ['0000', 0, 0x30f4c306],
    ['000000', 0, 0x85f0b427],
    ['00000000', 0, 0x2362f9de],
    ['21436587', 0, 0xf55b516b],
    ['00', 0xfba4c795, 0xea3f0b17],
  ])('bytes %s seed %i', (input, seed, expected) => {
    expect(murmur3(hex(input), seed)).toBe(expected);
  });

  it('hashes multibyte UTF-8 keys by their bytes (published vector for "ππππππππ")', () => {
    expect(murmur3(utf8('ππππππππ'), 0x9747b28c)).toBe(0xd58063c1);
  });

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer(), (bytes, seed) => {
        const h = murmur3(bytes, seed);
        return Number.isInteger(h) && h >= 0 && h <= 0xffffffff;
      }),
    );
  });
});

describe('utf8', () => {
  const anyUnit = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), // lone surrogates
  );

  it('matches TextEncoder and Buffer byte for byte, lone surrogates included', () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(fc.array(anyUnit, { maxLength: 20 }).map((parts) => parts.join('')), (s) => {
        const ours = utf8(s);
        expect(ours).toEqual(encoder.encode(s));
        expect(Buffer.from(ours).equals(Buffer.from(s, 'utf8'))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('encodes 1-, 2-, 3- and 4-byte code points', () => {
    expect([...utf8('a\u00e9\u20ac\u{1f600}')]).toEqual([
      0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80,
    ]);
    expect([...utf8('\ud800x')]).toEqual([0xef, 0xbf, 0xbd, 0x78]);
  });
});

describe('hashKey', () => {
  it('is murmur3 of the UTF-8 bytes with the fixed seed 0', () => {
    expect(HASH_SEED).toBe(0);
    expect(hashKey('hello')).toBe(0x248bfa47);
    expect(hashKey('')).toBe(0);
    expect(hashKey('ππππ')).toBe(murmur3(Buffer.from('ππππ', 'utf8'), 0));
  });

  it('hashes ASCII keys (the fast path, no byte array) exactly as their UTF-8 bytes, for every tail length', () => {
    for (let len = 0; len <= 40; len++) {
      const key = Array.from({ length: len }, (_, i) => String.fromCharCode(32 + ((i * 37 + len) % 95))).join('');
      expect(hashKey(key)).toBe(murmur3(Buffer.from(key, 'utf8'), 0));
    }
  });

  it('distinguishes keys that differ only in normalization-sensitive or multibyte characters', () => {
    expect(hashKey('caf\u00e9')).not.toBe(hashKey('cafe\u0301'));
    expect(hashKey('cart:\u{1f6d2}')).not.toBe(hashKey('cart:\u{1f6d3}'));
  });
});

describe('partitionOf', () => {
  it('takes the top log2(q) bits so partitions are equal contiguous hash ranges', () => {
    expect(partitionOfHash(0, 256)).toBe(0);
    expect(partitionOfHash(0xffffffff, 256)).toBe(255);
    expect(partitionOfHash(0x01000000, 256)).toBe(1);
    expect(partitionOfHash(0x00ffffff, 256)).toBe(0);
    expect(partitionOfHash(0x80000000, 2)).toBe(1);
    expect(partitionOfHash(0xffffffff, 1)).toBe(0); // the `>>> 32` trap
    expect(partitionOfHash(0xffffffff, MAX_Q)).toBe(MAX_Q - 1);
    expect(partitionOf('hello', 256)).toBe(0x24); // 0x248bfa47
  });

  it('is in range and halves cleanly when q doubles (partition p splits into 2p and 2p+1)', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 15 }), (key, bits) => {
        const q = 2 ** bits;
        const p = partitionOf(key, q);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(q);
        expect(partitionOf(key, q * 2) >> 1).toBe(p);
      }),
    );
  });

  it('spreads 100k keys over 256 partitions about uniformly', () => {
    const q = 256;
    const keys = 100_000;
    const counts = new Array<number>(q).fill(0);
    for (let i = 0; i < keys; i++) counts[partitionOf(`cart:user-${i}`, q)]!++;
    const expected = keys / q; // 390.6; a partition's count has sd ≈ 19.7
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 255 degrees of freedom: mean 255, sd ≈ 22.6. 400 is > 6 sd out, so only a broken hash fails.
    expect(chi2).toBeLessThan(400);
    expect(Math.max(...counts) / Math.min(...counts)).toBeLessThan(1.5);
  });

  it('validates q: a power of two in [1, 65536]', () => {
    for (const q of [1, 2, 256, 65536]) expect(isPartitionCount(q)).toBe(true);
    for (const q of [0, 3, 255, 131072, -2, 2.5, NaN, Infinity, '256']) expect(isPartitionCount(q)).toBe(false);
    expect(() => assertPartitionCount(100)).toThrow(RangeError);
    expect(() => partitionOf('k', 0)).toThrow(RangeError);
  });
});
