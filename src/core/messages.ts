// The peer protocol: a discriminated union of every message between nodes, and its validator.
//
// Public API
//   type Message                         every message; `id` pairs a reply with its request
//   encode(msg): string                  checksum + JSON (seal)
//   seal(json): string                   the checksummed frame of a message already in JSON
//   decode(raw, maxChars?): Decoded      { ok: true, msg } | { ok: false, reason } — never throws
//   MAX_MESSAGE_CHARS
//
// Why validate everything: a peer is another tab running possibly older or buggy code, so a bad
// message must be counted and dropped at the door, never thrown through the node. A frame nested or
// packed beyond any legal message is refused before it is parsed (protocol/json-guard.ts). Sibling
// sets inside messages are checked only for shape here; versions.fromJson checks them in depth.

import type { Json } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import type { AaeMessage } from './antientropy';
import type { GossipMessage } from './gossip';
import type { LivenessMessage } from './liveness';
import type { ReapItem } from './reaper';
import { isChange, MAX_CHANGES } from './membership';
import { isBase } from './membership-base';

import { guardJson } from './protocol/json-guard';
import { isDigest, isKey, isNodeId, isRequestId as isId, type KeySet, type SetJson } from './protocol/wire';

export type { KeySet, SetJson };

export type Message =
  /** Store `set` (merge it into what you hold) for `key`; as a hint for `hintFor` if given. */
  | { type: 'put'; id: number; key: string; set: SetJson; hintFor?: NodeId }
  | { type: 'put-ack'; id: number; ok: boolean; error?: string }
  /** Send me your sibling set for `key` (null if you hold nothing). */
  | { type: 'get'; id: number; key: string }
  | { type: 'get-reply'; id: number; set: SetJson | null }
  /**
   * Coordinate this client put for me: I am not among the key's first N replicas. `timeoutMs` is the
   * client's deadline (coordinate/put.ts gives the coordinator its share); absent from older peers.
   */
  | { type: 'fwd-put'; id: number; key: string; value?: Json; tombstone?: boolean; context: string; w: number | 'any'; timeoutMs?: number }
  | { type: 'fwd-put-reply'; id: number; ok: true; context: string; replicas: number; degraded?: boolean }
  | { type: 'fwd-put-reply'; id: number; ok: false; error: ErrorName; message: string; required?: number; answered?: number }
  /**
   * Sets for you to merge into your replica: hints held while you were down, or a partition moving
   * to you after a ring change. The ack lets the sender delete them. `digest` is the sender's
   * membership digest: a receiver whose view differs gossips at once, so the two agree on the ring.
   */
  | { type: 'handoff'; id: number; sets: KeySet[]; digest?: string }
  /** `refused`: keys whose sets could not be merged here (refusals.ts); the rest were stored. */
  | { type: 'handoff-ack'; id: number; refused?: string[] }
  /** I reaped these tombstones, confirmed on every primary (reaper.ts): reap the same sets; `id` is 0. */
  | { type: 'reaped'; id: number; items: ReapItem[] }
  /** Membership gossip (gossip.ts); not requests, so `id` is 0. */
  | GossipMessage
  /** One step of a Merkle exchange (antientropy.ts); the payload is checked in depth there. */
  | AaeMessage
  /** Heartbeats (liveness.ts); `id` is 0. */
  | LivenessMessage;

export type ErrorName = 'QuorumError' | 'ValidationError' | 'StorageFullError' | 'ClosedError' | 'Error';
export type MessageType = Message['type'];
export type Decoded = { ok: true; msg: Message } | { ok: false; reason: string };

/**
 * The largest legal message is one stored set at the merge bound (versions.MAX_MERGED_CHARS, 8 Mi of
 * values) with its clock and siblings (~0.2 Mi at most); more is only cost (a 16 Mi frame took ~100 ms
 * to checksum and parse here).
 */
export const MAX_MESSAGE_CHARS = 10 * 1024 * 1024;
/** The longest deadline a client request may ask for (and a forward may carry): two minutes. */
export const MAX_REQUEST_TIMEOUT_MS = 120_000;
const MAX_REAP_ITEMS = 1000;
const MAX_ERROR_CHARS = 2000;
/** Sets in one handoff: shipments carry at most SHIPMENT_KEYS (100); more is a peer's bug. */
const MAX_HANDOFF_SETS = 1000;
const ERROR_NAMES = new Set<string>(['QuorumError', 'ValidationError', 'StorageFullError', 'ClosedError', 'Error']);

export function encode(msg: Message): string {
  return seal(JSON.stringify(msg));
}

