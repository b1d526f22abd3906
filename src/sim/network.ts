// Simulated network: many nodes' transports in one process, driven by a VirtualClock and a seeded
// Random, with per-message delay, loss, duplication, reordering, partitions and crashes.
//
// Public API:
//   new SimNetwork(clock: VirtualClock, random: Random, config?: Partial<SimNetworkConfig>)
//   net.open(id)                  -> SimTransport (reopening an id crashes the previous transport first)
//   net.crash(id)                 abrupt stop: no more sends or deliveries; peers hear nothing
//   net.isUp(id)                  -> boolean (an open, uncrashed transport exists for id)
//   net.partition(groups)         nodes in different groups cannot talk (see "Partitions" below)
//   net.isolate(id)               cuts id off from everyone, on top of the current partition
//   net.heal()                    removes every partition, isolation and one-way cut
//   net.block(from, to)           a one-way cut: from's messages to `to` are lost (its link stays up)
//   net.pause(id, until)          a paused node (a GC pause, a frozen tab): messages to it wait until then
//   net.burst(until, loss)        a burst of loss on every link until then
//   net.onSend                    optional hook (from, to, frame) on every send (the swarm's triggers)
//   net.setLink(a, b, config|null) per-link overrides, both directions; null clears them
//   net.configure(config)         changes the defaults for every link without an override
//   net.stats()                   -> { sent, delivered, dropped, droppedByLoss, droppedByCut, duplicated }
//   net.trace()                   -> TraceEvent[] (oldest first; empty unless config.trace > 0)
//   net.formatTrace(last?)        -> string, one event per line, for a failing run's report
//
// Defaults: minDelayMs 1, maxDelayMs 10, loss 0, duplicate 0, reorder false, reconnectMs 250, trace 0.
//
// Links. Two open nodes that can reach each other get a link: both transports report the other up
// one link delay later (asynchronously, through the clock, like a real connection handshake). A
// partition or a crash is silence, as on a real network: no event at all. Messages in flight across
// the cut are dropped (they carry the pair's epoch, which the cut bumps), sends are accepted and lost,
// and each side keeps its link until its own failure detection (core/liveness.ts, on heartbeats)
// calls `disconnect`. A partition that heals before that finds the link still standing: messages
// flow again. Only what a real adapter observes makes `onPeerDown`:
//   - `disconnect(peer)`: this side hears down at once; the other side hears the channel close one
//     link delay later if it can be reached (else it finds out by its own silence); and if the two
//     can still reach each other the pair links again after `reconnectMs` (the WebRTC initiator's retry);
//   - a clean close (`close()`, the node's stop): the closing side hears its peers go down at once, and
//     each peer it can reach gets its goodbye one link delay later;
//   - a new link between a pair reveals that the old one is gone: a side still holding the old one
//     hears down, then up (a crashed node that restarted, or a pair that healed after one side
//     dropped the link).
// Up and down strictly alternate per peer, and `peers()` lists only announced peers. A crashed
// transport hears nothing (a dead process observes nothing, and must not start new timers). The
// simulator has no signaling server, so it gives no `onPeerHint`: every crash is found by silence.
//
// Partitions. `partition([[a, b], [c]])` puts a and b in one group, c in another; every node not
// listed (including nodes opened later) forms one more group together. Groups replace any earlier
// partition or isolation. `isolate(id)` moves id alone into a fresh group and keeps the rest as is.
//
// Ordering. With reorder false a message is never scheduled before the previous one on its directed
// link (per-link FIFO, as a data channel); with reorder true delays are independent and messages may
// overtake. Duplicates are a second copy with its own delay (behind the first when FIFO).
//
// Randomness is drawn only from `random`, in send order, so a seed replays a run exactly; give the
// network its own fork (`rng.fork('network')`) so other consumers cannot shift its draws.

import { TransportEvents } from '../ports/emitter';
import type { Random } from '../ports/random';
import type { NodeId, Transport } from '../ports/transport';
import type { VirtualClock } from './clock';

export interface LinkConfig {
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a delivered message is delivered twice. */
  duplicate: number;
  /** False: per-link FIFO. True: independent delays, messages may overtake. */
  reorder: boolean;
}

export interface SimNetworkConfig extends LinkConfig {
  /** Virtual ms after a `disconnect` before two nodes that can reach each other link again. */
  reconnectMs: number;
  /** Capacity of the trace ring buffer; 0 disables tracing (and its cost). */
  trace: number;
}

