// Failure detection (paper §4.8.3): the whole policy for deciding, locally, whether a peer is up,
// suspect or down, on the Clock port. No global view: A may see B down while C sees it up.
//
// Public API
//   new Liveness({ clock, transport, options, send, onChange })
//   .transport                          the transport to send through: it counts sends (see heartbeats)
//   .start()  .stop()                   the heartbeat timer and the transport's hints
//   .linkUp(peer)  .linkDown(peer)      the transport saw a channel open / close
//   .heard(peer)                        any message arrived from the peer
//   .sent(peer)                         this node sent the peer something (.transport reports it)
//   .handle(from, ping|pong)            a heartbeat message; a ping is answered at once
//   .hint(peer)                         the signaling server saw the peer leave: probe it now
//   .timedOut(peer)                     a request to the peer passed its deadline unanswered
//   .setHidden(hidden)  .hiddenPeers()  this tab's visibility, announced; peers that said they are hidden
//   .status(peer): 'up'|'suspect'|'down'   .healthy(peer)   .downFor(peer)   .resetDownTimes()
//   autoRemovals(self, members, liveness, afterMs): NodeId[]   who `self` should remove now
//   LivenessOptions  DEFAULT_LIVENESS   (heartbeats on the wire: protocol/liveness.ts)
//
// One policy, one file: this file also decides who is auto-removed after a long outage
// (autoRemovals), since that is a verdict on liveness; membership.ts only records the removal.
//
// What counts as evidence. Transports report only what they see: a channel opened or closed (a
// closing tab says goodbye, so a clean close is down at once), a message arrived, and, as a hint, that
// the signaling server saw the peer leave. Everything else is decided here:
//   - silence: a peer heard nothing from for `deadAfterMs` is down and its link is dropped
//     (transport.disconnect; the adapter may reconnect later). A crashed tab, a cut network and a
//     frozen tab all look like this. An idle link is kept talking by heartbeats: a ping to each peer
//     this node sent nothing to in the last `heartbeatMs` (a busy link needs none), answered with a pong.
//   - hidden tabs: Chrome throttles a hidden tab's timers and may freeze it briefly, but delivers its
//     message events on time. So a ping is answered from the message handler, never from a timer, and a
//     hidden tab says so (`hidden` on its heartbeats); its peers then allow it `hiddenDeadAfterMs`, past
//     Chrome's one-minute timer wake-ups, so a background tab does not flap and set off handoff each time.
//   - request timeouts: a tab whose channel is alive but whose node answers nothing in time (an
//     overloaded main thread, a stuck IndexedDB) only shows there. `suspectAfterTimeouts` in a row
//     make it suspect: skipped by the sloppy quorum, so requests stop waiting on it, and probed with
//     a ping at once. Any message from it makes it up again; suspect for `suspectDownAfterMs` is down.
//   - the "peer may be gone" hint: probe at once; no answer within `probeMs` is down.
//   - clock jumps: a heartbeat timer this late means this node was not running (the machine slept, the
//     tab was frozen): the silence meanwhile says nothing about the peers, and down times restart.

import type { Clock, CancelTimer } from '../ports/clock';
import type { NodeId, Transport, Unsubscribe } from '../ports/transport';
import type { LivenessMessage } from './protocol/liveness';
import type { Mutants } from './mutants';

export type PeerStatus = 'up' | 'suspect' | 'down';

export interface LivenessOptions {
  /** A ping goes to every peer this node sent nothing to for this long; also the check period. */
  heartbeatMs: number;
  /** Silence after which a peer is down; so a dead peer is down within deadAfterMs + heartbeatMs. */
  deadAfterMs: number;
  /** The same for a peer that said its tab is hidden. */
  hiddenDeadAfterMs: number;
  /** After a hint that the peer left, it must answer a probe within this long to stay up. */
  probeMs: number;
  /** Consecutive unanswered requests that make a peer suspect. */
  suspectAfterTimeouts: number;
  /** A peer suspect this long is down. */
  suspectDownAfterMs: number;
}

export const DEFAULT_LIVENESS: Readonly<LivenessOptions> = Object.freeze({
  heartbeatMs: 1000,
  deadAfterMs: 4000,
  hiddenDeadAfterMs: 65_000,
  probeMs: 1000,
  suspectAfterTimeouts: 2,
  suspectDownAfterMs: 5000,
});

export interface LivenessDeps {
  clock: Clock;
  /** Used for disconnect and hints; sends go through `send`, which the node routes back via .transport. */
  transport: Transport;
  options: LivenessOptions;
  /** Sends a heartbeat the way the node sends everything (encoded, through .transport). */
  send(to: NodeId, msg: LivenessMessage): void;
  /** A peer's status changed (for UIs: the node's 'members' event). */
  onChange(): void;
  /** 'never-suspect' (mutants.ts, the simulator only): silence and timeouts are ignored. */
  mutants?: Mutants;
}

