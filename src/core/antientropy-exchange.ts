// The anti-entropy exchange for one partition (paper §4.7): two replicas compare their Merkle trees
// (merkle.ts) top-down, exchanging only the hashes of differing subtrees, and end with the keys
// that differ. Pure message builders and handlers: no transport, timers or storage. node.ts picks
// the peer and partition, carries the payloads in its own messages, and repairs afterwards.
//
// Public API
//   start(tree, opts?): Step                        initiator: the first payload(s) (round 0)
//   respond(tree, payload, opts?): Step             responder: a new session from a round-0 payload
//   receive(session, tree, payload): Step           either side: every later payload
//   Step = { session, send: ExchangePayload[], done, diff: Diff | null, error: string | null }
//   Diff = { localOnly, remoteOnly, different }     key lists from this side's point of view, sorted
//   diffPairs(local, remote): Diff                  compare two (key, digest) lists
//   MAX_PAYLOAD_CHARS, DEFAULT_LEAF_KEYS, DEFAULT_BATCH_HASHES
//   (the payload's types, bounds and validators are the wire's: protocol/antientropy.ts)
//
// Protocol. Lockstep rounds: the initiator sends round 0, the responder round 1, and so on. A
// round is one or more payloads (parts n of `of`, each under MAX_PAYLOAD_CHARS of JSON); the
// receiver waits for every part, then answers with the next round. A round is a list of items:
//   hashes {d, i, l, m, h}   the hashes of the nodes l levels below node (d, i): `m` a bitmap of the
//                            non-empty ones, `h` their 16-byte hashes, packed, in base64url
//   keys   {d, i, k}         every (key, digest) the sender holds under node (d, i)
// For each node of a hashes item whose hash differs from its own, the receiver
//   - if the sender's subtree is empty: records all its own keys there as local-only;
//   - else if it holds at most `leafKeys` keys there (or the node is a segment): sends a keys item;
//   - else: sends a hashes item for that node (l levels further down).
// For a keys item the receiver compares the pairs with its own keys under that node and records
// the result. Each round also carries what the sender found while handling the previous round
// (mine / yours / both: keys only the sender has, only the receiver has, and held differently), so
// both sides end with the whole diff. A round with no items is the last one.
//
// Round 0 sends one level (the root's children: ~370 chars, the cost of the common case where the
// trees are equal) or, for a partition of at most `leafKeys` keys, the keys themselves: a small
// partition is settled in one round trip. Later rounds batch two levels in one item (virtual
// fanout 256, ~5.5 KB per node) when few nodes differ (nodes·fanout^l <= batchHashes): that saves a
// round trip where it is cheap, and falls back to one level (16 hashes per node) when many differ.
//
// Repair is the caller's: when done, each side sends its sets for localOnly ∪ different and merges
// what it receives (push both ways; no pull request is needed since both sides know the diff).
//
// Why lockstep and whole rounds: it bounds state (one round buffered), makes duplicated payloads
// harmless (an old round or a repeated part is ignored), and gives a clear end. Trees may change
// between rounds (local writes); a key written meanwhile may be reported as differing (harmless:
// repair merges) or missed until the next exchange, which is what periodic anti-entropy is for.

import { MerkleTree, ZERO_HASH, bytesEqual } from './merkle';
import {
  MAX_ABORT_CHARS,
  MAX_ITEM_NODES,
  MAX_PAIRS,
  MAX_ROUNDS,
  type ExchangeItem,
  type ExchangePayload,
  type HashesItem,
  type KeysItem,
} from './protocol/antientropy';
import { fromBase64Url, toBase64Url } from './protocol/base64url';
import { HASH_BYTES, type Digest } from './protocol/wire';

/** Largest payload we build, in JSON characters: 15 KiB, leaving 1 KiB of a 16 KiB message for node.ts's envelope. */
export const MAX_PAYLOAD_CHARS = 15 * 1024;
/** Ship a subtree's keys instead of its hashes once it holds at most this many. */
export const DEFAULT_LEAF_KEYS = 16;
/** Batch levels while (differing nodes) × fanout^levels stays at or below this. */
export const DEFAULT_BATCH_HASHES = 512;

