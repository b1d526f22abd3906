// Merkle trees for anti-entropy (paper §4.7): one tree per ring partition over (key, digest of the
// key's sibling set), so two replicas find what differs by comparing hashes top-down instead of
// shipping every key. The exchange itself is in antientropy-exchange.ts.
//
// Public API
//   digestOf(set: SiblingSet): Digest          16-byte SHA-256 of versions.digestInput(set), base64url
//   new MerkleTree(config?: Partial<MerkleConfig>)   { fanoutBits: 4, depth: 4 } by default
//   .insert(key, digest): boolean              add or update a key; false if nothing changed   O(depth)
//                                              (RangeError for an empty key or digest)
//   .remove(key): boolean                      false if absent                                  O(depth)
//   .get(key): Digest | undefined   .has(key)   .size   .keys()   .config   .width(depth)
//   .root(): Uint8Array                        the root hash (recomputes dirty nodes first)
//   .hash(depth, index) / .level(depth, indexes) node hashes (16 bytes; all zero = empty subtree)
//   .count(depth, index): number               keys under a node
//   .segmentOf(key): number                    the leaf segment a key hashes to
//   .segmentKeys(segment) / .keysUnder(depth, index): Array<[key, digest]> sorted by key
//   .refresh(budget): boolean                  recompute at most `budget` dirty hashes, bottom-up;
//                                              true when the tree is clean (spread work over ticks)
//   .dirtyCount(): number
//   .toJSON(): MerkleTreeJson   MerkleTree.fromJSON(x: unknown): MerkleTree | null   (persistence)
//   ZERO_HASH, DEFAULT_MERKLE_CONFIG, MAX_SEGMENT_BITS, SEGMENT_SEED, bytesEqual(a, b)
//   (the digest's form, HASH_BYTES and base64url are the wire's: protocol/wire.ts, protocol/base64url.ts)
//
// Shape. Leaves are 2^(fanoutBits·depth) segments (default 16^4 = 65,536); a key's segment is the
// top bits of MurmurHash3 of the key with a seed other than the ring's (hash.ts), so the keys of one
// partition, which share the ring hash's top bits, still spread evenly over segments. Inner nodes
// have 2^fanoutBits children (default 16). Like riak_core's hashtree, a segment hashes its (key,
// digest) pairs in sorted key order, and an inner node hashes its children's hashes.
//
// Why so many segments, and fanout 16: the tree is sparse (only non-empty segments and nodes
// exist, and every node keeps its key count), so 65,536 segments cost nothing in a partition of a
// few hundred keys, while a partition of 100k keys still has ~1.5 keys per segment: a difference
// costs a handful of keys at the bottom, not the ~1,000 key hashes of Riak's 1M-segment-per-vnode
// trees. Small partitions are handled by the exchange, which ships a subtree's keys as soon as it
// holds at most a few (16) of them, so the effective depth adapts to the partition's size. Fanout
// 16 (as in Negentropy) sends 16 hashes per differing node per level: fanout 2 would need 4× the
// round trips for the same depth, fanout 256 16× the bytes per differing node. The exchange may
// batch two levels into one message (virtual fanout 256) when few nodes differ.
//
// Why a cryptographic hash (SHA-256, @noble/hashes) and not MurmurHash3 as for placement: a
// collision here is silent data loss of a kind — two replicas whose hashes collide look equal and
// are never repaired. A 32-bit hash gives 1 in 4 billion per comparison, which millions of periodic
// comparisons would reach; MurmurHash3 also has known seed-independent collisions. SHA-256 is
// synchronous in @noble/hashes (WebCrypto's digest is async), identical in every engine, and fast
// enough: hashing is lazy, once per dirty node, not per write.
//
// Why 16 bytes (128 bits) and not all 32: hashes and digests are truncated to 16 bytes in the tree
// and on the wire. Against accident (the honest case: replicas are our own code), the chance that
// two differing subtrees compare equal is 2^-128 per comparison; even 2^40 comparisons over the
// life of every ring leave it below 2^-88. Against a malicious writer crafting two sibling sets
// with equal digests, a birthday attack needs about 2^64 SHA-256 evaluations, far beyond a browser
// tab, and a peer that lies can corrupt data more simply anyway. 8 bytes would leave only 2^32 for
// the attacker, so we keep 16. An all-zero hash means "empty subtree"; a real hash is all zero with
// probability 2^-128.
//
// Why order-sensitive hashing of sorted keys, not an additive (XOR / sum) set hash: sums allow
// O(1) updates, but their collision resistance falls to generalized-birthday attacks (Wagner) at
// 128 bits; sorted hashing reduces to SHA-256 and costs little, since segments hold a few keys
// and a dirty segment is rehashed once however many writes it saw.
//
// Incremental upkeep: insert/remove update the key map, the segment and the counts on the path to
// the root, and mark that path dirty (stopping at the first node already dirty: a dirty node's
// ancestors are always dirty). Nothing is hashed until a hash is read (`root`, `hash`, `level`) or
// `refresh` is called, so a burst of writes costs one rehash per touched node, and building from
// storage is N inserts plus one pass of hashing, which `refresh(budget)` can spread over ticks.
// Writes during an exchange are fine: the exchange reads hashes as it goes, and a key written
// meanwhile is either reported as differing (harmless: repair merges) or caught by the next run.

