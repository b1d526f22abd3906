// The peer protocol's shared primitives: what a shipped key looks like on the wire, and the checks of
// the ids every message carries. Imports nothing but ports, so every part of the core can use it
// without importing another part (messages.ts and antientropy.ts once imported each other for this).
//
// Public API
//   type KeySet = { key, set }            a key's serialized sibling set (versions.toJson), shipped in bulk
//   type SetJson                          a serialized set, validated in depth by versions.fromJson
//   isRequestId(x)  isKey(x)  isNodeId(x)  isDigest(x)   the shape checks of untrusted ids
//   MAX_KEY_CHARS  MAX_NODE_ID_CHARS  MAX_DIGEST_CHARS

import type { Json } from '../../ports/storage';

export type SetJson = Json;
export interface KeySet {
  key: string;
  set: SetJson;
}

export const MAX_KEY_CHARS = 1024;
export const MAX_NODE_ID_CHARS = 64;
export const MAX_DIGEST_CHARS = 64;

/** A request id: pairs a reply with its request (0 for messages that expect none). */
export function isRequestId(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
export function isKey(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_KEY_CHARS;
}
export function isNodeId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_NODE_ID_CHARS;
}
export function isDigest(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_DIGEST_CHARS;
}