export interface SimNetworkStats {
  sent: number;
  delivered: number;
  /** droppedByLoss + droppedByCut. */
  dropped: number;
  droppedByLoss: number;
  /** Sent into a cut link, or in flight when it was cut (counted when its delivery time comes). */
  droppedByCut: number;
  duplicated: number;
}

export type TraceKind = 'send' | 'deliver' | 'lose' | 'cut-drop' | 'duplicate' | 'up' | 'down' | 'open' | 'close' | 'crash' | 'disconnect';

export interface TraceEvent {
  time: number;
  kind: TraceKind;
  from: NodeId;
  to: NodeId;
  /** Message length in UTF-16 code units; 0 for link events. */
  size: number;
}

export const DEFAULT_SIM_NETWORK_CONFIG: Readonly<SimNetworkConfig> = Object.freeze({
  minDelayMs: 1,
  maxDelayMs: 10,
  loss: 0,
  duplicate: 0,
  reorder: false,
  reconnectMs: 250,
  trace: 0,
});

const TRACE_KINDS: readonly TraceKind[] = ['send', 'deliver', 'lose', 'cut-drop', 'duplicate', 'up', 'down', 'open', 'close', 'crash', 'disconnect'];
const K_SEND = 0;
const K_DELIVER = 1;
const K_LOSE = 2;
const K_CUT = 3;
const K_DUP = 4;
const K_UP = 5;
const K_DOWN = 6;
const K_OPEN = 7;
const K_CLOSE = 8;
const K_CRASH = 9;
const K_DISCONNECT = 10;

/** One node id's place in the network; survives its transport's crash and reopen. */
class SimNode {
  transport: SimTransport | null = null;
  group = 0;
  /** Outgoing directed links by destination id. */
  readonly out = new Map<NodeId, DirLink>();
  readonly pairs: Pair[] = [];
  constructor(readonly id: NodeId) {}
}

/** The undirected connection between two node ids: reachability and the current link. */
class Pair {
  /**
   * Bumped on every reachability change and whenever a link is made or dropped: messages and
   * pending link attempts from an older epoch are void.
   */
  epoch = 0;
  /** Both ends open and in the same group. */
  reach = false;
  /** The current link's number (0: never linked); `live` until an end drops it, closes or crashes. */
  conn = 0;
  live = false;
  /** The link number each end has announced (0: none); an end may hold a link the other dropped. */
  heldByA = 0;
  heldByB = 0;
  constructor(
    readonly a: SimNode,
    readonly b: SimNode,
  ) {}

  held(node: SimNode): number {
    return node === this.a ? this.heldByA : this.heldByB;
  }

  hold(node: SimNode, conn: number): void {
    if (node === this.a) this.heldByA = conn;
    else this.heldByB = conn;
  }

  other(node: SimNode): SimNode {
    return node === this.a ? this.b : this.a;
  }
}

/** A directed link a→b: its effective config and the FIFO watermark. */
class DirLink {
  override: Partial<LinkConfig> | null = null;
  /** Latest delivery time scheduled on this link (FIFO mode never schedules before it). */
  lastAt = 0;
  constructor(
    readonly from: SimNode,
    readonly to: SimNode,
    readonly pair: Pair,
    public cfg: Readonly<LinkConfig>,
  ) {}
}

/** A message in flight; the clock hands it back to `deliver`. */
class InFlight {
  constructor(
    readonly link: DirLink,
    readonly epoch: number,
    readonly data: string,
  ) {}
}

interface LinkUp {
  pair: Pair;
  epoch: number;
}

/** The end `node` of link `conn` hears it closed (a goodbye, or the channel torn down by the other end). */
interface CloseNotice {
  pair: Pair;
  node: SimNode;
  conn: number;
}

export class SimNetwork {
  private config: Readonly<SimNetworkConfig>;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly allPairs: Pair[] = [];
  private nextGroup = 1;
  private readonly counters: SimNetworkStats = { sent: 0, delivered: 0, dropped: 0, droppedByLoss: 0, droppedByCut: 0, duplicated: 0 };
  private ring: TraceRing | null = null;
  // Shared callbacks, bound once, so scheduling a message allocates no closure.
  /** One-way cuts, "from>to"; paused nodes and until when; a loss burst. Empty or 0 costs one check. */
  private readonly blocked = new Set<string>();
  private readonly paused = new Map<NodeId, number>();
  private burstUntil = 0;
  private burstLoss = 0;
  onSend: ((from: NodeId, to: NodeId, data: string) => void) | undefined;
  private readonly deliverFn = (m: InFlight) => this.deliver(m);
  private readonly linkUpFn = (u: LinkUp) => this.linkUp(u);
  private readonly closeNoticeFn = (n: CloseNotice) => this.closeNotice(n);