import { sha256 } from '@noble/hashes/sha2.js';
import { murmur3, utf8 } from './hash';
import { toBase64Url } from './protocol/base64url';
import { HASH_BYTES, isSetDigest, type Digest } from './protocol/wire';
import { digestInput } from './versions';
import type { SiblingSet } from './versions';

/** The hash of an empty subtree (HASH_BYTES, kept of every SHA-256: see the header for why 16). */
export const ZERO_HASH: Uint8Array = new Uint8Array(HASH_BYTES);

export interface MerkleConfig {
  /** log2 of the fanout of inner nodes: 4 → 16 children. */
  fanoutBits: number;
  /** Levels below the root; segments = 2^(fanoutBits · depth). */
  depth: number;
}

export const DEFAULT_MERKLE_CONFIG: Readonly<MerkleConfig> = Object.freeze({ fanoutBits: 4, depth: 4 });
/** At most 2^24 segments (a segment index must fit the hash's 32 bits with room to spare). */
export const MAX_SEGMENT_BITS = 24;

/** Seed of the segment hash: anything but hash.ts's HASH_SEED (0), so segments are independent of partitions. */
export const SEGMENT_SEED = 0x5e9a_17d3;
const LEAF_TAG = 0x00;
const NODE_TAG = 0x01;

// ---- digests ---------------------------------------------------------------------------------------

/** The digest of a sibling set: equal logical sets (versions.equals) give equal digests. */
export function digestOf(set: SiblingSet): Digest {
  return toBase64Url(sha256(utf8(digestInput(set))).subarray(0, HASH_BYTES));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---- scratch buffers (hashing allocates nothing per key; the tree is single-threaded) -------------

let scratch: Uint8Array = new Uint8Array(4096);
let keyScratch: Uint8Array = new Uint8Array(1024);

function reserve(buf: Uint8Array, size: number): Uint8Array {
  if (buf.length >= size) return buf;
  const bigger = new Uint8Array(Math.max(size, buf.length * 2));
  bigger.set(buf);
  return bigger;
}

/**
 * Writes `s` at `at` as WTF-8 (UTF-8, except that a lone surrogate is encoded as its own 3-byte
 * sequence instead of U+FFFD): lossless, so distinct keys such as "\ud800" and "\ufffd" never hash
 * alike. Equals UTF-8 (hash.ts's utf8) for every well-formed string. Room for 3 bytes per UTF-16
 * unit must be reserved. Returns the byte count.
 */
function encodeInto(s: string, out: Uint8Array, at: number): number {
  let n = at;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 0x3f);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
        continue;
      }
    }
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return n - at;
}

// ---- the tree ----------------------------------------------------------------------------------------

interface Segment {
  /** Keys of this segment; sorted whenever `hash` is not null. */
  keys: string[];
  /** null = dirty. */
  hash: Uint8Array | null;
}

