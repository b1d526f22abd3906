// The node's own counters for stats(): requests, errors by type, hints, repairs, latencies, and every
// dropped peer message by reason and by peer.
//
// Public API
//   new Counters(now?)                                         now: the clock reading phases use
//   .requests .errors .hints .repairs .messages .ringChanges   plain counters, bumped by the node
//   .latency.put / .latency.get                               LatencyLog (latency.ts)
//   .phases                                                   per-phase latencies (phases.ts)
//   .failed(err)                                              count a client request's typed error
//   .drop(reason, peer?)                                      a peer message dropped unapplied
//   .malformed(reason, peer)                                  one dropped because it failed the
//                                                             checksum or validation (messages.decode)
//   .snapshot()                                               copies for stats()
//
// Why by peer as well: one buggy or hostile tab sending bad frames must be visible as that tab.
// Why malformed apart from the other drops: a reply that comes after its request gave up is dropped
// too ('unmatched-reply'), and a slow but healthy peer sends those; only a message that fails the
// checksum or validation says the peer (or the link) is broken.

import type { NodeId } from '../ports/transport';
import { QuorumError, StorageFullError, ValidationError } from './errors';
import { LatencyLog } from './latency';
import { Phases } from './phases';

/** Peers tracked by name in dropsByPeer and malformedByPeer; the rest are summed under "other" (bounded memory). */
const MAX_PEERS_TRACKED = 64;

export class Counters {
  readonly requests = { put: 0, get: 0, delete: 0, forwarded: 0, degraded: 0 };
  readonly errors = { quorum: 0, validation: 0, storage: 0 };
  readonly hints = { stored: 0, delivered: 0 };
  readonly repairs = { read: 0 };
  // Null prototypes: a peer may well be called "__proto__".
  readonly messages = { received: 0, dropped: 0, dropReasons: dict(), dropsByPeer: dict(), malformedByPeer: dict() };
  ringChanges = 0;
  readonly latency = { put: new LatencyLog(), get: new LatencyLog() };
  readonly phases: Phases;

  constructor(now: () => number = () => 0) {
    this.phases = new Phases(now);
  }

  failed(err: unknown): void {
    if (err instanceof QuorumError) this.errors.quorum++;
    else if (err instanceof ValidationError) this.errors.validation++;
    else if (err instanceof StorageFullError) this.errors.storage++;
  }

  drop(reason: string, peer?: NodeId): void {
    const m = this.messages;
    m.dropped++;
    m.dropReasons[reason] = (m.dropReasons[reason] ?? 0) + 1;
    if (peer !== undefined) bump(m.dropsByPeer, peer);
  }

  malformed(reason: string, peer: NodeId): void {
    this.drop(reason, peer);
    bump(this.messages.malformedByPeer, peer);
  }

  snapshot() {
    const m = this.messages;
    return {
      requests: { ...this.requests },
      errors: { ...this.errors },
      latencyMs: { put: this.latency.put.summary(), get: this.latency.get.summary() },
      phasesMs: this.phases.summary(),
      repairs: { ...this.repairs },
      messages: { ...m, dropReasons: { ...m.dropReasons }, dropsByPeer: Object.assign(dict(), m.dropsByPeer), malformedByPeer: Object.assign(dict(), m.malformedByPeer) },
    };
  }
}

/** One more for `peer`, or for "other" once MAX_PEERS_TRACKED peers have a count. */
function bump(byPeer: Record<string, number>, peer: NodeId): void {
  const name = peer in byPeer || Object.keys(byPeer).length < MAX_PEERS_TRACKED ? peer : 'other';
  byPeer[name] = (byPeer[name] ?? 0) + 1;
}

function dict(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}
