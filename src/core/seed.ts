// Bulk-loading keys never written, for benchmarks and tests: each entry this node is a primary of is
// stored as one version with the fixed dot (seed, 1), so every replica seeding the same entries holds
// the same set, equal Merkle trees and all, with no message sent. Two different seeds of one key share
// a dot and only one survives: meant for keys never written.
//
// Public API
//   seedEntries(entries, placement, replica, versioning): Promise<number>   how many it stored

import type { Json } from '../ports/storage';
import { emptyContext } from './context';
import { partitionOf } from './hash';
import type { Placement } from './placement';
import type { ReplicaStore, Versioning } from './replica';
import { ValidationError } from './errors';
import { checkKey, checkValue } from './validate';
import * as versions from './versions';

/** Keys stored at a time: concurrent writes share IndexedDB transactions (group commit). */
const SEED_BATCH = 500;

export async function seedEntries(
  entries: ReadonlyArray<{ key: string; value: Json }>,
  placement: Pick<Placement, 'replicates' | 'walk'>,
  replica: ReplicaStore,
  v: Versioning,
): Promise<number> {
  if (!Array.isArray(entries)) throw new ValidationError('seed: entries must be an array');
  const checked = entries.map(({ key, value }) => {
    checkKey(key);
    return { key, value: checkValue(value) };
  });
  const q = replica.q;
  const mine = checked.filter(({ key }) => placement.replicates(partitionOf(key, q)));
  for (let i = 0; i < mine.length; i += SEED_BATCH) {
    const batch = mine.slice(i, i + SEED_BATCH);
    await Promise.all(batch.map(({ key, value }) => replica.merge(key, v.put(versions.empty(), { coordinator: 'seed', context: emptyContext(), now: 0, value }).set)));
  }
  return mine.length;
}
