// Tombstone reaping (paper §4.7 anti-entropy; what Riak's delete_mode and Cassandra's gc_grace do):
// a key that holds only tombstones, older than a grace period, that anti-entropy has confirmed every
// primary replica holds alike, is removed from storage for good.
//
// Public API
//   new Reaper(deps)
//   .hashed(key, partition, digest | undefined, seq)  anti-entropy hashed the key's current set (seq:
//                                                     its hashing counter); digest only when the set
//                                                     holds nothing but tombstones
//   .exchanged(peer, partition, seq, differing)       an exchange that began at `seq` completed
//   .noticed(from, items): number                     a primary reaped these (key, digest); notices
//                                                     from a node that is not a primary of the key,
//                                                     or for a tombstone not held here, are ignored;
//                                                     returns how many were taken
//   .wasReaped(key, set): ReapItem | undefined        this exact set was reaped here lately
//   .due(): boolean   .round(): Promise<number>       reap what is ready (at most every intervalMs)
//   .stats()
//
// When a key is confirmed. An exchange with a co-replica that began after the tombstone was hashed
// here, and that did not report the key as differing, shows the peer held the same set (the same
// digest) at some point of the exchange; a replica's set only grows by merging, so from then on it
// can never hold a version the tombstone superseded. With that from every other primary of the
// partition, no primary can bring an older value back. The grace period is for what anti-entropy
// cannot see: hints, and keys a former owner has yet to hand over. A hint older than the grace
// period that carries a value the delete superseded would bring it back; so would a tab that was
// cut off longer than that and then hands its strays over. Hence a long default (node-config.ts).
//
// After reaping, the node mints under a new actor (actor.ts: a client's old context must not cover
// new dots) and tells the other primaries, which reap the same set without waiting for their own
// confirmations (this one had them all). Until they do, their anti-entropy pushes the tombstone back
// here; `wasReaped` lets the node drop it and answer with the notice again.