/**
 * A message's JSON with its checksum in front: 8 hex digits of FNV-1a over the JSON's UTF-16 code
 * units (TigerBeetle checksums every message too). A frame corrupted in transit, in memory or by a
 * buggy encoder is dropped as 'bad-checksum' instead of being applied: a changed digit inside a
 * value would otherwise parse, validate and be stored. FNV-1a's steps are bijective, so a change of
 * any one character always changes the sum.
 */
export function seal(json: string): string {
  return checksum(json).toString(16).padStart(8, '0') + json;
}

function checksum(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const HEX8 = /^[0-9a-f]{8}$/;

export function decode(raw: string, maxChars = MAX_MESSAGE_CHARS): Decoded {
  if (raw.length > maxChars) return { ok: false, reason: 'too-large' };
  const sum = raw.slice(0, 8);
  const json = raw.slice(8);
  if (!HEX8.test(sum) || parseInt(sum, 16) !== checksum(json)) return { ok: false, reason: 'bad-checksum' };
  const costly = guardJson(json);
  if (costly !== undefined) return { ok: false, reason: costly };
  let m: unknown;
  try {
    m = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'bad-json' };
  }
  if (!isObject(m) || typeof m.type !== 'string') return { ok: false, reason: 'no-type' };
  // Own properties only: a type of "__proto__" or "hasOwnProperty" names no validator.
  if (!Object.hasOwn(validators, m.type)) return { ok: false, reason: 'unknown-type' };
  const check = validators[m.type as MessageType];
  if (!isId(m.id) || !check(m)) return { ok: false, reason: `bad-${m.type}` };
  return { ok: true, msg: m as Message };
}

type Obj = Record<string, unknown>;

const validators: Record<MessageType, (m: Obj) => boolean> = {
  put: (m) => isKey(m.key) && isObject(m.set) && (m.hintFor === undefined || isNodeId(m.hintFor)),
  'put-ack': (m) => typeof m.ok === 'boolean' && (m.error === undefined || isText(m.error, 64)),
  get: (m) => isKey(m.key),
  'get-reply': (m) => m.set === null || isObject(m.set),
  'fwd-put': (m) =>
    isKey(m.key) &&
    typeof m.context === 'string' &&
    (isId(m.w) || m.w === 'any') &&
    (m.timeoutMs === undefined || (isId(m.timeoutMs) && m.timeoutMs >= 1 && m.timeoutMs <= MAX_REQUEST_TIMEOUT_MS)) &&
    (m.tombstone === true ? m.value === undefined : m.value !== undefined && m.tombstone === undefined),
  'fwd-put-reply': (m) =>
    m.ok === true
      ? typeof m.context === 'string' && isId(m.replicas) && (m.degraded === undefined || typeof m.degraded === 'boolean')
      : m.ok === false &&
        typeof m.error === 'string' &&
        ERROR_NAMES.has(m.error) &&
        isText(m.message, MAX_ERROR_CHARS) &&
        (m.required === undefined || isId(m.required)) &&
        (m.answered === undefined || isId(m.answered)),
  handoff: (m) =>
    Array.isArray(m.sets) &&
    m.sets.length <= MAX_HANDOFF_SETS &&
    m.sets.every((s) => isObject(s) && isKey(s.key) && isObject(s.set)) &&
    (m.digest === undefined || isDigest(m.digest)),
  'handoff-ack': (m) => m.refused === undefined || (Array.isArray(m.refused) && m.refused.length <= MAX_HANDOFF_SETS && m.refused.every(isKey)),
  reaped: (m) =>
    Array.isArray(m.items) &&
    m.items.length <= MAX_REAP_ITEMS &&
    m.items.every((x) => isObject(x) && isKey(x.key) && isDigest(x.digest)),
  aae: (m) => isId(m.x) && isId(m.p) && typeof m.init === 'boolean' && isObject(m.payload),
  gossip: (m) => isDigest(m.digest) && (m.ack === undefined || m.ack === true),
  // At most MAX_CHANGES changes, seqs within MAX_SEQ, and a base (membership-base.ts) checked in depth:
  // its counts, ranges, sorted unique ids, and a ring owned by its members.
  'gossip-state': (m) =>
    Array.isArray(m.changes) &&
    m.changes.length <= MAX_CHANGES &&
    m.changes.every(isChange) &&
    typeof m.reply === 'boolean' &&
    (m.base === undefined || isBase(m.base)),
  ping: (m) => m.hidden === undefined || typeof m.hidden === 'boolean',
  pong: (m) => m.hidden === undefined || typeof m.hidden === 'boolean',
};

function isText(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length <= max;
}
function isObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