export interface Diff {
  /** Keys this side holds and the peer does not. */
  localOnly: string[];
  /** Keys the peer holds and this side does not. */
  remoteOnly: string[];
  /** Keys both hold with different digests. */
  different: string[];
}

export interface ExchangeOptions {
  leafKeys?: number;
  batchHashes?: number;
  maxPayloadChars?: number;
}

export interface Session {
  readonly role: 'initiator' | 'responder';
  readonly fanoutBits: number;
  readonly depth: number;
  readonly leafKeys: number;
  readonly batchHashes: number;
  readonly maxPayloadChars: number;
  /** The round this side waits for. */
  expect: number;
  /** Parts of that round received so far. */
  readonly parts: Map<number, ExchangePayload>;
  partsOf: number;
  readonly localOnly: Set<string>;
  readonly remoteOnly: Set<string>;
  readonly different: Set<string>;
  done: boolean;
  error: string | null;
}

export interface Step {
  session: Session;
  /** Payloads to send to the peer, in order. */
  send: ExchangePayload[];
  done: boolean;
  /** When done without error: the whole diff. */
  diff: Diff | null;
  error: string | null;
}

// ---- entry points ------------------------------------------------------------------------------------

function newSession(role: Session['role'], tree: MerkleTree, opts: ExchangeOptions): Session {
  const leafKeys = opts.leafKeys ?? DEFAULT_LEAF_KEYS;
  const batchHashes = opts.batchHashes ?? DEFAULT_BATCH_HASHES;
  const maxPayloadChars = opts.maxPayloadChars ?? MAX_PAYLOAD_CHARS;
  if (!Number.isInteger(leafKeys) || leafKeys < 0 || leafKeys > MAX_PAIRS) throw new RangeError(`leafKeys must be in 0..${MAX_PAIRS}`);
  if (!Number.isInteger(batchHashes) || batchHashes < 0) throw new RangeError('batchHashes must be a non-negative integer');
  // A payload must fit at least one whole key (1 KiB, up to 6 chars per unit escaped) with its digest.
  if (!Number.isInteger(maxPayloadChars) || maxPayloadChars < 8 * 1024) throw new RangeError('maxPayloadChars must be at least 8 KiB');
  return {
    role,
    fanoutBits: tree.fanoutBits,
    depth: tree.depth,
    leafKeys,
    batchHashes,
    maxPayloadChars,
    expect: role === 'initiator' ? 1 : 0,
    parts: new Map(),
    partsOf: -1,
    localOnly: new Set(),
    remoteOnly: new Set(),
    different: new Set(),
    done: false,
    error: null,
  };
}

/** Begins an exchange: the payloads of round 0. */
export function start(tree: MerkleTree, opts: ExchangeOptions = {}): Step {
  const s = newSession('initiator', tree, opts);
  const items: ExchangeItem[] = [];
  if (tree.count(0, 0) <= s.leafKeys) items.push({ d: 0, i: 0, k: tree.keysUnder(0, 0) });
  else items.push(hashesItem(tree, 0, 0, 1));
  const send = pack(s, 0, items, [], [], []);
  return step(s, send);
}

/** Answers the first payload of an exchange (any part of round 0), creating the responder's session. */
export function respond(tree: MerkleTree, payload: ExchangePayload, opts: ExchangeOptions = {}): Step {
  const s = newSession('responder', tree, opts);
  if (payload.abort !== undefined) return finish(s, [], `peer aborted: ${payload.abort}`);
  if (payload.r !== 0) return abort(s, 'expected round 0');
  return receive(s, tree, payload);
}