interface Inner {
  count: number;
  /** null = dirty. */
  hash: Uint8Array | null;
}

/** Persisted form: the (key, digest) pairs; hashes are recomputed on load (lazily, or by refresh). */
export interface MerkleTreeJson {
  v: 1;
  fanoutBits: number;
  depth: number;
  entries: Array<[string, Digest]>;
}

function checkConfig(c: MerkleConfig): void {
  const { fanoutBits, depth } = c;
  if (!Number.isInteger(fanoutBits) || fanoutBits < 1 || fanoutBits > 8) {
    throw new RangeError(`merkle: fanoutBits must be an integer in 1..8, got ${String(fanoutBits)}`);
  }
  if (!Number.isInteger(depth) || depth < 1 || fanoutBits * depth > MAX_SEGMENT_BITS) {
    throw new RangeError(`merkle: depth must be an integer >= 1 with fanoutBits·depth <= ${MAX_SEGMENT_BITS}, got ${String(depth)}`);
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class MerkleTree {
  readonly fanoutBits: number;
  readonly fanout: number;
  /** Levels below the root: the root is at depth 0, segments at depth `depth`. */
  readonly depth: number;
  readonly segments: number;

  private readonly entries = new Map<string, Digest>();
  private readonly segs = new Map<number, Segment>();
  /** inner[d] for d in 0..depth-1: the non-empty nodes of that level. */
  private readonly inner: Array<Map<number, Inner>> = [];
  /** dirty[d] for d in 0..depth: indexes whose hash is null. */
  private readonly dirty: Array<Set<number>> = [];
  private readonly segShift: number;

  constructor(config: Partial<MerkleConfig> = {}) {
    const c = { ...DEFAULT_MERKLE_CONFIG, ...config };
    checkConfig(c);
    this.fanoutBits = c.fanoutBits;
    this.fanout = 1 << c.fanoutBits;
    this.depth = c.depth;
    this.segments = 2 ** (c.fanoutBits * c.depth);
    this.segShift = 32 - c.fanoutBits * c.depth;
    for (let d = 0; d < this.depth; d++) this.inner.push(new Map());
    for (let d = 0; d <= this.depth; d++) this.dirty.push(new Set());
  }

  get config(): MerkleConfig {
    return { fanoutBits: this.fanoutBits, depth: this.depth };
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): Digest | undefined {
    return this.entries.get(key);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** The segment (leaf index, 0..segments-1) of `key`: MurmurHash3 of its WTF-8 (= UTF-8 if well-formed). */
  segmentOf(key: string): number {
    keyScratch = reserve(keyScratch, 3 * key.length);
    const n = encodeInto(key, keyScratch, 0);
    return murmur3(keyScratch.subarray(0, n), SEGMENT_SEED) >>> this.segShift;
  }

  /** Number of nodes at `depth` (fanout^depth). */
  width(depth: number): number {
    return 2 ** (this.fanoutBits * depth);
  }

  /** Adds or updates `key`; returns false (and marks nothing) when it already had this digest. */
  insert(key: string, digest: Digest): boolean {
    if (key.length === 0 || digest.length === 0 || digest.length > 255) throw new RangeError('merkle: empty key, or digest not 1..255 chars');
    const prev = this.entries.get(key);
    if (prev === digest) return false;
    this.entries.set(key, digest);
    const s = this.segmentOf(key);
    let seg = this.segs.get(s);
    if (seg === undefined) {
      seg = { keys: [], hash: null };
      this.segs.set(s, seg);
    }
    if (prev === undefined) {
      seg.keys.push(key);
      this.adjustCounts(s, +1);
    }
    this.markDirty(s);
    return true;
  }

  /** Removes `key`; returns false when it was absent. */
  remove(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    const s = this.segmentOf(key);
    const seg = this.segs.get(s) as Segment;
    const at = seg.keys.indexOf(key);
    const last = seg.keys.pop() as string;
    if (at < seg.keys.length) seg.keys[at] = last;
    if (seg.keys.length === 0) {
      this.segs.delete(s);
      this.dirty[this.depth]!.delete(s);
    } else {
      this.markDirty(s);
    }
    this.adjustCounts(s, -1);
    return true;
  }

  /** Keys under a node: a segment's key count at `depth`, the whole tree at 0. */
  count(depth: number, index: number): number {
    this.checkNode(depth, index);
    if (depth === this.depth) return this.segs.get(index)?.keys.length ?? 0;
    return this.inner[depth]!.get(index)?.count ?? 0;
  }

  root(): Uint8Array {
    this.refresh(Infinity);
    return this.hashAt(0, 0);
  }

  /** A node's hash (16 bytes; ZERO_HASH when the subtree is empty). Do not mutate the result. */
  hash(depth: number, index: number): Uint8Array {
    this.checkNode(depth, index);
    return this.hashAt(depth, index);
  }

  /** Hashes of the given nodes of one level. */
  level(depth: number, indexes: readonly number[]): Uint8Array[] {
    return indexes.map((i) => this.hash(depth, i));
  }

  /** The (key, digest) pairs of one segment, sorted by key. */
  segmentKeys(segment: number): Array<[string, Digest]> {
    return this.keysUnder(this.depth, segment);
  }

  /** Every (key, digest) pair under a node, sorted by key. */
  keysUnder(depth: number, index: number): Array<[string, Digest]> {
    this.checkNode(depth, index);
    const keys: string[] = [];
    this.collect(depth, index, keys);
    keys.sort(compareKeys);
    return keys.map((k) => [k, this.entries.get(k) as Digest]);
  }

  /** Number of hashes waiting to be recomputed. */
  dirtyCount(): number {
    let n = 0;
    for (const d of this.dirty) n += d.size;
    return n;
  }

  /**
   * Recomputes at most `budget` dirty hashes, deepest level first (so each inner node is hashed
   * once, from clean children). Returns true when nothing is left dirty.
   */
  refresh(budget: number): boolean {
    let left = budget;
    for (let d = this.depth; d >= 0; d--) {
      const set = this.dirty[d]!;
      for (const i of set) {
        if (left <= 0) return false;
        this.hashAt(d, i);
        left--;
      }
    }
    return true;
  }

  toJSON(): MerkleTreeJson {
    const entries: Array<[string, Digest]> = [];
    for (const [k, d] of this.entries) entries.push([k, d]);
    entries.sort((a, b) => compareKeys(a[0], b[0]));
    return { v: 1, fanoutBits: this.fanoutBits, depth: this.depth, entries };
  }

  /** Rebuilds a tree from `toJSON()` output; null when `x` is malformed. Hashes are computed lazily. */
  static fromJSON(x: unknown): MerkleTree | null {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return null;
    const j = x as Record<string, unknown>;
    if (j['v'] !== 1 || !Array.isArray(j['entries'])) return null;
    let tree: MerkleTree;
    try {
      tree = new MerkleTree({ fanoutBits: j['fanoutBits'] as number, depth: j['depth'] as number });
    } catch {
      return null;
    }
    for (const e of j['entries'] as unknown[]) {
      if (!Array.isArray(e) || e.length !== 2) return null;
      const [k, d] = e as [unknown, unknown];
      if (typeof k !== 'string' || k.length === 0 || !isSetDigest(d) || tree.has(k)) return null;
      tree.insert(k, d);
    }
    return tree;
  }

  // ---- internals ---------------------------------------------------------------------------------

  private checkNode(depth: number, index: number): void {
    if (!Number.isInteger(depth) || depth < 0 || depth > this.depth) throw new RangeError(`merkle: bad depth ${depth}`);
    if (!Number.isInteger(index) || index < 0 || index >= this.width(depth)) throw new RangeError(`merkle: bad index ${index} at depth ${depth}`);
  }

  /** The ancestor of segment `s` at `depth`. */
  private ancestor(s: number, depth: number): number {
    return s >>> (this.fanoutBits * (this.depth - depth)); // s < 2^24: shifts are exact
  }

  private adjustCounts(s: number, delta: number): void {
    for (let d = this.depth - 1; d >= 0; d--) {
      const i = this.ancestor(s, d);
      const level = this.inner[d]!;
      let node = level.get(i);
      if (node === undefined) {
        node = { count: 0, hash: null };
        level.set(i, node);
        this.dirty[d]!.add(i);
      }
      node.count += delta;
      if (node.count === 0) {
        level.delete(i);
        this.dirty[d]!.delete(i);
      } else {
        node.hash = null;
        this.dirty[d]!.add(i);
      }
    }
  }

  /** Marks segment `s` and its ancestors dirty; stops at the first ancestor already dirty. */
  private markDirty(s: number): void {
    const seg = this.segs.get(s);
    if (seg !== undefined) {
      seg.hash = null;
      this.dirty[this.depth]!.add(s);
    }
    for (let d = this.depth - 1; d >= 0; d--) {
      const i = this.ancestor(s, d);
      const node = this.inner[d]!.get(i);
      if (node === undefined) continue;
      if (node.hash === null && this.dirty[d]!.has(i)) break;
      node.hash = null;
      this.dirty[d]!.add(i);
    }
  }

  private hashAt(depth: number, index: number): Uint8Array {
    if (depth === this.depth) {
      const seg = this.segs.get(index);
      if (seg === undefined) return ZERO_HASH;
      if (seg.hash === null) {
        seg.hash = this.hashSegment(seg);
        this.dirty[depth]!.delete(index);
      }
      return seg.hash;
    }
    const node = this.inner[depth]!.get(index);
    if (node === undefined) return ZERO_HASH;
    if (node.hash === null) {
      node.hash = this.hashInner(depth, index);
      this.dirty[depth]!.delete(index);
    }
    return node.hash;
  }

  /** SHA-256(0x00 ‖ for each key in order: u32 len ‖ WTF-8 key ‖ u8 len ‖ digest), first 16 bytes. */
  private hashSegment(seg: Segment): Uint8Array {
    seg.keys.sort(compareKeys);
    let o = 0;
    scratch = reserve(scratch, 1);
    scratch[o++] = LEAF_TAG;
    for (const k of seg.keys) {
      const d = this.entries.get(k) as Digest;
      scratch = reserve(scratch, o + 5 + 3 * k.length + 3 * d.length);
      const kn = encodeInto(k, scratch, o + 4);
      scratch[o] = kn >>> 24;
      scratch[o + 1] = (kn >>> 16) & 0xff;
      scratch[o + 2] = (kn >>> 8) & 0xff;
      scratch[o + 3] = kn & 0xff;
      o += 4 + kn;
      const dn = encodeInto(d, scratch, o + 1);
      scratch[o] = dn;
      o += 1 + dn;
    }
    return sha256(scratch.subarray(0, o)).subarray(0, HASH_BYTES);
  }

  /** SHA-256(0x01 ‖ for each non-empty child: u16 child position ‖ child hash), first 16 bytes. */
  private hashInner(depth: number, index: number): Uint8Array {
    const f = this.fanout;
    const buf = new Uint8Array(1 + f * (2 + HASH_BYTES));
    buf[0] = NODE_TAG;
    let o = 1;
    const base = index * f;
    for (let c = 0; c < f; c++) {
      const h = this.hashAt(depth + 1, base + c);
      if (h === ZERO_HASH) continue;
      buf[o] = c >>> 8;
      buf[o + 1] = c & 0xff;
      buf.set(h, o + 2);
      o += 2 + HASH_BYTES;
    }
    return sha256(buf.subarray(0, o)).subarray(0, HASH_BYTES);
  }

  private collect(depth: number, index: number, out: string[]): void {
    if (depth === this.depth) {
      const seg = this.segs.get(index);
      if (seg !== undefined) for (const k of seg.keys) out.push(k);
      return;
    }
    if (!this.inner[depth]!.has(index)) return;
    const base = index * this.fanout;
    for (let c = 0; c < this.fanout; c++) this.collect(depth + 1, base + c, out);
  }
}
