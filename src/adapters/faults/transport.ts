// Fault injection at the transport: cut links to chosen peers, drop a fraction of messages, corrupt
// a fraction of outgoing ones. Wraps any Transport, so tests and the ring console can partition real
// tabs (node.faults) or turn one into a tab that sends bad frames.

import { Listeners } from '../../ports/emitter';
import { corruptMessage } from './corrupt';
import type { Random } from '../../ports/random';
import type { NodeId, Transport, Unsubscribe } from '../../ports/transport';

export interface Faults {
  /** Cut this node off from `peers` (both directions, as seen from here); replaces earlier cuts. */
  isolate(peers: NodeId[]): void;
  /** Restore every cut link, stop dropping and stop corrupting. */
  heal(): void;
  /** Drop each message in and out with probability p (0..1). */
  dropRate(p: number): void;
  /**
   * Damage each outgoing message with probability p (0..1), at random (corrupt.ts): characters
   * flipped anywhere (checksum and JSON alike), a truncation, a duplicated chunk, or garbage.
   * Incoming messages are left alone: this makes this node the misbehaving one. 0 stops it.
   */
  corrupt(p: number): void;
  /** Peers currently cut off. */
  isolated(): NodeId[];
}

export class FaultyTransport implements Transport, Faults {
  private cut = new Set<NodeId>();
  private drop = 0;
  private corruption = 0;
  private readonly ups = new Listeners<[NodeId]>();
  private readonly downs = new Listeners<[NodeId]>();
  private readonly hints = new Listeners<[NodeId]>();
  private readonly unsubscribe: Unsubscribe[];
  dropped = 0;
  /** Corrupted messages handed to a live link. */
  corrupted = 0;

  constructor(
    private readonly inner: Transport,
    private readonly random: Random,
  ) {
    this.unsubscribe = [
      inner.onPeerUp((p) => this.cut.has(p) || this.ups.emit(p)),
      inner.onPeerDown((p) => this.cut.has(p) || this.downs.emit(p)),
      inner.onPeerHint?.((p) => this.cut.has(p) || this.hints.emit(p)) ?? (() => {}),
    ];
  }

  get self(): NodeId {
    return this.inner.self;
  }

  peers(): NodeId[] {
    return this.inner.peers().filter((p) => !this.cut.has(p));
  }

  send(to: NodeId, data: string): boolean {
    if (this.cut.has(to)) return false;
    if (this.lose()) return this.inner.peers().includes(to);
    if (!(this.corruption > 0 && this.random.next() < this.corruption)) return this.inner.send(to, data);
    const sent = this.inner.send(to, corruptMessage(data, this.random).data);
    if (sent) this.corrupted++;
    return sent;
  }

  drain(to: NodeId): Promise<void> {
    return this.inner.drain(to);
  }

  onMessage(fn: (from: NodeId, data: string) => void): Unsubscribe {
    return this.inner.onMessage((from, data) => {
      if (!this.cut.has(from) && !this.lose()) fn(from, data);
    });
  }
  onPeerUp(fn: (peer: NodeId) => void): Unsubscribe {
    return this.ups.add(fn);
  }
  onPeerDown(fn: (peer: NodeId) => void): Unsubscribe {
    return this.downs.add(fn);
  }
  onPeerHint(fn: (peer: NodeId) => void): Unsubscribe {
    return this.hints.add(fn);
  }

  /** A cut peer is already down as seen from above; the inner link is dropped all the same. */
  disconnect(peer: NodeId): void {
    this.inner.disconnect(peer);
  }

  isolate(peers: NodeId[]): void {
    const next = new Set(peers.filter((p) => p !== this.self));
    const live = new Set(this.inner.peers());
    const healed = [...this.cut].filter((p) => !next.has(p) && live.has(p));
    const cut = [...next].filter((p) => !this.cut.has(p) && live.has(p));
    // The new cut first: listeners of these events send at once and read peers().
    this.cut = next;
    for (const p of healed) this.ups.emit(p);
    for (const p of cut) this.downs.emit(p);
  }

  heal(): void {
    this.isolate([]);
    this.drop = 0;
    this.corruption = 0;
  }

  dropRate(p: number): void {
    this.drop = probability('dropRate', p);
  }

  corrupt(p: number): void {
    this.corruption = probability('corrupt', p);
  }

  isolated(): NodeId[] {
    return [...this.cut];
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe) u();
    await this.inner.close();
  }

  private lose(): boolean {
    if (this.drop > 0 && this.random.next() < this.drop) {
      this.dropped++;
      return true;
    }
    return false;
  }
}

function probability(name: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be within 0..1, got ${p}`);
  return p;
}
