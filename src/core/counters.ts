// The node's own counters for stats(): requests, errors by type, hints, repairs, latencies, and every
// dropped peer message by reason and by peer.
//
// Public API
//   new Counters()
//   .requests .errors .hints .repairs .messages .ringChanges   plain counters, bumped by the node
//   .latency.put / .latency.get                               LatencyLog (latency.ts)
//   .failed(err)                                              count a client request's typed error
//   .drop(reason, peer?)                                      a peer message dropped unapplied
//   .snapshot()                                               copies for stats()
//
// Why by peer as well: one buggy or hostile tab sending bad frames must be visible as that tab.

import type { NodeId } from '../ports/transport';
import { QuorumError, StorageFullError, ValidationError } from './errors';
import { LatencyLog } from './latency';

/** Peers tracked by name in dropsByPeer; the rest are summed under "other" (bounded memory). */
const MAX_PEERS_TRACKED = 64;

export class Counters {
  readonly requests = { put: 0, get: 0, delete: 0, forwarded: 0, degraded: 0 };
  readonly errors = { quorum: 0, validation: 0, storage: 0 };
  readonly hints = { stored: 0, delivered: 0 };
  readonly repairs = { read: 0 };
  // Null prototypes: a peer may well be called "__proto__".
  readonly messages = { received: 0, dropped: 0, dropReasons: dict(), dropsByPeer: dict() };
  ringChanges = 0;
  readonly latency = { put: new LatencyLog(), get: new LatencyLog() };

  failed(err: unknown): void {
    if (err instanceof QuorumError) this.errors.quorum++;
    else if (err instanceof ValidationError) this.errors.validation++;
    else if (err instanceof StorageFullError) this.errors.storage++;
  }

  drop(reason: string, peer?: NodeId): void {
    const m = this.messages;
    m.dropped++;
    m.dropReasons[reason] = (m.dropReasons[reason] ?? 0) + 1;
    if (peer === undefined) return;
    const name = peer in m.dropsByPeer || Object.keys(m.dropsByPeer).length < MAX_PEERS_TRACKED ? peer : 'other';
    m.dropsByPeer[name] = (m.dropsByPeer[name] ?? 0) + 1;
  }

  snapshot() {
    const m = this.messages;
    return {
      requests: { ...this.requests },
      errors: { ...this.errors },
      latencyMs: { put: this.latency.put.summary(), get: this.latency.get.summary() },
      repairs: { ...this.repairs },
      messages: { ...m, dropReasons: { ...m.dropReasons }, dropsByPeer: Object.assign(dict(), m.dropsByPeer) },
    };
  }
}

function dict(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}
