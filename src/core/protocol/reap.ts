// The reap notice on the wire: a primary reaped these tombstones, confirmed on every primary
// (reaper.ts), and the receiver reaps the same sets. Not a request, so `id` is 0.

import { isDigest, isKey, isObject, type Digest, type Validators } from './wire';

export interface ReapItem {
  key: string;
  /** The digest of the exact set reaped; compared with the receiver's own, never parsed. */
  digest: Digest;
}
export type ReapMessage = { type: 'reaped'; id: number; items: ReapItem[] };

/** Items in one notice (the reaper sends far fewer at a time). */
const MAX_REAP_ITEMS = 1000;

export const reapValidators: Validators<ReapMessage> = {
  reaped: (m) =>
    Array.isArray(m.items) &&
    m.items.length <= MAX_REAP_ITEMS &&
    m.items.every((x) => isObject(x) && isKey(x.key) && isDigest(x.digest)),
};
