// Gossip of membership histories (paper §4.8.1): every interval, reconcile with one random live peer.
//
// Public API
//   new Gossip(deps)
//   .start()  .stop()
//   .round()                      one exchange with a random live peer (the timer calls it)
//   .push(peer)                   offer our digest to one peer now (a link came up, a local change)
//   .announce(peer)               send our whole history now, unasked (a node about to stop)
//   .handle(from, msg)            'gossip' and 'gossip-state' messages
//   .rounds                       rounds started so far (for convergence measurements)
//
// Protocol, push-pull in at most three messages. A sends its digest; B, if its own differs, answers
// with its whole history and asks for A's; A merges and, if B lacked something, sends its history
// back. Equal views cost two small messages per round: B acknowledges, so that every round is also
// a liveness probe (a peer suspected after timeouts is up again as soon as it answers; without the
// answer, two nodes suspecting each other would never speak again). Histories are a few hundred changes at most
// (tabs in a room), so sending them whole is cheaper than computing deltas. Push-pull with a random
// peer spreads news to all S nodes in O(log S) rounds.
//
// The signaling server is not involved: it only introduced the peers. Gossip rides the data
// channels, so membership keeps flowing when the server goes away.

import type { Clock } from '../ports/clock';
import { randomInt, type Random } from '../ports/random';
import type { NodeId } from '../ports/transport';
import type { Change, MembershipView } from './membership';

export type GossipMessage =
  | { type: 'gossip'; id: 0; digest: string; ack?: true }
  | { type: 'gossip-state'; id: 0; changes: Change[]; reply: boolean };

export interface GossipDeps {
  clock: Clock;
  random: Random;
  intervalMs: number;
  view(): MembershipView;
  /** Peers whose link is up, excluding this node (suspects too: the round probes them). */
  peers(): NodeId[];
  send(to: NodeId, msg: GossipMessage): void;
  /** The view gained changes from a peer (persist it, recompute the ring). */
  onNews(): void;
}

export class Gossip {
  rounds = 0;
  private cancel: () => void = () => {};
  private stopped = false;

  constructor(private readonly deps: GossipDeps) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  round(): void {
    const peers = this.deps.peers();
    if (peers.length === 0) return;
    this.rounds++;
    this.push(peers[randomInt(this.deps.random, peers.length)]!);
  }

  push(peer: NodeId): void {
    this.deps.send(peer, { type: 'gossip', id: 0, digest: this.deps.view().digest });
  }

  /** Sends our whole history unasked: a node about to stop could not answer a peer that asked later. */
  announce(peer: NodeId): void {
    this.sendState(peer, false);
  }

  handle(from: NodeId, msg: GossipMessage): void {
    const view = this.deps.view();
    if (msg.type === 'gossip') {
      if (msg.digest !== view.digest) this.sendState(from, true);
      else if (!msg.ack) this.deps.send(from, { type: 'gossip', id: 0, digest: view.digest, ack: true });
      return;
    }
    if (view.merge(msg.changes)) this.deps.onNews();
    // After the union ours holds theirs; more changes than they sent means they lack some.
    if (msg.reply && view.changes().length > distinctCount(view, msg.changes)) this.sendState(from, false);
  }

  private sendState(to: NodeId, reply: boolean): void {
    this.deps.send(to, { type: 'gossip-state', id: 0, changes: [...this.deps.view().changes()], reply });
  }

  private schedule(): void {
    // Jitter keeps nodes that started together from gossiping in lockstep.
    const { intervalMs } = this.deps;
    const delay = intervalMs * (0.75 + this.deps.random.next() / 2);
    this.cancel = this.deps.clock.setTimer(delay, () => {
      if (this.stopped) return;
      this.round();
      this.schedule();
    });
  }
}

/** How many of `changes` are distinct entries of `view` (all are, once merged). */
function distinctCount(view: MembershipView, changes: readonly Change[]): number {
  const seen = new Set<string>();
  for (const c of changes) if (view.has(c)) seen.add(`${c.seq}\u0000${c.by}\u0000${c.node}\u0000${c.kind}`);
  return seen.size;
}
