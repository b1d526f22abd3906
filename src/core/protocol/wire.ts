// The peer protocol's shared primitives: the one definition of a node id, a request id, a key and a
// digest as messages carry them, the shape of a shipped key, and the helpers every validator uses.
//
// Two digests travel, and they are checked differently on purpose. A digest field (`isDigest`: a
// membership digest in gossip and handoff, a set digest in a reap notice) is only compared with one
// computed here, so a length bound is all it needs. A set digest that goes into a Merkle tree or an
// anti-entropy keys item (`isSetDigest`) is checked exactly: 16 bytes in canonical base64url.

import type { Json } from '../../ports/storage';
import type { NodeId } from '../../ports/transport';

/** A serialized sibling set (versions.toJson): checked for shape here, in depth by versions.fromJson. */
export type SetJson = Json;
/** A key's sibling set, shipped in bulk (handoff, key transfer, anti-entropy push). */
export interface KeySet {
  key: string;
  set: SetJson;
}

/** A set digest: the first HASH_BYTES of a SHA-256, base64url without padding (merkle.digestOf). */
export type Digest = string;
export const HASH_BYTES = 16;
export const DIGEST_CHARS = 22;

/** Keys are at most 1 KiB of UTF-8 (validate.ts), hence at most 1024 UTF-16 code units. */
export const MAX_KEY_CHARS = 1024;
export const MAX_NODE_ID_CHARS = 64;
export const MAX_DIGEST_CHARS = 64;

export type Obj = Record<string, unknown>;
/** One validator per message type of a union: the envelope (type, id) is checked by messages.ts. */
export type Validators<M extends { type: string }> = { [T in M['type']]: (m: Obj) => boolean };

/** A request id: pairs a reply with its request (0 for messages that expect none). */
export function isRequestId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
export function isKey(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_KEY_CHARS;
}
export function isNodeId(x: unknown): x is NodeId {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_NODE_ID_CHARS;
}
export function isDigest(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_DIGEST_CHARS;
}

const SET_DIGEST = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** 22 base64url characters encoding exactly 16 bytes (the last one carries 4 bits, the rest zero). */
export function isSetDigest(x: unknown): x is Digest {
  return typeof x === 'string' && x.length === DIGEST_CHARS && SET_DIGEST.test(x);
}

export function isObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
export function isText(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length <= max;
}
