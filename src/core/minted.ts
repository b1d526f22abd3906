// What this node minted for keys it no longer holds a replica of, so it never reissues a dot.
//
// Public API
//   new MintLog(storage, merge)
//   .load(): Promise<void>                 which keys have a record (kept in memory; few)
//   .has(key)  .get(key): Promise<SiblingSet | undefined>
//   .record(key, set): Promise<void>       merged into what is kept, durable before it resolves
//
// Why. A coordinator makes a new version's dot from its own counter for the key, read from the set
// it holds. A node that once held the key and then lost it (a fallback whose hint was handed off, a
// former owner whose data moved to the new owner) would count from zero again and reissue a dot; a
// replica that had seen the first one would then drop the second as already seen, losing an
// acknowledged write (Riak's KV679). So whenever a node lets go of a key it minted or held, it keeps
// the set under `minted:<key>` and mints from it too. Reaping these records is anti-entropy's job.

import type { Storage } from '../ports/storage';
import { setToJson } from './replica';
import * as versions from './versions';
import type { SiblingSet } from './versions';

const PREFIX = 'minted:';

export class MintLog {
  private readonly keys = new Set<string>();

  constructor(
    private readonly storage: Storage,
    private readonly merge: (a: SiblingSet, b: SiblingSet) => SiblingSet,
  ) {}

  async load(): Promise<void> {
    for (const { name } of await this.storage.listMeta(PREFIX)) this.keys.add(name.slice(PREFIX.length));
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  async get(key: string): Promise<SiblingSet | undefined> {
    if (!this.keys.has(key)) return undefined;
    const raw = await this.storage.getMeta(PREFIX + key);
    if (raw === undefined) return undefined;
    try {
      return versions.fromJson(raw);
    } catch {
      return undefined;
    }
  }

  async record(key: string, set: SiblingSet): Promise<void> {
    const before = await this.get(key);
    await this.storage.putMeta(PREFIX + key, setToJson(before ? this.merge(before, set) : set));
    this.keys.add(key);
  }
}
