// The handoff on the wire (paper §4.6, §4.9): sets for the receiver to merge into its replica (hints
// held while it was down, a partition moving to it, an anti-entropy push), acknowledged so the sender
// can delete them. shipping.ts cuts every bulk transfer into these.

import { isDigest, isKey, isObject, type KeySet, type Validators } from './wire';

export type HandoffMessage =
  /**
   * `digest` is the sender's membership digest: a receiver whose view differs gossips at once, so
   * the two agree on the ring.
   */
  | { type: 'handoff'; id: number; sets: KeySet[]; digest?: string }
  /** `refused`: keys whose sets could not be merged here (refusals.ts); the rest were stored. */
  | { type: 'handoff-ack'; id: number; refused?: string[] };

/** Sets in one handoff: shipments carry at most SHIPMENT_KEYS (100); more is a peer's bug. */
const MAX_HANDOFF_SETS = 1000;

export const handoffValidators: Validators<HandoffMessage> = {
  handoff: (m) =>
    Array.isArray(m.sets) &&
    m.sets.length <= MAX_HANDOFF_SETS &&
    m.sets.every((s) => isObject(s) && isKey(s.key) && isObject(s.set)) &&
    (m.digest === undefined || isDigest(m.digest)),
  'handoff-ack': (m) => m.refused === undefined || (Array.isArray(m.refused) && m.refused.length <= MAX_HANDOFF_SETS && m.refused.every(isKey)),
};