/** Handles one payload from the peer. Late duplicates are ignored; protocol errors end the exchange. */
export function receive(session: Session, tree: MerkleTree, payload: ExchangePayload): Step {
  const s = session;
  if (s.done) return step(s, []);
  if (payload.abort !== undefined) return finish(s, [], `peer aborted: ${payload.abort}`);
  if (tree.fanoutBits !== s.fanoutBits || tree.depth !== s.depth) return abort(s, 'tree config changed');
  if (payload.r < s.expect) return step(s, []); // a duplicate of an old round
  if (payload.r > s.expect) return abort(s, `round ${payload.r} before ${s.expect}`);
  if (payload.r === 0) {
    const cfg = payload.cfg;
    if (cfg === undefined || cfg[0] !== s.fanoutBits || cfg[1] !== s.depth) {
      return abort(s, `config mismatch: mine [${s.fanoutBits},${s.depth}], yours ${JSON.stringify(cfg ?? null)}`);
    }
  }
  if (s.partsOf === -1) s.partsOf = payload.of;
  else if (payload.of !== s.partsOf) return abort(s, 'part count changed within a round');
  if (payload.n >= payload.of) return abort(s, 'bad part number');
  if (s.parts.has(payload.n)) return step(s, []); // a duplicate part
  s.parts.set(payload.n, payload);
  if (s.parts.size < s.partsOf) return step(s, []);
  const round = [...s.parts.values()];
  s.parts.clear();
  s.partsOf = -1;
  return handleRound(s, tree, round);
}

// ---- one round ---------------------------------------------------------------------------------------

function handleRound(s: Session, tree: MerkleTree, round: ExchangePayload[]): Step {
  const r = s.expect;
  for (const p of round) {
    for (const k of p.mine ?? []) s.remoteOnly.add(k);
    for (const k of p.yours ?? []) s.localOnly.add(k);
    for (const k of p.both ?? []) s.different.add(k);
  }
  const hashItems: HashesItem[] = [];
  const keyNodes = new Map<string, { d: number; i: number; pairs: Array<[string, Digest]> }>();
  for (const p of round) {
    for (const it of p.items) {
      if (!nodeOk(s, it.d, it.i)) return abort(s, `no node (${it.d}, ${it.i})`);
      if ('h' in it) {
        hashItems.push(it);
        continue;
      }
      const id = `${it.d}:${it.i}`;
      const slot = keyNodes.get(id);
      if (slot === undefined) keyNodes.set(id, { d: it.d, i: it.i, pairs: [...it.k] });
      else slot.pairs.push(...it.k);
    }
  }
  if (hashItems.length === 0 && keyNodes.size === 0) return finish(s, [], null); // the peer's last round

  const mine: string[] = [];
  const yours: string[] = [];
  const both: string[] = [];
  const out: ExchangeItem[] = [];
  const expand: Array<[number, number]> = [];

  for (const it of hashItems) {
    const span = 2 ** (s.fanoutBits * it.l);
    if (it.d + it.l > s.depth || span > MAX_ITEM_NODES) return abort(s, 'hashes item too deep');
    const mask = fromBase64Url(it.m);
    const hashes = fromBase64Url(it.h);
    if (mask === null || hashes === null || mask.length !== Math.ceil(span / 8)) return abort(s, 'bad hashes item');
    if (hashes.length !== popcount(mask) * HASH_BYTES || !spareBitsClear(mask, span)) return abort(s, 'bad hashes item');
    const nd = it.d + it.l;
    let at = 0;
    for (let p = 0; p < span; p++) {
      const present = ((mask[p >> 3]! >> (p & 7)) & 1) === 1;
      const theirs = present ? hashes.subarray(at * HASH_BYTES, (at + 1) * HASH_BYTES) : ZERO_HASH;
      if (present) at++;
      const ni = it.i * span + p;
      const own = tree.hash(nd, ni);
      if (bytesEqual(own, theirs)) continue;
      if (!present) {
        for (const [k] of tree.keysUnder(nd, ni)) if (record(s.localOnly, k)) mine.push(k);
      } else if (nd === s.depth || tree.count(nd, ni) <= s.leafKeys) {
        out.push({ d: nd, i: ni, k: tree.keysUnder(nd, ni) });
      } else {
        expand.push([nd, ni]);
      }
    }
  }

  for (const { d, i, pairs } of keyNodes.values()) {
    const theirs = new Map<string, Digest>();
    for (const [k, dg] of pairs) {
      if (theirs.has(k) || ancestorOf(tree, tree.segmentOf(k), d) !== i) return abort(s, `key not under (${d}, ${i}) or repeated`);
      theirs.set(k, dg);
    }
    const diff = diffPairs(tree.keysUnder(d, i), [...theirs]);
    for (const k of diff.localOnly) if (record(s.localOnly, k)) mine.push(k);
    for (const k of diff.remoteOnly) if (record(s.remoteOnly, k)) yours.push(k);
    for (const k of diff.different) if (record(s.different, k)) both.push(k);
  }

  for (const [d, i] of expand) out.push(hashesItem(tree, d, i, levelsFor(s, d, expand.length)));

  if (r + 1 >= MAX_ROUNDS && out.length > 0) return abort(s, 'too many rounds');
  const send = pack(s, r + 1, out, mine, yours, both);
  s.expect = r + 2;
  if (out.length === 0) return finish(s, send, null); // our last round: the peer learns our findings
  return step(s, send);
}

