// A local failure detector (paper §4.8.3): each node decides on its own whether a peer is up,
// suspect or down. No global view: A may see B down while C sees it up, and that is fine.
//
// Public API
//   new FailureDetector(clock, { suspectAfterTimeouts, suspectDownAfterMs })
//   .linkUp(peer)  .linkDown(peer)      the transport's heartbeat verdicts
//   .heard(peer)                        any message arrived from the peer
//   .timedOut(peer)                     a request to the peer passed its deadline unanswered
//   .status(peer): 'up'|'suspect'|'down'
//   .healthy(peer)                      up: worth sending requests to
//   .downFor(peer): number              ms this node has seen it down (0 if not down)
//   .resetDownTimes()                   after a clock jump (the machine slept): restart the count
//   autoRemovals(self, members, detector, afterMs): NodeId[]   who `self` should remove now
//
// Why two sources. The transport's heartbeat sees a closed or frozen tab (no pongs for 4 s); a tab
// whose channel is alive but whose node answers nothing (a stuck IndexedDB, an overloaded main
// thread) only shows in request timeouts. Such a peer is "suspect": skipped by the sloppy quorum, so
// requests stop waiting on it, but still sent gossip; any message from it makes it up again. A peer
// suspect for longer than `suspectDownAfterMs` counts as down.

import type { Clock } from '../ports/clock';
import type { NodeId } from '../ports/transport';

export type PeerStatus = 'up' | 'suspect' | 'down';

export interface FailureOptions {
  /** Consecutive unanswered requests that make a peer suspect. */
  suspectAfterTimeouts: number;
  /** A peer suspect this long is down. */
  suspectDownAfterMs: number;
}

interface PeerState {
  link: boolean;
  timeouts: number;
  suspectSince: number | undefined;
  /** When this node first saw it down (link lost, or never up since this node started). */
  downSince: number;
}

export class FailureDetector {
  private readonly peers = new Map<NodeId, PeerState>();
  private startedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly opts: FailureOptions,
  ) {
    this.startedAt = clock.now();
  }

  linkUp(peer: NodeId): void {
    const s = this.state(peer);
    s.link = true;
    this.clear(s);
  }

  linkDown(peer: NodeId): void {
    const s = this.state(peer);
    // Down by suspicion already: it has been down since then, not since the link went.
    if (s.link) s.downSince = this.status(peer) === 'down' ? (s.suspectSince ?? 0) + this.opts.suspectDownAfterMs : this.clock.now();
    s.link = false;
    this.clear(s);
  }

  heard(peer: NodeId): void {
    const s = this.peers.get(peer);
    if (s) this.clear(s);
  }

  timedOut(peer: NodeId): void {
    const s = this.state(peer);
    if (!s.link) return;
    s.timeouts++;
    if (s.timeouts >= this.opts.suspectAfterTimeouts && s.suspectSince === undefined) s.suspectSince = this.clock.now();
  }

  status(peer: NodeId): PeerStatus {
    const s = this.peers.get(peer);
    if (!s || !s.link) return 'down';
    if (s.suspectSince === undefined) return 'up';
    return this.clock.now() - s.suspectSince >= this.opts.suspectDownAfterMs ? 'down' : 'suspect';
  }

  healthy(peer: NodeId): boolean {
    const s = this.peers.get(peer);
    return s !== undefined && s.link && s.suspectSince === undefined;
  }

  downFor(peer: NodeId): number {
    const s = this.peers.get(peer);
    if (!s) return this.clock.now() - this.startedAt;
    if (this.status(peer) !== 'down') return 0;
    const since = s.link ? (s.suspectSince ?? 0) + this.opts.suspectDownAfterMs : s.downSince;
    return this.clock.now() - since;
  }

  resetDownTimes(): void {
    const now = this.clock.now();
    for (const s of this.peers.values()) {
      if (!s.link) s.downSince = now;
      if (s.suspectSince !== undefined) s.suspectSince = now;
    }
    this.startedAt = now;
  }

  private clear(s: PeerState): void {
    s.timeouts = 0;
    s.suspectSince = undefined;
  }

  private state(peer: NodeId): PeerState {
    let s = this.peers.get(peer);
    if (!s) {
      s = { link: false, timeouts: 0, suspectSince: undefined, downSince: this.startedAt };
      this.peers.set(peer, s);
    }
    return s;
  }
}

/**
 * The members `self` should remove for having been down `afterMs` or longer. Only the smallest id
 * among the members it sees up does it, so two nodes do not remove in parallel; and only while it
 * sees a majority up, since a node that sees most of the ring down is more likely cut off than the
 * rest all gone. `members` must be sorted.
 */
export function autoRemovals(self: NodeId, members: readonly NodeId[], detector: FailureDetector, afterMs: number): NodeId[] {
  if (afterMs <= 0 || !members.includes(self)) return [];
  const up = members.filter((m) => m === self || detector.status(m) === 'up');
  if (up[0] !== self || up.length * 2 <= members.length) return [];
  return members.filter((m) => m !== self && detector.downFor(m) >= afterMs);
}
