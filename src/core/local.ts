// What this node holds for a key (paper §4.5, §4.6): its own replica merged with the hints it keeps
// for others, and how a set sent by a peer (a replicated write, read repair, handoff, transfer or
// anti-entropy push) is applied here.
//
// Public API
//   new Local(deps)
//   .view(key): Promise<SiblingSet>            replica ∪ hints: what a read must see
//   .viewJson(key): Promise<Json | null>       the same as the wire wants it (stored JSON untouched
//                                              when there is no hint to merge)
//   .apply(key, set, hintFor?, from?)          store an incoming set: as a hint for `hintFor`, or
//                                              merged into the replica; a reaped key's echo is refused
//                                              and its sender reminded
//   .applyAll(sets, from): Promise<string[]>   a handoff's sets; resolves to the keys refused for
//                                              good (their merge could not be stored)
//   mergeAll(base, others, versioning)

import type { Json, Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import { ValidationError } from './errors';
import type { HintStore } from './handoff';
import type { ReapItem } from './protocol/reap';
import type { ReplicaStore, Versioning } from './replica';
import { setToJson } from './replica';
import * as versions from './versions';
import type { SiblingSet } from './versions';

export interface LocalDeps {
  self: NodeId;
  storage: Storage;
  replica: ReplicaStore;
  hints: HintStore;
  versioning: Versioning;
  /** The reap notice for a set this node reaped already (reaper.ts), if it is one. */
  wasReaped(key: string, set: SiblingSet): ReapItem | undefined;
  /** A replica still pushing a reaped key back: remind it instead of keeping the key again. */
  remindReaped(to: NodeId, item: ReapItem): void;
  /** The replica's set for `key` changed (the node's 'change' event). */
  changed(key: string): void;
  /** A hint was stored (counted in stats). */
  hinted(): void;
}

export class Local {
  constructor(private readonly deps: LocalDeps) {}

  async view(key: string): Promise<SiblingSet> {
    const own = (await this.deps.replica.read(key)) ?? versions.empty();
    return mergeAll(own, this.deps.hints.forKey(key), this.deps.versioning);
  }

  async viewJson(key: string): Promise<Json | null> {
    if (this.deps.hints.forKey(key).length > 0) return setToJson(await this.view(key));
    return (await this.deps.storage.get(key))?.value ?? null;
  }

  async apply(key: string, set: SiblingSet, hintFor?: NodeId, from?: NodeId): Promise<void> {
    const d = this.deps;
    if (hintFor && hintFor !== d.self) {
      await d.hints.add(hintFor, key, set);
      d.hinted();
      return;
    }
    const reaped = d.wasReaped(key, set);
    if (reaped) {
      if (from !== undefined && from !== d.self) d.remindReaped(from, reaped);
      return;
    }
    const { changed } = await d.replica.merge(key, set);
    if (changed) d.changed(key);
  }

  /**
   * Applies a handoff's sets all at once (keys are independent, each has its own lock, and
   * concurrent writes share IndexedDB transactions). Resolves to the keys refused for good: a set
   * whose merge here could not be stored (ValidationError) can never be taken, so it must not hold
   * back the rest; the ack names them, and the sender keeps them parked (refusals.ts). Any other
   * failure (a full disk, closing) rejects: the sender keeps the lot.
   */
  async applyAll(sets: ReadonlyArray<{ key: string; set: SiblingSet }>, from: NodeId): Promise<string[]> {
    const results = await Promise.allSettled(sets.map(({ key, set }) => this.apply(key, set, undefined, from)));
    const refused: string[] = [];
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!;
      if (r.status === 'fulfilled') continue;
      if (!(r.reason instanceof ValidationError)) throw r.reason;
      refused.push(sets[i]!.key);
    }
    return refused;
  }
}

export function mergeAll(base: SiblingSet, others: readonly SiblingSet[], v: Versioning): SiblingSet {
  return others.reduce((acc, s) => v.merge(acc, s), base);
}
