// Shared by the resolvers: a JSON value's canonical text (object keys sorted), code-unit order, and fresh tags.

import type { Json } from './kv';

/** The same text for equal JSON values, whatever their key order: an element's identity in a set. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort(cmp);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Code-unit order, not localeCompare: every tab must sort identically. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A tag no other writer will mint: 128 random bits, as 32 hex digits. */
export function newTag(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const MAX_TAG = 200;

export function isTag(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= MAX_TAG;
}

export function isJson(x: unknown, depth = 0): x is Json {
  if (depth > 64) return false;
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every((v) => isJson(v, depth + 1));
  if (typeof x === 'object') return Object.values(x as object).every((v) => isJson(v, depth + 1));
  return false;
}