/** How many levels to send for each of `nodes` differing nodes at depth `d`. */
function levelsFor(s: Session, d: number, nodes: number): number {
  const fits = Math.floor((s.maxPayloadChars - 512) / 22); // hashes one item may carry
  let l = 1;
  while (d + l + 1 <= s.depth) {
    const span = 2 ** (s.fanoutBits * (l + 1));
    if (span > MAX_ITEM_NODES || span > fits || nodes * span > s.batchHashes) break;
    l++;
  }
  return l;
}

function hashesItem(tree: MerkleTree, d: number, i: number, l: number): HashesItem {
  const span = 2 ** (tree.fanoutBits * l);
  const mask = new Uint8Array(Math.ceil(span / 8));
  const hs: Uint8Array[] = [];
  for (let p = 0; p < span; p++) {
    const h = tree.hash(d + l, i * span + p);
    if (h === ZERO_HASH) continue;
    mask[p >> 3]! |= 1 << (p & 7);
    hs.push(h);
  }
  const packed = new Uint8Array(hs.length * HASH_BYTES);
  hs.forEach((h, j) => packed.set(h, j * HASH_BYTES));
  return { d, i, l, m: toBase64Url(mask), h: toBase64Url(packed) };
}

/** Compares two (key, digest) lists (each with unique keys), from the first one's point of view. */
export function diffPairs(local: ReadonlyArray<readonly [string, Digest]>, remote: ReadonlyArray<readonly [string, Digest]>): Diff {
  const theirs = new Map<string, Digest>(remote.map(([k, d]) => [k, d]));
  const localOnly: string[] = [];
  const different: string[] = [];
  for (const [k, d] of local) {
    const t = theirs.get(k);
    if (t === undefined) localOnly.push(k);
    else if (t !== d) different.push(k);
    theirs.delete(k);
  }
  return { localOnly: localOnly.sort(cmp), remoteOnly: [...theirs.keys()].sort(cmp), different: different.sort(cmp) };
}

// ---- packing payloads under the size budget -------------------------------------------------------