interface PeerState {
  link: boolean;
  lastHeard: number;
  lastSent: number;
  /** The peer said its tab is hidden (on this link). */
  hidden: boolean;
  timeouts: number;
  suspectSince: number | undefined;
  /** When this node first saw it down (link lost, or never up since this node started). */
  downSince: number;
  /** The pending probe's token; 0 when none. Hearing anything answers it. */
  probe: number;
}

export class Liveness {
  readonly transport: Transport;
  private readonly peers = new Map<NodeId, PeerState>();
  private readonly clock: Clock;
  private readonly o: LivenessOptions;
  private startedAt: number;
  private lastBeat: number;
  private hidden = false;
  private probes = 0;
  private running = false;
  private cancelBeat: CancelTimer = () => {};
  private unsubscribe: Unsubscribe = () => {};

  private readonly suspects: boolean;

  constructor(private readonly deps: LivenessDeps) {
    this.clock = deps.clock;
    this.o = deps.options;
    this.startedAt = this.lastBeat = deps.clock.now();
    this.transport = new SendCounter(deps.transport, (to) => this.sent(to));
    this.suspects = !deps.mutants?.has('never-suspect');
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastBeat = this.clock.now();
    this.unsubscribe = this.deps.transport.onPeerHint?.((peer) => this.hint(peer)) ?? (() => {});
    this.scheduleBeat();
  }

  stop(): void {
    this.running = false;
    this.cancelBeat();
    this.unsubscribe();
  }

  // --- evidence -------------------------------------------------------------------------------

  linkUp(peer: NodeId): void {
    const s = this.state(peer);
    const now = this.clock.now();
    s.link = true;
    s.lastHeard = now;
    s.hidden = false;
    s.probe = 0;
    this.clear(s);
    // A new peer learns at once that this tab is hidden (a visible tab's first ping says nothing new).
    if (this.hidden) this.ping(peer);
  }

  linkDown(peer: NodeId): void {
    const s = this.state(peer);
    // Down by suspicion already: it has been down since then, not since the link went.
    if (s.link) s.downSince = this.status(peer) === 'down' ? (s.suspectSince ?? 0) + this.o.suspectDownAfterMs : this.clock.now();
    s.link = false;
    s.hidden = false;
    this.clear(s);
  }

  heard(peer: NodeId): void {
    const s = this.peers.get(peer);
    if (!s) return;
    s.lastHeard = this.clock.now();
    s.probe = 0;
    if (s.timeouts > 0 || s.suspectSince !== undefined) {
      const was = this.status(peer);
      this.clear(s);
      if (was !== 'up' && s.link) this.deps.onChange();
    }
  }

  sent(peer: NodeId): void {
    const s = this.peers.get(peer);
    if (s) s.lastSent = this.clock.now();
  }

  /** Called from the message handler, so a hidden tab whose timers are throttled still answers. */
  handle(from: NodeId, msg: LivenessMessage): void {
    const s = this.peers.get(from);
    if (s?.link) s.hidden = msg.hidden === true;
    if (msg.type === 'ping') this.deps.send(from, this.heartbeat('pong'));
  }

  hint(peer: NodeId): void {
    const s = this.peers.get(peer);
    if (!this.running || !s?.link) return;
    const token = ++this.probes;
    s.probe = token;
    this.ping(peer);
    this.clock.setTimer(this.o.probeMs, () => {
      if (this.running && s.probe === token && s.link) this.dead(peer, s);
    });
  }

  timedOut(peer: NodeId): void {
    const s = this.peers.get(peer);
    if (!s?.link || !this.suspects) return;
    s.timeouts++;
    if (s.timeouts < this.o.suspectAfterTimeouts) return;
    // Probe at once: any answer clears the suspicion (the next heartbeat may be a second away).
    this.ping(peer);
    if (s.suspectSince !== undefined) return;
    s.suspectSince = this.clock.now();
    this.deps.onChange();
  }

  setHidden(hidden: boolean): void {
    if (this.hidden === hidden) return;
    this.hidden = hidden;
    for (const [peer, s] of this.peers) if (s.link) this.ping(peer);
  }

  hiddenPeers(): NodeId[] {
    const out: NodeId[] = [];
    for (const [peer, s] of this.peers) if (s.link && s.hidden) out.push(peer);
    return out;
  }

  // --- verdicts -------------------------------------------------------------------------------

  status(peer: NodeId): PeerStatus {
    const s = this.peers.get(peer);
    if (!s || !s.link) return 'down';
    if (s.suspectSince === undefined) return 'up';
    return this.clock.now() - s.suspectSince >= this.o.suspectDownAfterMs ? 'down' : 'suspect';
  }