  constructor(
    private readonly clock: VirtualClock,
    private readonly random: Random,
    config: Partial<SimNetworkConfig> = {},
  ) {
    this.config = DEFAULT_SIM_NETWORK_CONFIG;
    this.configure(config);
  }

  // ---- nodes -------------------------------------------------------------------------------------

  open(id: NodeId): SimTransport {
    const node = this.node(id);
    if (node.transport) this.crash(id);
    const t = new SimTransport(id, this, node);
    node.transport = t;
    this.record(K_OPEN, id, '', 0);
    this.updateReach(node.pairs);
    return t;
  }

  crash(id: NodeId): void {
    const t = this.nodes.get(id)?.transport;
    if (!t) return;
    this.record(K_CRASH, id, '', 0);
    const node = this.nodes.get(id) as SimNode;
    // Its links die with it; the peers keep their ends until they notice the silence.
    for (const pair of node.pairs) {
      if (pair.held(node) === 0) continue;
      pair.hold(node, 0);
      this.dropLink(pair);
    }
    this.detach(t);
    t.kill();
  }

  isUp(id: NodeId): boolean {
    return !!this.nodes.get(id)?.transport;
  }

  // ---- partitions --------------------------------------------------------------------------------

  partition(groups: NodeId[][]): void {
    const seen = new Set<NodeId>();
    for (const group of groups) {
      for (const id of group) {
        if (seen.has(id)) throw new RangeError(`node ${id} is in more than one partition group`);
        seen.add(id);
      }
    }
    for (const node of this.nodes.values()) node.group = 0;
    for (const group of groups) {
      const g = this.nextGroup++;
      for (const id of group) this.node(id).group = g;
    }
    this.updateReach(this.allPairs);
  }

  isolate(id: NodeId): void {
    this.node(id).group = this.nextGroup++;
    this.updateReach(this.node(id).pairs);
  }

  heal(): void {
    this.blocked.clear();
    for (const node of this.nodes.values()) node.group = 0;
    this.updateReach(this.allPairs);
  }