function pack(s: Session, r: number, items: ExchangeItem[], mine: string[], yours: string[], both: string[]): ExchangePayload[] {
  const budget = s.maxPayloadChars;
  const cfg: [number, number] | undefined = r === 0 ? [s.fanoutBits, s.depth] : undefined;
  // Upper bound of an empty payload with every field present and 4-digit part numbers.
  const envelope = JSON.stringify({ v: 1, r, n: 9999, of: 9999, cfg, items: [], mine: [], yours: [], both: [] }).length;
  const room = budget - envelope;
  const out: ExchangePayload[] = [];
  let cur: ExchangePayload = { v: 1, r, n: 0, of: 1, items: [] };
  let used = envelope;
  let empty = true;
  const flush = (): void => {
    out.push(cur);
    cur = { v: 1, r, n: 0, of: 1, items: [] };
    used = envelope;
    empty = true;
  };
  const add = (len: number, put: () => void): void => {
    if (!empty && used + len > budget) flush();
    put();
    used += len;
    empty = false;
  };
  for (const it of items) {
    for (const piece of splitItem(it, room)) {
      add(JSON.stringify(piece).length + 1, () => cur.items.push(piece));
    }
  }
  const lists: Array<['mine' | 'yours' | 'both', string[]]> = [['mine', mine], ['yours', yours], ['both', both]];
  for (const [field, keys] of lists) {
    for (const k of keys) {
      add(JSON.stringify(k).length + 1, () => {
        const list = cur[field] ?? [];
        list.push(k);
        cur[field] = list;
      });
    }
  }
  if (!empty || out.length === 0) out.push(cur);
  out.forEach((p, n) => {
    p.n = n;
    p.of = out.length;
    if (cfg !== undefined) p.cfg = cfg;
  });
  return out;
}

/** Splits a keys item whose JSON would not fit `room` into several items for the same node. */
function splitItem(it: ExchangeItem, room: number): ExchangeItem[] {
  if (!('k' in it)) return [it];
  const head = JSON.stringify({ d: it.d, i: it.i, k: [] }).length + 1;
  if (head + JSON.stringify(it.k).length <= room && it.k.length <= MAX_PAIRS) return [it];
  const pieces: KeysItem[] = [];
  let cur: Array<[string, Digest]> = [];
  let used = head;
  for (const pair of it.k) {
    const len = JSON.stringify(pair).length + 1;
    if (cur.length > 0 && (used + len > room || cur.length >= MAX_PAIRS)) {
      pieces.push({ d: it.d, i: it.i, k: cur });
      cur = [];
      used = head;
    }
    cur.push(pair);
    used += len;
  }
  pieces.push({ d: it.d, i: it.i, k: cur });
  return pieces;
}

// ---- session helpers ---------------------------------------------------------------------------------

function step(s: Session, send: ExchangePayload[]): Step {
  return { session: s, send, done: s.done, diff: s.done && s.error === null ? diffOf(s) : null, error: s.error };
}

function finish(s: Session, send: ExchangePayload[], error: string | null): Step {
  s.done = true;
  s.error = error;
  s.parts.clear();
  return step(s, send);
}

function abort(s: Session, reason: string): Step {
  const payload: ExchangePayload = { v: 1, r: Math.min(s.expect + 1, MAX_ROUNDS), n: 0, of: 1, items: [], abort: reason.slice(0, MAX_ABORT_CHARS) };
  return finish(s, [payload], reason);
}

function diffOf(s: Session): Diff {
  return {
    localOnly: [...s.localOnly].sort(cmp),
    remoteOnly: [...s.remoteOnly].sort(cmp),
    different: [...s.different].sort(cmp),
  };
}

function record(set: Set<string>, k: string): boolean {
  if (set.has(k)) return false;
  set.add(k);
  return true;
}

function nodeOk(s: Session, d: number, i: number): boolean {
  return d <= s.depth && i < 2 ** (s.fanoutBits * d);
}

function ancestorOf(tree: MerkleTree, segment: number, d: number): number {
  return segment >>> (tree.fanoutBits * (tree.depth - d));
}

function popcount(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) {
    let x = b;
    while (x !== 0) {
      x &= x - 1;
      n++;
    }
  }
  return n;
}

/** Bits beyond `span` in the last bitmap byte must be zero (one encoding per bitmap). */
function spareBitsClear(mask: Uint8Array, span: number): boolean {
  const rem = span % 8;
  return rem === 0 || (mask[mask.length - 1]! >> rem) === 0;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
