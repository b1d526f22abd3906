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
//   .refused                      changes of peers' states not taken in (over the limits below)
//   admit(view, from, state)      what of a peer's state a view takes in (exported for tests)
//   MAX_NEW_MEMBERS, MAX_STRANGER_CHANGES, MAX_SEQ_JUMP
//
// Protocol, push-pull in at most three messages. A sends its digest; B, if its own differs, answers
// with its state (base and the changes above it) and asks for A's; A merges and, if B lacked
// something, sends its state back. Equal views cost two small messages per round: B acknowledges, so
// that every round is also a liveness probe (a peer suspected after timeouts is up again as soon as it
// answers; without the answer, two nodes suspecting each other would never speak again). An equal
// digest is also the evidence compaction waits for (MembershipView.agree). Push-pull with a random
// peer spreads news to all S nodes in O(log S) rounds.
//
// Bounded work per message. A view compacts its history to at most a hundred-odd changes above a base
// (membership.ts), so sending state whole stays cheaper than computing deltas, and one message carries
// at most MAX_CHANGES (the validator). What an honest peer sends bounds what a view takes from one:
//   - at most MAX_NEW_MEMBERS joins of nodes that are not members here: only two halves of a
//     partition that each grew, or a newcomer learning a room that never compacted, see many at once,
//     and both still converge, a few dozen per exchange, since every exchange resends the rest;
//   - from a sender that is not a member here, at most MAX_STRANGER_CHANGES new changes, its own
//     first, and never its base: a newcomer has only its own join to tell, and what else it carries it
//     learnt from members, who will tell it too. (A view that has learnt nothing yet, a newcomer,
//     takes a stranger's state, base included: somebody has to teach it the room.)
// So one message folds at most MAX_NEW_MEMBERS new members and refolds at most the changes above the
// base, and a non-member's flood of 1,000 joins leaves at most 16 of them behind.
//   - no change numbered more than MAX_SEQ_JUMP above everything known: an honest seq is one more
//     than something its proposer knew, and the gap it leaves is at most the history in between.
// The refused rest is counted (`refused`), not an error: the next exchange offers it again.
//
// The signaling server is not involved: it only introduced the peers. Gossip rides the data
// channels, so membership keeps flowing when the server goes away.

import type { Clock } from '../ports/clock';
import { randomInt, type Random } from '../ports/random';
import type { NodeId } from '../ports/transport';
import { beats } from './membership-base';
import { changeKey } from './membership-fold';
import type { MembershipView } from './membership';
import type { GossipMessage } from './protocol/gossip';
import type { Base, Change } from './protocol/membership';
type StateMessage = Extract<GossipMessage, { type: 'gossip-state' }>;

/** Joins of non-members one message may bring in (a room holds at most a few hundred tabs). */
export const MAX_NEW_MEMBERS = 64;
/**
 * New changes taken from a sender that is not a member here. A newcomer's own news is one change; a
 * few more let it pass on what it just learnt (with 4, 200 tabs that meet at once took 16 gossip
 * rounds to agree instead of 7; with 16, 10).
 */
export const MAX_STRANGER_CHANGES = 16;
/** How far above everything known a change may be numbered (a million changes of history). */
export const MAX_SEQ_JUMP = 2 ** 20;

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
  refused = 0;
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
      if (msg.digest !== view.digest) return this.sendState(from, true);
      view.agree(from);
      if (!msg.ack) this.deps.send(from, { type: 'gossip', id: 0, digest: view.digest, ack: true });
      return;
    }
    const ownBefore = view.own;
    const taken = admit(view, from, msg);
    this.refused += taken.refused;
    if (view.merge(taken.changes, taken.base)) this.deps.onNews();
    // Answer what they asked for; or, unasked, our own join that their base made us number again.
    if ((msg.reply && theyLack(view, msg)) || view.own !== ownBefore) this.sendState(from, false);
  }

  private sendState(to: NodeId, reply: boolean): void {
    const view = this.deps.view();
    const msg: StateMessage = { type: 'gossip-state', id: 0, changes: [...view.changes()], reply };
    if (view.base !== undefined) msg.base = view.base;
    this.deps.send(to, msg);
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

export interface Admitted {
  changes: Change[];
  base: Base | undefined;
  /** New changes left out (over a limit); the sender will offer them again. */
  refused: number;
}

/** What `view` takes from a peer's state, within the per-message limits above. */
export function admit(view: MembershipView, from: NodeId, msg: { changes: readonly Change[]; base?: Base }): Admitted {
  const learning = view.base === undefined && view.changes().length <= 1;
  const trusted = learning || view.isMember(from);
  let base = msg.base;
  if (base !== undefined && (!trusted || !beats(base, view.base) || (!learning && base.seq > view.maxSeq + MAX_SEQ_JUMP))) {
    base = undefined;
  }
  const floor = Math.max(view.baseSeq, base?.seq ?? 0);
  const ceiling = Math.max(view.maxSeq, floor) + MAX_SEQ_JUMP;
  const news = newChanges(view, msg.changes, floor);
  // A stranger's own changes first: its join is what it has to tell.
  if (!trusted) news.sort((a, b) => Number(b.node === from) - Number(a.node === from));
  const out: Change[] = [];
  const joining = new Set<NodeId>();
  for (const c of news) {
    if (c.seq > ceiling || (!trusted && out.length >= MAX_STRANGER_CHANGES)) continue;
    if (c.kind === 'join' && !view.isMember(c.node) && !joining.has(c.node)) {
      if (joining.size >= MAX_NEW_MEMBERS) continue;
      joining.add(c.node);
    }
    out.push(c);
  }
  return { changes: out, base, refused: news.length - out.length };
}

/** The distinct changes of `changes` above `floor` that `view` does not hold. */
function newChanges(view: MembershipView, changes: readonly Change[], floor: number): Change[] {
  const seen = new Set<string>();
  const out: Change[] = [];
  for (const c of changes) {
    if (c.seq <= floor || view.has(c)) continue;
    const k = changeKey(c);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(c);
  }
  return out;
}

/** Whether the sender of `msg` lacks something we hold: a better base or a change above its base. */
function theyLack(view: MembershipView, msg: StateMessage): boolean {
  if (view.base !== undefined && beats(view.base, msg.base)) return true;
  const theirBase = msg.base?.seq ?? 0;
  const sent = new Set(msg.changes.map(changeKey));
  return view.changes().some((c) => c.seq > theirBase && !sent.has(changeKey(c)));
}
