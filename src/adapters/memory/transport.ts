// In-process transport: every node opened on one MemoryNetwork is linked to every other.
//
// Delivery is asynchronous (a macrotask per message batch) and FIFO per link, like a data channel,
// so code that only works with synchronous delivery fails here first. Links can be cut and restored
// to exercise the down/up paths without a browser. A link dropped by `disconnect` goes down on both
// sides at once and comes back a macrotask later, unless it was cut meanwhile.

import { TransportEvents } from '../../ports/emitter';
import type { NodeId, Transport } from '../../ports/transport';

export class MemoryNetwork {
  private nodes = new Map<NodeId, MemoryTransport>();
  private cuts = new Set<string>();

  /** Opens `id` on the network; an id already open is closed first (a restarted tab). */
  open(id: NodeId): MemoryTransport {
    this.nodes.get(id)?.closeNow();
    const t = new MemoryTransport(id, this);
    this.nodes.set(id, t);
    for (const other of this.nodes.values()) {
      if (other !== t && this.linked(id, other.self)) this.raiseLink(t, other);
    }
    return t;
  }

  /** Takes the link between a and b down on both sides until `restore`. */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(pairKey(a, b));
    this.nodes.get(a)?.linkDown(b);
    this.nodes.get(b)?.linkDown(a);
  }

  restore(a: NodeId, b: NodeId): void {
    if (!this.cuts.delete(pairKey(a, b))) return;
    const ta = this.nodes.get(a);
    const tb = this.nodes.get(b);
    if (ta && tb) this.raiseLink(ta, tb);
  }

  /** @internal Drops the a–b link on both sides; it is raised again in a later macrotask. */
  drop(a: MemoryTransport, b: NodeId): void {
    a.linkDown(b);
    const other = this.nodes.get(b);
    other?.linkDown(a.self);
    setTimeout(() => {
      if (other && this.nodes.get(a.self) === a && this.nodes.get(b) === other && this.linked(a.self, b)) this.raiseLink(a, other);
    }, 0);
  }

  /** @internal */
  peer(id: NodeId): MemoryTransport | undefined {
    return this.nodes.get(id);
  }

  /** @internal */
  remove(t: MemoryTransport): void {
    if (this.nodes.get(t.self) !== t) return;
    this.nodes.delete(t.self);
    for (const other of this.nodes.values()) other.linkDown(t.self);
  }

  private linked(a: NodeId, b: NodeId): boolean {
    return !this.cuts.has(pairKey(a, b));
  }

  private raiseLink(a: MemoryTransport, b: MemoryTransport): void {
    a.linkUp(b.self);
    b.linkUp(a.self);
  }
}

export class MemoryTransport extends TransportEvents implements Transport {
  private up = new Set<NodeId>();
  /** Peers whose `up` has been emitted; `down` is emitted only for these, so events alternate. */
  private announced = new Set<NodeId>();
  private closed = false;
  /** Per-destination outbox, flushed in one macrotask to keep FIFO and batch like a real channel. */
  private outbox = new Map<NodeId, string[]>();
  private flushScheduled = false;

  constructor(
    readonly self: NodeId,
    private readonly network: MemoryNetwork,
  ) {
    super();
  }

  peers(): NodeId[] {
    return [...this.announced];
  }

  send(to: NodeId, data: string): boolean {
    if (this.closed || !this.up.has(to)) return false;
    const queue = this.outbox.get(to) ?? [];
    queue.push(data);
    this.outbox.set(to, queue);
    this.scheduleFlush();
    return true;
  }

  async drain(): Promise<void> {}

  disconnect(peer: NodeId): void {
    if (!this.closed && this.up.has(peer)) this.network.drop(this, peer);
  }

  /**
   * What was sent before still arrives, then the links go down (as the WebRTC adapter pumps its
   * outbox before closing): the flush already scheduled runs first, timers being FIFO.
   */
  async close(): Promise<void> {
    if (!this.closed && this.outbox.size > 0) await new Promise<void>((r) => setTimeout(r, 0));
    this.closeNow();
  }

  /** @internal */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.network.remove(this);
    this.outbox.clear();
    for (const p of [...this.up]) this.linkDown(p);
  }

  /** @internal */
  linkUp(peer: NodeId): void {
    if (this.closed || this.up.has(peer)) return;
    this.up.add(peer);
    // Announce asynchronously, as real transports do, so listeners attached right after open() see it.
    setTimeout(() => {
      if (!this.up.has(peer) || this.announced.has(peer)) return;
      this.announced.add(peer);
      this.ups.emit(peer);
    }, 0);
  }

  /** @internal */
  linkDown(peer: NodeId): void {
    if (!this.up.delete(peer)) return;
    this.outbox.delete(peer);
    if (this.announced.delete(peer)) this.downs.emit(peer);
  }

  /** @internal */
  deliver(from: NodeId, data: string): void {
    if (!this.closed && this.up.has(from)) this.messages.emit(from, data);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setTimeout(() => this.flush(), 0);
  }

  private flush(): void {
    this.flushScheduled = false;
    const outbox = this.outbox;
    this.outbox = new Map();
    for (const [to, queue] of outbox) {
      const dest = this.network.peer(to);
      for (const data of queue) dest?.deliver(this.self, data);
    }
  }
}

function pairKey(a: NodeId, b: NodeId): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}