  /** Up: worth sending requests to. */
  healthy(peer: NodeId): boolean {
    const s = this.peers.get(peer);
    return s !== undefined && s.link && s.suspectSince === undefined;
  }

  /** Ms this node has seen the peer down (0 if it is not down). */
  downFor(peer: NodeId): number {
    const s = this.peers.get(peer);
    if (!s) return this.clock.now() - this.startedAt;
    if (this.status(peer) !== 'down') return 0;
    const since = s.link ? (s.suspectSince ?? 0) + this.o.suspectDownAfterMs : s.downSince;
    return this.clock.now() - since;
  }

  /** After a clock jump: down times, suspicions and silences all restart from now. */
  resetDownTimes(): void {
    const now = this.clock.now();
    for (const s of this.peers.values()) {
      if (!s.link) s.downSince = now;
      if (s.suspectSince !== undefined) s.suspectSince = now;
      s.lastHeard = now;
    }
    this.startedAt = now;
  }

  // --- heartbeats -----------------------------------------------------------------------------

  private scheduleBeat(): void {
    this.cancelBeat = this.clock.setTimer(this.o.heartbeatMs, () => {
      if (!this.running) return;
      this.beat();
      this.scheduleBeat();
    });
  }

  private beat(): void {
    const now = this.clock.now();
    const late = now - this.lastBeat;
    this.lastBeat = now;
    // Not running for that long: the timer says nothing about the peers (see the header).
    if (late > this.o.heartbeatMs * 10 + 10_000) return this.resetDownTimes();
    if (late > this.o.deadAfterMs) for (const s of this.peers.values()) s.lastHeard = now;
    for (const [peer, s] of this.peers) {
      if (!s.link) continue;
      if (this.suspects && now - s.lastHeard > (s.hidden ? this.o.hiddenDeadAfterMs : this.o.deadAfterMs)) this.dead(peer, s);
      else if (now - s.lastSent >= this.o.heartbeatMs) this.ping(peer);
    }
  }

  /** The peer is gone as far as this node can tell: down, and its link dropped. */
  private dead(peer: NodeId, s: PeerState): void {
    this.linkDown(peer);
    s.probe = 0;
    this.deps.transport.disconnect(peer);
    this.deps.onChange();
  }

  private ping(peer: NodeId): void {
    this.deps.send(peer, this.heartbeat('ping'));
  }

  private heartbeat(type: 'ping' | 'pong'): LivenessMessage {
    return this.hidden ? { type, id: 0, hidden: true } : { type, id: 0 };
  }

  private clear(s: PeerState): void {
    s.timeouts = 0;
    s.suspectSince = undefined;
  }

  private state(peer: NodeId): PeerState {
    let s = this.peers.get(peer);
    if (!s) {
      s = { link: false, lastHeard: 0, lastSent: -Infinity, hidden: false, timeouts: 0, suspectSince: undefined, downSince: this.startedAt, probe: 0 };
      this.peers.set(peer, s);
    }
    return s;
  }
}

/** The transport as the node sees it: every accepted send is reported, so busy links skip heartbeats. */
class SendCounter implements Transport {
  readonly onPeerHint: Transport['onPeerHint'];

  constructor(
    private readonly inner: Transport,
    private readonly onSend: (to: NodeId) => void,
  ) {
    this.onPeerHint = inner.onPeerHint?.bind(inner);
  }

  get self(): NodeId {
    return this.inner.self;
  }
  peers(): NodeId[] {
    return this.inner.peers();
  }
  send(to: NodeId, data: string): boolean {
    const ok = this.inner.send(to, data);
    if (ok) this.onSend(to);
    return ok;
  }
  drain(to: NodeId): Promise<void> {
    return this.inner.drain(to);
  }
  onMessage(fn: (from: NodeId, data: string) => void): Unsubscribe {
    return this.inner.onMessage(fn);
  }
  onPeerUp(fn: (peer: NodeId) => void): Unsubscribe {
    return this.inner.onPeerUp(fn);
  }
  onPeerDown(fn: (peer: NodeId) => void): Unsubscribe {
    return this.inner.onPeerDown(fn);
  }
  disconnect(peer: NodeId): void {
    this.inner.disconnect(peer);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * The members `self` should remove for having been down `afterMs` or longer. Only the smallest id
 * among the members it sees up does it, so two nodes do not remove in parallel; and only while it
 * sees a majority up, since a node that sees most of the ring down is more likely cut off than the
 * rest all gone. `members` must be sorted.
 */
export function autoRemovals(self: NodeId, members: readonly NodeId[], liveness: Liveness, afterMs: number): NodeId[] {
  if (afterMs <= 0 || !members.includes(self)) return [];
  const up = members.filter((m) => m === self || liveness.status(m) === 'up');
  if (up[0] !== self || up.length * 2 <= members.length) return [];
  return members.filter((m) => m !== self && liveness.downFor(m) >= afterMs);
}
