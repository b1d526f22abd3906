// A node's own replica of the keys it holds: sibling sets in the Storage port, one
// read-merge-write at a time per key (paper §4.4, §5: each replica applies writes durably).
//
// Public API
//   type Versioning, DVV, LWW                  how sets are written and merged (LWW: negative control)
//   new ReplicaStore(storage, q, versioning?)
//   .read(key): Promise<SiblingSet | undefined>
//   .update(key, fn): Promise<SiblingSet>     serialized per key; fn sees the durable current set
//                                             (a result that could not be read back or shipped is refused: ValidationError)
//   .merge(key, set): Promise<{ set, changed }>
//   .exclusive(key, task): Promise<T>        runs task under the key's lock, writing nothing itself
//
// Why serialize per key: a coordinator mints a dot from its durable set (versions.put), and a
// replica merges incoming sets into what it has. Two of these interleaved on one key would each
// start from the same old set and the second write would lose the first.

import type { Json, Storage } from '../ports/storage';
import { partitionOf } from './hash';
import * as versions from './versions';
import type { SiblingSet } from './versions';

export interface Versioning {
  put: typeof versions.put;
  merge: typeof versions.merge;
}
export const DVV: Versioning = { put: versions.put, merge: versions.merge };
/** Last-writer-wins: loses concurrent writes by design. Only for proving the checkers can fail. */
export const LWW: Versioning = { put: versions.lwwPut, merge: versions.lwwMerge };

export function setToJson(set: SiblingSet): Json {
  return versions.toJson(set) as unknown as Json;
}

export class ReplicaStore {
  private locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly storage: Storage,
    readonly q: number,
    readonly versioning: Versioning = DVV,
  ) {}

  async read(key: string): Promise<SiblingSet | undefined> {
    const rec = await this.storage.get(key);
    return rec ? versions.fromJson(rec.value) : undefined;
  }

  /**
   * Applies `fn` to the key's current set and stores the result durably before resolving: one
   * read-modify-write in the storage (Storage.update), where fn may run inside its transaction.
   */
  update(key: string, fn: (current: SiblingSet) => SiblingSet): Promise<SiblingSet> {
    return this.serialized(key, async () => {
      let next: SiblingSet | undefined;
      await this.storage.update(key, partitionOf(key, this.q), (record) => {
        const current = record ? versions.fromJson(record.value) : versions.empty();
        next = fn(current);
        if (next === current) return undefined;
        versions.checkStorable(next);
        return setToJson(next);
      });
      return next as SiblingSet;
    });
  }

  /** Merges a set received from another replica; `changed` says whether anything new arrived. */
  async merge(key: string, incoming: SiblingSet): Promise<{ set: SiblingSet; changed: boolean }> {
    let changed = false;
    const set = await this.update(key, (current) => {
      const merged = this.versioning.merge(current, incoming);
      changed = !versions.equals(merged, current);
      return changed ? merged : current;
    });
    return { set, changed };
  }

  /** Runs `task` alone among this key's updates (a fallback minting for a key it holds no replica of). */
  exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.serialized(key, task);
  }

  private serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key);
    const run = prev ? prev.then(task, task) : start(task);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }
}

function start<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (err) {
    return Promise.reject(err);
  }
}
