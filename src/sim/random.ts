// Seeded randomness for the simulator: sfc32 (Chris Doty-Humphrey's Small Fast Counting PRNG, from
// PractRand) with its 128-bit state expanded from a 32/53-bit seed by splitmix32.
//
// Public API:
//   seededRandom(seed: number)        -> SeededRandom   (implements the Random port)
//   rng.seed                          -> number         (the seed it was built from, for reports)
//   rng.next()                        -> float in [0, 1)
//   rng.uint32()                      -> integer in [0, 2^32)
//   rng.int(n)                        -> integer in [0, n)
//   rng.pick(arr)                     -> one element (throws on an empty array)
//   rng.chance(p)                     -> true with probability p
//   rng.shuffle(arr)                  -> arr, shuffled in place (Fisher–Yates)
//   rng.fork(label)                   -> an independent stream named by `label`
//
// Why forks: a simulation draws from many places (network delays, workload, fault schedule). If they
// shared one stream, adding one draw in the workload would shift every network delay after it, and a
// seed would stop reproducing the run it reported. A fork's stream depends only on its parent's seed
// and its label, never on how much the parent (or any sibling) has drawn, so consumers are isolated.
// The same label on the same parent gives the same stream: labels name streams, so use distinct ones.

import type { Random } from '../ports/random';

export interface SeededRandom extends Random {
  /** The seed this stream was built from (a fork reports its derived seed). */
  readonly seed: number;
  next(): number;
  uint32(): number;
  int(n: number): number;
  pick<T>(arr: readonly T[]): T;
  chance(p: number): boolean;
  shuffle<T>(arr: T[]): T[];
  fork(label: string): SeededRandom;
}

const TWO_POW_32 = 4294967296;

export function seededRandom(seed: number): SeededRandom {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  return new Sfc32(foldSeed(seed), seed);
}

class Sfc32 implements SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(
    private readonly key: number,
    readonly seed: number,
  ) {
    const mix = splitmix32(key);
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    // sfc32's author recommends discarding the first outputs so nearby seeds decorrelate.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.uint32() / TWO_POW_32;
  }

  int(n: number): number {
    if (!(n > 0) || !Number.isInteger(n)) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    // Multiply-shift: bias is at most n / 2^32, far below what a simulation can notice.
    return Math.floor(this.next() * n);
  }

  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new RangeError('pick() from an empty array');
    return arr[this.int(arr.length)] as T;
  }

  chance(p: number): boolean {
    // p <= 0 and p >= 1 still draw, so the stream's position never depends on the probability.
    return this.next() < p;
  }

  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i] as T;
      arr[i] = arr[j] as T;
      arr[j] = tmp;
    }
    return arr;
  }

  fork(label: string): SeededRandom {
    const key = splitmix32((this.key ^ fnv1a(label)) >>> 0)();
    return new Sfc32(key, key);
  }
}

/** Folds any finite number (integers up to 2^53, negatives, fractions) into 32 bits, losslessly for uint32. */
function foldSeed(seed: number): number {
  if (Number.isInteger(seed) && seed >= 0 && seed < TWO_POW_32) return seed;
  const hi = Math.floor(seed / TWO_POW_32);
  const lo = seed - hi * TWO_POW_32;
  return (splitmix32(hi >>> 0)() ^ Math.floor(lo) ^ fnv1a(String(seed))) >>> 0;
}

/** splitmix32: a Weyl sequence through a strong mixer; turns a small seed into well-spread state words. */
function splitmix32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let t = s ^ (s >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

/** FNV-1a over UTF-16 code units: a label hash that is stable across runs and platforms. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
