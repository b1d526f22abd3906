// What this node minted for keys it no longer holds a replica of, so it never reissues a dot.
//
// Public API
//   new MintLog(storage, merge, epoch?)      epoch: the actor's current epoch (actor.ts), default 0
//   .load(): Promise<void>                 which keys have a record (kept in memory; few)
//   .has(key)  .get(key): Promise<SiblingSet | undefined>
//   .record(key, set): Promise<void>       merged into what is kept, durable before it resolves
//   .dropOld(): Promise<number>            deletes the records of earlier epochs
//
// Why. A coordinator makes a new version's dot from its own counter for the key, read from the set
// it holds. A node that once held the key and then lost it (a fallback whose hint was handed off, a
// former owner whose data moved to the new owner) would count from zero again and reissue a dot; a
// replica that had seen the first one would then drop the second as already seen, losing an
// acknowledged write (Riak's KV679). So whenever a node lets go of a key it minted or held, it keeps
// the set under `minted:<key>` and mints from it too. The records matter only while the node mints
// under the actor that made them: a reap round moves it to a new epoch (actor.ts), and from then on
// records are kept per epoch (`minted@<epoch>:<key>`; epoch 0 keeps the old name) and the old ones
// are dropped. Separate names, not one record rewritten: a record made under the new epoch while
// the old ones are being deleted must survive.

import type { Storage } from '../ports/storage';
import { setToJson } from './replica';
import * as versions from './versions';
import type { SiblingSet } from './versions';

const PREFIX = 'minted';

export class MintLog {
  /** Keys with a record of the current epoch. */
  private readonly keys = new Set<string>();
  /** Names of records from earlier epochs, to delete. */
  private old: string[] = [];
  private loadedEpoch: number;

  constructor(
    private readonly storage: Storage,
    private readonly merge: (a: SiblingSet, b: SiblingSet) => SiblingSet,
    private readonly epoch: () => number = () => 0,
  ) {
    this.loadedEpoch = epoch();
  }

  async load(): Promise<void> {
    for (const { name } of await this.storage.listMeta(PREFIX)) {
      const parsed = parseName(name);
      if (!parsed) continue;
      if (parsed.epoch === this.epoch()) this.keys.add(parsed.key);
      else this.old.push(name);
    }
  }

  has(key: string): boolean {
    this.follow();
    return this.keys.has(key);
  }

  async get(key: string): Promise<SiblingSet | undefined> {
    if (!this.has(key)) return undefined;
    const raw = await this.storage.getMeta(nameOf(this.epoch(), key));
    if (raw === undefined) return undefined;
    try {
      return versions.fromJson(raw);
    } catch {
      return undefined;
    }
  }

  async record(key: string, set: SiblingSet): Promise<void> {
    const epoch = this.epoch();
    const before = await this.get(key);
    await this.storage.putMeta(nameOf(epoch, key), setToJson(before ? this.merge(before, set) : set));
    if (epoch === this.epoch()) this.keys.add(key);
  }

  async dropOld(): Promise<number> {
    this.follow();
    const names = this.old;
    this.old = [];
    for (const name of names) await this.storage.deleteMeta(name);
    return names.length;
  }

  /** The epoch moved on: this epoch's records become old ones. */
  private follow(): void {
    const epoch = this.epoch();
    if (epoch === this.loadedEpoch) return;
    for (const key of this.keys) this.old.push(nameOf(this.loadedEpoch, key));
    this.keys.clear();
    this.loadedEpoch = epoch;
  }
}

function nameOf(epoch: number, key: string): string {
  return epoch === 0 ? `${PREFIX}:${key}` : `${PREFIX}@${epoch}:${key}`;
}

function parseName(name: string): { epoch: number; key: string } | undefined {
  if (name.startsWith(`${PREFIX}:`)) return { epoch: 0, key: name.slice(PREFIX.length + 1) };
  const m = /^minted@(\d+):/.exec(name);
  return m ? { epoch: Number(m[1]), key: name.slice(m[0].length) } : undefined;
}
