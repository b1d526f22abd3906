// What node.stats() reports: the node's own counters (counters.ts) joined with each part's.

import type { Counters } from './counters';
import type { MembershipView } from './membership';
import type { NodeStats } from './node-config';
import type { Parts } from './parts';

export function nodeStats(parts: Parts, counters: Counters, view: MembershipView, epoch: number): NodeStats {
  const { hints, gossip, transfers, aae, reaper, refusals } = parts;
  return {
    ...counters.snapshot(),
    hints: { pending: hints.count(), ...counters.hints },
    membership: { members: view.members().length, changes: view.changes().length, gossipRounds: gossip.rounds, ringChanges: counters.ringChanges, refused: gossip.refused },
    transfer: transfers.stats(),
    unmergeable: refusals.stats(),
    antiEntropy: aae.stats(),
    reaping: { ...reaper.stats(), epoch },
  };
}