import type { Clock } from '../ports/clock';
import type { Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import { partitionOf } from './hash';
import { digestOf } from './merkle';
import type { ReplicaStore } from './replica';
import type { Placement } from './placement';
import type { ReapItem } from './protocol/reap';
import type { Ring } from './protocol/ring';
import type { Digest } from './protocol/wire';
import * as versions from './versions';
import type { SiblingSet } from './versions';

export interface ReaperDeps {
  self: NodeId;
  /** The primaries of a partition (placement.ts). */
  placement: Pick<Placement, 'primaries'>;
  clock: Clock;
  graceMs: number;
  intervalMs: number;
  ring(): Ring | undefined;
  storage: Storage;
  replica: ReplicaStore;
  hasHints(key: string): boolean;
  /** Move to a new actor epoch, durably; called before the first delete of a round. */
  newEpoch(): Promise<void>;
  notify(to: NodeId, items: ReapItem[]): void;
}

export interface ReaperStats {
  /** Keys holding only tombstones, as last hashed. */
  tombstones: number;
  reaped: number;
  rounds: number;
  lastRoundAt: number | undefined;
}

interface Tombstone {
  partition: number;
  digest: Digest;
  seq: number;
  /** When this node hashed it (at or after it was stored): the grace period counts from here. */
  at: number;
}

interface Confirmation {
  seq: number;
  differing: ReadonlySet<string>;
}

/** Notices sent per message: a few KB each. */
const NOTICE_BATCH = 200;

export class Reaper {
  private readonly tombstones = new Map<string, Tombstone>();
  /** Per partition, per co-replica: the last exchange that completed. */
  private readonly confirmations = new Map<number, Map<NodeId, Confirmation>>();
  private notices = new Map<string, Digest>();
  private readonly recent = new Map<string, { digest: Digest; at: number }>();
  private running = false;
  private lastRound: number;
  private counts = { reaped: 0, rounds: 0, lastRoundAt: undefined as number | undefined };

  constructor(private readonly deps: ReaperDeps) {
    this.lastRound = deps.clock.now();
  }

  hashed(key: string, partition: number, digest: Digest | undefined, seq: number): void {
    if (digest === undefined) this.tombstones.delete(key);
    else this.tombstones.set(key, { partition, digest, seq, at: this.deps.clock.now() });
  }

  exchanged(peer: NodeId, partition: number, seq: number, differing: ReadonlySet<string>): void {
    let byPeer = this.confirmations.get(partition);
    if (!byPeer) this.confirmations.set(partition, (byPeer = new Map()));
    byPeer.set(peer, { seq, differing });
  }

  /** Returns how many of the items were taken (0: the notice was dropped, for the node's counters). */
  noticed(from: NodeId, items: readonly ReapItem[]): number {
    const ring = this.deps.ring();
    if (!ring) return 0;
    let taken = 0;
    for (const { key, digest } of items) {
      // Only a primary of the key has the confirmations a reap needs; anyone else skipping the grace
      // period would delete a tombstone that may still be needed.
      if (!this.tombstones.has(key) || !this.deps.placement.primaries(partitionOf(key, ring.q), ring).includes(from)) continue;
      this.notices.set(key, digest);
      taken++;
    }
    return taken;
  }

  wasReaped(key: string, set: SiblingSet): ReapItem | undefined {
    const r = this.recent.get(key);
    if (!r || !versions.hasOnlyTombstones(set) || digestOf(set) !== r.digest) return undefined;
    return { key, digest: r.digest };
  }

  stats(): ReaperStats {
    return { tombstones: this.tombstones.size, ...this.counts };
  }

  due(): boolean {
    return !this.running && this.deps.clock.now() - this.lastRound >= this.deps.intervalMs;
  }

  /** Reaps every key that is ready; resolves to how many went. */
  async round(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      return await this.reapReady();
    } finally {
      this.running = false;
    }
  }

  private async reapReady(): Promise<number> {
    const now = this.deps.clock.now();
    this.lastRound = now;
    this.expireRecent(now);
    const confirmed = this.confirmed(now);
    // Only notices for a tombstone held here as it is: the others (a key this node reaped itself, or
    // holds differently) would move the actor to a new epoch for nothing, and epochs cost clock entries.
    const noticed = [...this.notices].filter(([key, digest]) => this.tombstones.get(key)?.digest === digest).map(([key, digest]) => ({ key, digest }));
    this.notices = new Map();
    if (confirmed.length === 0 && noticed.length === 0) return 0;
    this.counts.rounds++;
    this.counts.lastRoundAt = now;
    await this.deps.newEpoch();
    const mine = await this.reapAll(confirmed);
    const reapedByNotice = await this.reapAll(noticed);
    this.tell(mine);
    return mine.length + reapedByNotice.length;
  }

  /** Tombstones past their grace period that every other primary confirmed. */
  private confirmed(now: number): ReapItem[] {
    const ring = this.deps.ring();
    if (!ring) return [];
    const out: ReapItem[] = [];
    for (const [key, t] of this.tombstones) {
      if (now - t.at < this.deps.graceMs || this.deps.hasHints(key)) continue;
      const primaries = this.deps.placement.primaries(t.partition, ring);
      if (!primaries.includes(this.deps.self)) continue;
      const byPeer = this.confirmations.get(t.partition);
      const all = primaries.every((p) => {
        if (p === this.deps.self) return true;
        const c = byPeer?.get(p);
        return c !== undefined && c.seq >= t.seq && !c.differing.has(key);
      });
      if (all) out.push({ key, digest: t.digest });
    }
    return out;
  }

  private async reapAll(items: ReapItem[]): Promise<ReapItem[]> {
    const done = await Promise.all(items.map((item) => this.reapOne(item)));
    return items.filter((_, i) => done[i]);
  }

  /** Deletes the key if it still holds exactly the set that was confirmed. */
  private reapOne({ key, digest }: ReapItem): Promise<boolean> {
    return this.deps.replica.exclusive(key, async () => {
      const rec = await this.deps.storage.get(key);
      if (!rec || this.deps.hasHints(key)) return false;
      let set: SiblingSet;
      try {
        set = versions.fromJson(rec.value);
      } catch {
        return false;
      }
      if (!versions.hasOnlyTombstones(set) || digestOf(set) !== digest) return false;
      await this.deps.storage.delete(key);
      this.tombstones.delete(key);
      this.recent.set(key, { digest, at: this.deps.clock.now() });
      this.counts.reaped++;
      return true;
    });
  }

  /** Tells the other primaries of each reaped key's partition. */
  private tell(items: ReapItem[]): void {
    const ring = this.deps.ring();
    if (!ring || items.length === 0) return;
    const byPeer = new Map<NodeId, ReapItem[]>();
    for (const item of items) {
      for (const peer of this.deps.placement.primaries(partitionOf(item.key, ring.q), ring)) {
        if (peer === this.deps.self) continue;
        let list = byPeer.get(peer);
        if (!list) byPeer.set(peer, (list = []));
        list.push(item);
      }
    }
    for (const [peer, list] of byPeer) {
      for (let i = 0; i < list.length; i += NOTICE_BATCH) this.deps.notify(peer, list.slice(i, i + NOTICE_BATCH));
    }
  }

  private expireRecent(now: number): void {
    for (const [key, r] of this.recent) if (now - r.at >= this.deps.graceMs) this.recent.delete(key);
  }
}
