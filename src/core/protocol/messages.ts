// The peer protocol: the union of every message between nodes, its frame (a checksum, then JSON) and
// the door every frame passes: decode, which checks the frame and validates the message by its type.
//
// Why validate everything: a peer is another tab running possibly older or buggy code, so a bad
// message must be counted and dropped at the door, never thrown through the node. A frame nested or
// packed beyond any legal message is refused before it is parsed (json-guard.ts). Sibling sets
// inside messages are checked only for shape here; versions.fromJson checks them in depth.

import { guardJson } from './json-guard';
import { aaeValidators, type AaeMessage } from './antientropy';
import { gossipValidators, type GossipMessage } from './gossip';
import { handoffValidators, type HandoffMessage } from './handoff';
import { livenessValidators, type LivenessMessage } from './liveness';
import { reapValidators, type ReapMessage } from './reap';
import { requestValidators, type RequestMessage } from './requests';
import { isObject, isRequestId, type Validators } from './wire';

/** Every message; `id` pairs a reply with its request (0 where none is expected). */
export type Message = RequestMessage | HandoffMessage | ReapMessage | GossipMessage | AaeMessage | LivenessMessage;
export type MessageType = Message['type'];
export type Decoded = { ok: true; msg: Message } | { ok: false; reason: string };

/** Values are at most 1 MiB serialized; a set carries a few siblings; leave room for several. */
/**
 * The largest legal message is one stored set at the merge bound (versions.MAX_MERGED_CHARS, 8 Mi of
 * values) with its clock and siblings (~0.2 Mi at most); more is only cost (a 16 Mi frame took ~100 ms
 * to checksum and parse here).
 */
export const MAX_MESSAGE_CHARS = 10 * 1024 * 1024;

const validators: Validators<Message> = {
  ...requestValidators,
  ...handoffValidators,
  ...reapValidators,
  ...gossipValidators,
  ...aaeValidators,
  ...livenessValidators,
};

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
  return sealed(checksum(json), json);
}

/** The frame of `json` whose checksum is known already (requests.ts sums a shared prefix once). */
export function sealed(sum: number, json: string): string {
  return sum.toString(16).padStart(8, '0') + json;
}

/** FNV-1a over s[from, to), continuing from `h`: the sum of a text made of parts is the parts' sums chained. */
export function checksum(s: string, h = 0x811c9dc5, from = 0, to = s.length): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const HEX8 = /^[0-9a-f]{8}$/;

/** The message in a frame, or why it was refused ('too-large', 'bad-checksum', 'bad-put', ...); never throws. */
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
  if (!isRequestId(m.id) || !check(m)) return { ok: false, reason: `bad-${m.type}` };
  return { ok: true, msg: m as Message };
}
