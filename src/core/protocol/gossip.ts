// Membership gossip on the wire (paper §4.8.1): a digest to compare, then whole states (gossip.ts).
// Not requests, so `id` is 0.

import { isBase, isChange, MAX_CHANGES, type Base, type Change } from './membership';
import { isDigest, type Validators } from './wire';

export type GossipMessage =
  | { type: 'gossip'; id: 0; digest: string; ack?: true }
  | { type: 'gossip-state'; id: 0; changes: Change[]; reply: boolean; base?: Base };

export const gossipValidators: Validators<GossipMessage> = {
  gossip: (m) => isDigest(m.digest) && (m.ack === undefined || m.ack === true),
  // At most MAX_CHANGES changes, seqs within MAX_SEQ, and a base checked in depth: its counts,
  // ranges, sorted unique ids, and a ring owned by its members.
  'gossip-state': (m) =>
    Array.isArray(m.changes) &&
    m.changes.length <= MAX_CHANGES &&
    m.changes.every(isChange) &&
    typeof m.reply === 'boolean' &&
    (m.base === undefined || isBase(m.base)),
};
