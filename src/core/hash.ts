// Key hashing for consistent hashing: MurmurHash3 x86_32 over UTF-8, and key → partition (paper §4.2, §6.2).
//
// Public API
//   murmur3(bytes: Uint8Array, seed?: number): number     MurmurHash3_x86_32, unsigned 32-bit result
//   utf8(s: string): Uint8Array                            WHATWG UTF-8 (lone surrogates → U+FFFD)
//   hashKey(key: string): number                           murmur3(utf8(key), HASH_SEED)
//   utf8Length(s: string): number                          utf8(s).length, computed without encoding
//   partitionOf(key: string, q: number): number            the partition (0..q-1) holding `key`
//   partitionOfHash(hash: number, q: number): number       same, from a precomputed hash
//   assertPartitionCount(q: number): void                  RangeError unless protocol/ring.isPartitionCount
//   HASH_SEED
//
// Why MurmurHash3 and not MD5 (the paper's choice) or SHA-256: the hash runs on every get and put,
// and all it has to do is place keys uniformly; it need not resist an adversary, since keys come from
// the application, not from strangers. MurmurHash3 is a few lines of Math.imul, identical in every
// engine, synchronous (WebCrypto's digest is async), and well studied for distribution (SMHasher).
// Merkle trees (merkle.ts) use SHA-256 separately, where a collision would hide a divergence.
//
// Why our own UTF-8 encoder: it keeps the core free of platform APIs and pins the byte sequence
// (including lone surrogates, which TextEncoder and Node's Buffer both map to U+FFFD, as we do).

import { isPartitionCount, MAX_Q, MIN_Q } from './protocol/ring';

/** Fixed forever: changing it re-homes every key. 0 so that published test vectors apply. */
export const HASH_SEED = 0;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** The per-block key mix, shared by full blocks and the tail. */
function mixK(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C1), 15), C2);
}

/** Final avalanche: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3_x86_32 (Austin Appleby, public domain). Blocks are read little-endian. */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  return murmur3Of(bytes.length, (i) => bytes[i]!, seed);
}

/** MurmurHash3_x86_32 over `len` bytes, the i-th given by `byteAt(i)`. */
function murmur3Of(len: number, byteAt: (i: number) => number, seed: number): number {
  const blocks = len & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    const k = byteAt(i) | (byteAt(i + 1) << 8) | (byteAt(i + 2) << 16) | (byteAt(i + 3) << 24);
    h ^= mixK(k);
    h = rotl32(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest > 0) {
    let k = 0;
    if (rest === 3) k ^= byteAt(blocks + 2) << 16;
    if (rest >= 2) k ^= byteAt(blocks + 1) << 8;
    k ^= byteAt(blocks);
    h ^= mixK(k);
  }
  return fmix32(h ^ len);
}

/** Encodes `s` as UTF-8 exactly as TextEncoder does: unpaired surrogates become U+FFFD. */
export function utf8(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 3); // a UTF-16 unit never needs more than 3 bytes
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    n = putCodePoint(out, n, c);
  }
  return out.subarray(0, n);
}

function putCodePoint(out: Uint8Array, n: number, c: number): number {
  if (c < 0x80) {
    out[n++] = c;
  } else if (c < 0x800) {
    out[n++] = 0xc0 | (c >> 6);
    out[n++] = 0x80 | (c & 0x3f);
  } else if (c < 0x10000) {
    out[n++] = 0xe0 | (c >> 12);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  } else {
    out[n++] = 0xf0 | (c >> 18);
    out[n++] = 0x80 | ((c >> 12) & 0x3f);
    out[n++] = 0x80 | ((c >> 6) & 0x3f);
    out[n++] = 0x80 | (c & 0x3f);
  }
  return n;
}

/** The position of `key` on the 32-bit hash ring. */
export function hashKey(key: string): number {
  return isAscii(key) ? murmur3Ascii(key, HASH_SEED) : murmur3(utf8(key), HASH_SEED);
}

/**
 * murmur3 over an ASCII string's char codes, which are its UTF-8 bytes. Why: keys are hashed on
 * every request, and allocating a byte array per hash was a visible cost of the simulator.
 */
function murmur3Ascii(s: string, seed: number): number {
  return murmur3Of(s.length, (i) => s.charCodeAt(i), seed);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The length of utf8(s) in bytes, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair: one code point above U+FFFF
      i++;
    } else n += 3; // the rest of the BMP, and a lone surrogate as U+FFFD
  }
  return n;
}

export function assertPartitionCount(q: number): void {
  if (!isPartitionCount(q)) {
    throw new RangeError(`partition count must be a power of two in [${MIN_Q}, ${MAX_Q}], got ${q}`);
  }
}

/**
 * The partition of a hash: its top log2(q) bits. Top bits, not `hash % q`, so that partition p is the
 * contiguous range [p·2³²/q, (p+1)·2³²/q) of the ring: Q equal ranges, as strategy 3 prescribes, and
 * doubling Q later would split every partition in two in place.
 */
export function partitionOfHash(hash: number, q: number): number {
  assertPartitionCount(q);
  const bits = 31 - Math.clz32(q);
  // `x >>> 32` is `x >>> 0` in JavaScript (shift counts are mod 32), so Q = 1 needs its own case.
  return bits === 0 ? 0 : (hash >>> 0) >>> (32 - bits);
}

/** The partition (0..q-1) that holds `key`; q must be a power of two. */
export function partitionOf(key: string, q: number): number {
  return partitionOfHash(hashKey(key), q);
}