  block(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}>${to}`);
  }

  pause(id: NodeId, until: number): void {
    this.paused.set(id, Math.max(until, this.paused.get(id) ?? 0));
  }

  burst(until: number, loss: number): void {
    this.burstUntil = until;
    this.burstLoss = loss;
  }

  // ---- configuration -----------------------------------------------------------------------------

  configure(config: Partial<SimNetworkConfig>): void {
    const next = { ...this.config, ...config };
    validate(next);
    this.config = Object.freeze(next);
    if (next.trace !== (this.ring?.capacity ?? 0)) this.ring = next.trace > 0 ? new TraceRing(next.trace) : null;
    for (const node of this.nodes.values()) for (const link of node.out.values()) this.resolve(link);
  }

  /** Overrides link settings between a and b, both directions, merged over earlier overrides; null clears. */
  setLink(a: NodeId, b: NodeId, config: Partial<LinkConfig> | null): void {
    if (a === b) throw new RangeError('setLink needs two distinct nodes');
    this.node(a);
    this.node(b);
    for (const link of [this.link(a, b), this.link(b, a)]) {
      const override = config === null ? null : { ...link.override, ...config };
      if (override) validate({ ...pickLink(this.config), ...override });
      link.override = override;
      this.resolve(link);
    }
  }

  // ---- observation -------------------------------------------------------------------------------

  stats(): SimNetworkStats {
    return { ...this.counters };
  }

  trace(): TraceEvent[] {
    return this.ring?.events() ?? [];
  }

  formatTrace(last = Infinity): string {
    const events = this.trace();
    return events
      .slice(Math.max(0, events.length - last))
      .map((e) => `${e.time.toFixed(3).padStart(12)}  ${e.kind.padEnd(9)} ${e.from}${e.to ? ` -> ${e.to}` : ''}${e.size ? ` (${e.size})` : ''}`)
      .join('\n');
  }

  // ---- used by SimTransport ----------------------------------------------------------------------

  /** @internal Sends on an announced link. The caller has checked that `from` announced `to`. */
  transmit(from: SimNode, to: NodeId, data: string): void {
    const link = from.out.get(to) as DirLink;
    this.counters.sent++;
    if (this.ring) this.record(K_SEND, from.id, to, data.length);
    // The other end dropped the link, or cannot be reached: the sender does not know yet.
    if (!link.pair.live || !link.pair.reach) return this.drop(K_CUT, link, data);
    this.onSend?.(from.id, to, data);
    if (this.blocked.size > 0 && this.blocked.has(`${from.id}>${to}`)) return this.drop(K_CUT, link, data);
    if (this.burstUntil > this.clock.now() && this.random.next() < this.burstLoss) return this.drop(K_LOSE, link, data);
    const cfg = link.cfg;
    if (cfg.loss > 0 && this.random.next() < cfg.loss) return this.drop(K_LOSE, link, data);
    this.schedule(link, data, cfg);
    if (cfg.duplicate > 0 && this.random.next() < cfg.duplicate) {
      this.counters.duplicated++;
      if (this.ring) this.record(K_DUP, from.id, to, data.length);
      this.schedule(link, data, cfg);
    }
  }

  /** @internal A transport closes itself: it says goodbye to every peer it can reach. */
  closeTransport(t: SimTransport): void {
    this.record(K_CLOSE, t.self, '', 0);
    const node = this.nodes.get(t.self);
    if (!node || node.transport !== t) return;
    for (const pair of node.pairs) {
      if (pair.held(node) === 0) continue;
      const conn = pair.conn;
      const live = pair.live;
      pair.hold(node, 0);
      this.dropLink(pair);
      if (live && pair.reach) this.notifyClose(pair, pair.other(node), conn);
    }
    this.detach(t);
  }

  /**
   * @internal `from` drops its link to `to` (it looks dead): the other end hears the close if it can
   * be reached, and the pair links again after reconnectMs if they can still reach each other.
   */
  disconnect(from: SimNode, to: NodeId): void {
    const peer = this.nodes.get(to) as SimNode;
    const pair = from.out.get(to)?.pair as Pair;
    const conn = pair.held(from);
    if (conn === 0) return;
    this.record(K_DISCONNECT, from.id, to, 0);
    pair.hold(from, 0);
    const live = pair.live && pair.conn === conn;
    if (live) this.dropLink(pair);
    this.denounce(from, peer);
    if (!live || !pair.reach) return;
    this.notifyClose(pair, peer, conn);
    this.clock.scheduleAt(this.clock.now() + this.config.reconnectMs, this.linkUpFn, { pair, epoch: pair.epoch });
  }

  // ---- internals ---------------------------------------------------------------------------------

  private node(id: NodeId): SimNode {
    let node = this.nodes.get(id);
    if (node) return node;
    node = new SimNode(id);
    for (const other of this.nodes.values()) this.connectPair(other, node);
    this.nodes.set(id, node);
    return node;
  }

  private connectPair(a: SimNode, b: SimNode): void {
    const pair = new Pair(a, b);
    this.allPairs.push(pair);
    a.pairs.push(pair);
    b.pairs.push(pair);
    a.out.set(b.id, new DirLink(a, b, pair, this.config));
    b.out.set(a.id, new DirLink(b, a, pair, this.config));
  }

  private link(from: NodeId, to: NodeId): DirLink {
    return this.nodes.get(from)?.out.get(to) as DirLink;
  }

  private resolve(link: DirLink): void {
    if (!link.override) {
      link.cfg = this.config;
      return;
    }
    const cfg = { ...pickLink(this.config), ...link.override };
    validate(cfg);
    link.cfg = Object.freeze(cfg);
  }

  /** Takes a transport out of the network; its pairs become unreachable. */
  private detach(t: SimTransport): void {
    const node = this.nodes.get(t.self);
    if (!node || node.transport !== t) return;
    node.transport = null;
    this.updateReach(node.pairs);
  }

  /** Re-evaluates reachability of `pairs`; a pair that can reach again tries to link one link delay later. */
  private updateReach(pairs: readonly Pair[]): void {
    for (const pair of pairs) {
      const reach = !!pair.a.transport && !!pair.b.transport && pair.a.group === pair.b.group;
      if (reach === pair.reach) continue;
      pair.reach = reach;
      pair.epoch++;
      if (reach) {
        const link = pair.a.out.get(pair.b.id) as DirLink;
        this.clock.scheduleAt(this.clock.now() + this.delay(link.cfg), this.linkUpFn, { pair, epoch: pair.epoch });
      }
    }
  }

  /** The current link is gone: what is in flight on it is void. The ends are told separately. */
  private dropLink(pair: Pair): void {
    pair.live = false;
    pair.epoch++;
  }

  /** Makes a new link unless the current one stands; an end holding an older link hears it go first. */
  private linkUp({ pair, epoch }: LinkUp): void {
    if (pair.epoch !== epoch || !pair.reach || this.stands(pair)) return;
    const conn = ++pair.conn;
    for (const [node, peer] of [[pair.a, pair.b], [pair.b, pair.a]] as const) {
      if (pair.held(node) === 0) continue;
      pair.hold(node, 0);
      this.denounce(node, peer);
    }
    // A down listener may have changed the pair (closed its node, say): then this attempt is void.
    if (pair.epoch !== epoch || !pair.reach) return;
    pair.live = true;
    epoch = ++pair.epoch;
    // Everything queued on the old link was dropped, so FIFO need not wait behind it.
    (pair.a.out.get(pair.b.id) as DirLink).lastAt = 0;
    (pair.b.out.get(pair.a.id) as DirLink).lastAt = 0;
    // A listener on one side may cut the link again; the other side is told only if it still stands.
    this.announce(pair, pair.a, pair.b, conn);
    if (pair.epoch === epoch) this.announce(pair, pair.b, pair.a, conn);
  }

  /** Both ends hold the current link, and it was not dropped. */
  private stands(pair: Pair): boolean {
    return pair.live && pair.heldByA === pair.conn && pair.heldByB === pair.conn;
  }

  private announce(pair: Pair, node: SimNode, peer: SimNode, conn: number): void {
    const t = node.transport;
    if (!t) return;
    pair.hold(node, conn);
    if (t.announce(peer.id)) this.record(K_UP, node.id, peer.id, 0);
  }

  /** Tells `node`, one link delay from now, that link `conn` closed (if it still holds it then). */
  private notifyClose(pair: Pair, node: SimNode, conn: number): void {
    const link = pair.other(node).out.get(node.id) as DirLink;
    this.clock.scheduleAt(this.clock.now() + this.delay(link.cfg), this.closeNoticeFn, { pair, node, conn });
  }

  private closeNotice({ pair, node, conn }: CloseNotice): void {
    if (pair.held(node) !== conn) return;
    pair.hold(node, 0);
    this.denounce(node, pair.other(node));
  }

  private denounce(node: SimNode, peer: SimNode): void {
    const t = node.transport;
    if (!t || !t.denounce(peer.id)) return;
    this.record(K_DOWN, node.id, peer.id, 0);
  }

  private schedule(link: DirLink, data: string, cfg: Readonly<LinkConfig>): void {
    let at = this.clock.now() + this.delay(cfg);
    if (!cfg.reorder) {
      if (at < link.lastAt) at = link.lastAt;
      link.lastAt = at;
    }
    this.clock.scheduleAt(at, this.deliverFn, new InFlight(link, link.pair.epoch, data));
  }

  private delay(cfg: Readonly<LinkConfig>): number {
    const span = cfg.maxDelayMs - cfg.minDelayMs;
    return span > 0 ? cfg.minDelayMs + span * this.random.next() : cfg.minDelayMs;
  }

  private deliver(m: InFlight): void {
    const link = m.link;
    const dst = link.to.transport;
    if (link.pair.epoch !== m.epoch || !dst) return this.drop(K_CUT, link, m.data);
    if (this.paused.size > 0) {
      const until = this.paused.get(link.to.id);
      if (until !== undefined && until > this.clock.now()) return void this.clock.scheduleAt(until, this.deliverFn, m);
      if (until !== undefined) this.paused.delete(link.to.id);
    }
    this.counters.delivered++;
    if (this.ring) this.record(K_DELIVER, link.from.id, link.to.id, m.data.length);
    dst.receive(link.from.id, m.data);
  }

  private drop(kind: typeof K_LOSE | typeof K_CUT, link: DirLink, data: string): void {
    this.counters.dropped++;
    if (kind === K_LOSE) this.counters.droppedByLoss++;
    else this.counters.droppedByCut++;
    if (this.ring) this.record(kind, link.from.id, link.to.id, data.length);
  }

  private record(kind: number, from: NodeId, to: NodeId, size: number): void {
    this.ring?.push(this.clock.now(), kind, from, to, size);
  }
}

/** One node's endpoint on a SimNetwork. */
export class SimTransport extends TransportEvents implements Transport {
  private closed = false;
  /** Peers whose up was emitted and whose down was not: `peers()`, and the only valid `send` targets. */
  private readonly announced = new Set<NodeId>();

  /** @internal Created by SimNetwork.open. */
  constructor(
    readonly self: NodeId,
    private readonly network: SimNetwork,
    private readonly node: SimNode,
  ) {
    super();
  }

  peers(): NodeId[] {
    return [...this.announced];
  }

  send(to: NodeId, data: string): boolean {
    if (this.closed || !this.announced.has(to)) return false;
    this.network.transmit(this.node, to, data);
    return true;
  }

  /** No bandwidth is modelled, so there is never a queue to wait for. */
  drain(): Promise<void> {
    return Promise.resolve();
  }

  /** Drops the link to `peer` (see the header): this side hears down now. */
  disconnect(peer: NodeId): void {
    if (!this.closed && this.announced.has(peer)) this.network.disconnect(this.node, peer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The closing side learns at once that its links are gone, in announcement order.
    const peers = [...this.announced];
    this.network.closeTransport(this);
    for (const peer of peers) this.denounce(peer);
  }

  /** @internal Crash: silently dead, listeners dropped so nothing runs on its behalf any more. */
  kill(): void {
    this.closed = true;
    this.announced.clear();
    this.clearListeners();
  }

  /** @internal Emits up for `peer` unless already announced; true if it did. */
  announce(peer: NodeId): boolean {
    if (this.closed || this.announced.has(peer)) return false;
    this.announced.add(peer);
    this.ups.emit(peer);
    return true;
  }

  /** @internal Emits down for `peer` if it was announced; true if it did. */
  denounce(peer: NodeId): boolean {
    if (!this.announced.delete(peer)) return false;
    this.downs.emit(peer);
    return true;
  }

  /** @internal */
  receive(from: NodeId, data: string): void {
    this.messages.emit(from, data);
  }
}

/** Fixed-capacity ring of trace events in parallel arrays: recording allocates nothing. */
class TraceRing {
  private readonly times: Float64Array;
  private readonly kinds: Uint8Array;
  private readonly sizes: Float64Array;
  private readonly froms: NodeId[];
  private readonly tos: NodeId[];
  private count = 0;

  constructor(readonly capacity: number) {
    this.times = new Float64Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.sizes = new Float64Array(capacity);
    this.froms = new Array<NodeId>(capacity).fill('');
    this.tos = new Array<NodeId>(capacity).fill('');
  }

  push(time: number, kind: number, from: NodeId, to: NodeId, size: number): void {
    const i = this.count++ % this.capacity;
    this.times[i] = time;
    this.kinds[i] = kind;
    this.froms[i] = from;
    this.tos[i] = to;
    this.sizes[i] = size;
  }

  events(): TraceEvent[] {
    const n = Math.min(this.count, this.capacity);
    const out: TraceEvent[] = [];
    for (let k = this.count - n; k < this.count; k++) {
      const i = k % this.capacity;
      out.push({
        time: this.times[i] as number,
        kind: TRACE_KINDS[this.kinds[i] as number] as TraceKind,
        from: this.froms[i] as NodeId,
        to: this.tos[i] as NodeId,
        size: this.sizes[i] as number,
      });
    }
    return out;
  }
}

function pickLink(c: Readonly<LinkConfig>): LinkConfig {
  return { minDelayMs: c.minDelayMs, maxDelayMs: c.maxDelayMs, loss: c.loss, duplicate: c.duplicate, reorder: c.reorder };
}

function validate(c: Partial<SimNetworkConfig>): void {
  const prob = (name: string, p: number | undefined) => {
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${p}`);
  };
  if (c.minDelayMs !== undefined && !(c.minDelayMs >= 0)) throw new RangeError(`minDelayMs must be >= 0, got ${c.minDelayMs}`);
  if (c.minDelayMs !== undefined && c.maxDelayMs !== undefined && !(c.maxDelayMs >= c.minDelayMs)) {
    throw new RangeError(`maxDelayMs (${c.maxDelayMs}) must be >= minDelayMs (${c.minDelayMs})`);
  }
  prob('loss', c.loss);
  prob('duplicate', c.duplicate);
  if (c.reconnectMs !== undefined && !(c.reconnectMs >= 0)) throw new RangeError(`reconnectMs must be >= 0, got ${c.reconnectMs}`);
  if (c.trace !== undefined && !(Number.isInteger(c.trace) && c.trace >= 0)) throw new RangeError(`trace must be an integer >= 0, got ${c.trace}`);
}
