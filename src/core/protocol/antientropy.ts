// Anti-entropy on the wire (paper §4.7): the 'aae' message that carries one payload of a Merkle
// exchange (antientropy-exchange.ts), the payload's items, their bounds and their validators.
//
// The envelope is checked at the door (messages.ts) only for shape; the payload is checked in depth
// by validateExchangePayload when the exchange takes it (antientropy.ts), which drops a bad one as
// 'aae-payload'. Checks that need the tree (node indexes within it, keys under their node, bitmap
// sizes) are the exchange's, in `receive`.

import { fromBase64Url } from './base64url';
import { HASH_BYTES, isKey, isObject, isRequestId, isSetDigest, type Digest, type Validators } from './wire';

export interface AaeMessage {
  type: 'aae';
  id: 0;
  /** Exchange id, chosen by the initiator. */
  x: number;
  /** The partition compared. */
  p: number;
  /** True when the sender started the exchange. */
  init: boolean;
  payload: ExchangePayload;
}

/** Largest payload we accept (peers may be configured with a larger budget than our 15 KiB). */
const MAX_ACCEPTED_CHARS = 64 * 1024;
export const MAX_ROUNDS = 64;
const MAX_PARTS = 4096;
const MAX_ITEMS = 4096;
/** (key, digest) pairs in one keys item. */
export const MAX_PAIRS = 4096;
const MAX_FOUND = 16384;
export const MAX_ABORT_CHARS = 200;
/** A hashes item covers at most this many nodes (the bitmap's bits). */
export const MAX_ITEM_NODES = 4096;
const MAX_DEPTH = 24;

export interface HashesItem {
  d: number;
  i: number;
  l: number;
  /** Bitmap (base64url, bit p = byte p>>3, bit p&7) of the fanout^l nodes that are non-empty. */
  m: string;
  /** Their hashes, 16 bytes each, in order, base64url. */
  h: string;
}

export interface KeysItem {
  d: number;
  i: number;
  k: Array<[string, Digest]>;
}

export type ExchangeItem = HashesItem | KeysItem;

export interface ExchangePayload {
  v: 1;
  /** Round: even from the initiator, odd from the responder. */
  r: number;
  /** Part n (0-based) of `of`. */
  n: number;
  of: number;
  /** Round 0 only: the tree's [fanoutBits, depth]; the responder refuses a mismatch. */
  cfg?: [number, number];
  items: ExchangeItem[];
  /** Keys the sender found only it holds. */
  mine?: string[];
  /** Keys the sender found only the receiver holds. */
  yours?: string[];
  /** Keys held by both with different digests. */
  both?: string[];
  /** The sender gave up (bad input, mismatched config); the exchange is over. */
  abort?: string;
}

/** The envelope only: the payload is validated in depth when the exchange takes it. */
export const aaeValidators: Validators<AaeMessage> = {
  aae: (m) => isRequestId(m.x) && isRequestId(m.p) && typeof m.init === 'boolean' && isObject(m.payload),
};

function isInt(x: unknown, min: number, max: number): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
}

function nodeFields(x: Record<string, unknown>): { d: number; i: number } | null {
  const d = x['d'];
  const i = x['i'];
  if (!isInt(d, 0, MAX_DEPTH) || !isInt(i, 0, 2 ** MAX_DEPTH - 1)) return null;
  return { d, i };
}

/** A copy of a well-formed hashes item, or null. Never throws. */
export function validateHashesItem(x: unknown): HashesItem | null {
  try {
    if (!isObject(x) || 'k' in x) return null;
    const node = nodeFields(x);
    const { l, m, h } = x;
    if (node === null || !isInt(l, 1, MAX_DEPTH) || typeof m !== 'string' || typeof h !== 'string') return null;
    if (m.length > Math.ceil((MAX_ITEM_NODES / 8) * (4 / 3)) || h.length > Math.ceil(((MAX_ITEM_NODES * HASH_BYTES) * 4) / 3)) return null;
    const mb = fromBase64Url(m);
    const hb = fromBase64Url(h);
    if (mb === null || hb === null || hb.length % HASH_BYTES !== 0) return null;
    return { d: node.d, i: node.i, l, m, h };
  } catch {
    return null;
  }
}

/** A copy of a well-formed keys item, or null. Never throws. */
export function validateKeysItem(x: unknown): KeysItem | null {
  try {
    if (!isObject(x) || 'h' in x || 'm' in x) return null;
    const node = nodeFields(x);
    const k = x['k'];
    if (node === null || !Array.isArray(k) || k.length > MAX_PAIRS) return null;
    const pairs: Array<[string, Digest]> = [];
    for (const e of k as unknown[]) {
      if (!Array.isArray(e) || e.length !== 2) return null;
      const [key, dg] = e as unknown[];
      if (!isKey(key) || !isSetDigest(dg)) return null;
      pairs.push([key, dg]);
    }
    return { d: node.d, i: node.i, k: pairs };
  } catch {
    return null;
  }
}

function keyList(x: unknown): string[] | null | undefined {
  if (x === undefined) return undefined;
  if (!Array.isArray(x) || x.length > MAX_FOUND) return null;
  for (const k of x as unknown[]) if (!isKey(k)) return null;
  return [...(x as string[])];
}

/**
 * A copy of a well-formed payload, or null (wrong shape, out-of-range numbers, too many items or
 * keys, or more than `maxChars` characters of strings in all). Never throws.
 */
export function validateExchangePayload(x: unknown, maxChars = MAX_ACCEPTED_CHARS): ExchangePayload | null {
  try {
    if (!isObject(x) || x['v'] !== 1) return null;
    const { r, n, of, cfg, items, abort: reason } = x;
    if (!isInt(r, 0, MAX_ROUNDS) || !isInt(of, 1, MAX_PARTS) || !isInt(n, 0, of - 1)) return null;
    const out: ExchangePayload = { v: 1, r, n, of, items: [] };
    if (cfg !== undefined) {
      if (!Array.isArray(cfg) || cfg.length !== 2 || !isInt(cfg[0], 1, 8) || !isInt(cfg[1], 1, MAX_DEPTH)) return null;
      out.cfg = [cfg[0], cfg[1]];
    }
    if (reason !== undefined) {
      if (typeof reason !== 'string' || reason.length > MAX_ABORT_CHARS) return null;
      out.abort = reason;
    }
    if (!Array.isArray(items) || items.length > MAX_ITEMS) return null;
    let chars = 0;
    for (const it of items as unknown[]) {
      const v = isObject(it) && 'k' in it ? validateKeysItem(it) : validateHashesItem(it);
      if (v === null) return null;
      if ('k' in v) for (const [k] of v.k) chars += k.length + 30;
      else chars += v.m.length + v.h.length + 30;
      if (chars > maxChars) return null;
      out.items.push(v);
    }
    for (const field of ['mine', 'yours', 'both'] as const) {
      const list = keyList(x[field]);
      if (list === null) return null;
      if (list === undefined) continue;
      for (const k of list) chars += k.length + 3;
      if (chars > maxChars) return null;
      out[field] = list;
    }
    return out;
  } catch {
    return null;
  }
}
