// node.update: the read-modify-write with a context that apps would otherwise get wrong (DeCandia
// et al. §4.4: a client reads, reconciles the siblings, and writes back with the read's context).
//
// Semantics of one call:
//   1. get(key) -> siblings + context. `resolve` (if given) merges the siblings into one value.
//   2. fn(current) computes the new value; current is `undefined` when the key has no value.
//      Returning UNCHANGED skips the write.
//   3. put(key, next, context).
//   4. Concurrent change: Dynamo never refuses a write for being concurrent; a writer who raced us
//      leaves a sibling beside ours. With `resolve`, update reads back after writing and, when it
//      finds siblings of different values, writes their merge (resolve's result, not fn again) with
//      the fresh context, so the key settles on one value. Bounded by `attempts` writes in all.
//   Retries on failure: a failed read (QuorumError) is retried, nothing having been written. A failed
//   write is retried (re-read, fn again) only when `idempotent` says applying fn to a value that may
//   already hold our first attempt is harmless (a set add with one tag, a register set); otherwise
//   the QuorumError is thrown: the write may have reached some replicas and fn twice could count twice.

import { QuorumError } from '../core/errors';
import { canonicalJson } from './canonical';
import type { Json, KeyValueNode, WriteResult } from './kv';

/** Return it from fn to leave the key as it is. */
export const UNCHANGED: unique symbol = Symbol('dynamo.update.unchanged');

export interface UpdateOptions<T> {
  /** Merges the siblings (at least one) into the value fn sees. Without it fn sees the sibling array. */
  resolve?: (siblings: Json[]) => T | undefined;
  /** Writes in all, first one included (1..10, default 3). Also bounds read retries. */
  attempts?: number;
  /** fn may run again after a failed write (see the header). Default false. */
  idempotent?: boolean;
  r?: number;
  w?: number | 'any';
  timeoutMs?: number;
}

export interface UpdateResult extends WriteResult {
  /** What was written last (undefined when fn returned UNCHANGED). */
  value: Json | undefined;
  /** Writes made, merges of a concurrent change included. */
  writes: number;
  /**
   * With `resolve`: the read after the last write found one value (several versions of one equal
   * value count as one: two writers merged the same siblings). Without `resolve`: not checked (false).
   */
  settled: boolean;
}

const MAX_ATTEMPTS = 10;

export async function update<T extends Json = Json[]>(
  node: KeyValueNode,
  key: string,
  fn: (current: T | undefined) => Json | typeof UNCHANGED,
  opts: UpdateOptions<T> = {},
): Promise<UpdateResult> {
  const attempts = boundedAttempts(opts.attempts);
  const read = retryReads(node, key, opts, attempts);
  let { values, context } = await read();
  let tries = 0;
  let writes = 0;
  let merging = false; // the last write left siblings: write their merge, not fn again
  let value: Json | undefined;
  let result: WriteResult = { context, replicas: 0 };
  for (;;) {
    const next = merging && opts.resolve ? (opts.resolve(values) ?? UNCHANGED) : fn(current(values, opts.resolve));
    if (next === UNCHANGED) return { ...result, value, writes, settled: values.length <= 1 };
    tries++;
    try {
      result = await node.put(key, next, context, { w: opts.w, timeoutMs: opts.timeoutMs });
    } catch (err) {
      if (!(err instanceof QuorumError) || !opts.idempotent || tries >= attempts) throw err;
      ({ values, context } = await read());
      merging = false;
      continue;
    }
    writes++;
    value = next;
    if (!opts.resolve) return { ...result, value, writes, settled: false };
    ({ values, context } = await read());
    // Two writers that merged the same siblings at once write equal values as two versions: settled too.
    const settled = distinct(values) <= 1;
    if (settled || tries >= attempts) return { ...result, context, value, writes, settled };
    merging = true;
  }
}

function distinct(values: Json[]): number {
  return new Set(values.map(canonicalJson)).size;
}

/** What fn sees: undefined for no value, else the resolved value (or the siblings without resolve). */
function current<T>(values: Json[], resolve: ((siblings: Json[]) => T | undefined) | undefined): T | undefined {
  if (values.length === 0) return undefined;
  return resolve ? resolve(values) : (values as unknown as T);
}

function boundedAttempts(n: number | undefined): number {
  if (n === undefined) return 3;
  if (!Number.isInteger(n) || n < 1 || n > MAX_ATTEMPTS) throw new RangeError(`attempts must be an integer in 1..${MAX_ATTEMPTS}, got ${n}`);
  return n;
}

/** A read that retries a QuorumError up to `attempts` times in all. */
function retryReads(node: KeyValueNode, key: string, opts: UpdateOptions<unknown>, attempts: number) {
  return async () => {
    for (let i = 1; ; i++) {
      try {
        return await node.get(key, { r: opts.r, timeoutMs: opts.timeoutMs });
      } catch (err) {
        if (!(err instanceof QuorumError) || i >= attempts) throw err;
      }
    }
  };
}
