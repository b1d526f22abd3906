// Background anti-entropy (paper §4.7): a Merkle tree per partition, kept current with every local
// write; partition by partition, each node compares its tree with another replica's and both push
// what the other lacks. Replicas that drifted (lost hints, a wiped tab) converge with no client traffic.
//
// Public API
//   new AntiEntropy(deps)
//   .start()  .stop()
//   .stored(key, partition, value | undefined)   a key record changed locally (tracked-storage.ts)
//   .peersChanged()                              a peer may have gone down: end its exchanges now
//   .handle(from, msg)                           an 'aae' message; returns a drop reason when it
//                                                was not applied (bad payload, no such partition or
//                                                exchange)
//   .stats()                                     { exchanges, keysPushed, lastRepairAt, treesReady, ... }
//
// Pacing. Trees are built from storage at start a few hundred keys per tick, so a tab with 100k keys
// is not frozen. Then sweeps: the partitions this node replicates, one exchange at a time with a
// random healthy co-replica, `gapMs` apart; after a whole sweep, a pause of `sweepPauseMs`. Equal
// trees cost one round trip of ~0.5 KB, so a sweep of ~150 partitions takes seconds and moves
// ~150 KB; foreground requests are never queued behind it (it never holds a key's lock).
//
// Repair pushes the sets of `localOnly ∪ different` to the peer as a handoff (merged there, acked),
// from both sides, so one exchange fixes both directions.
//
// A sweep waits for its exchange, so an exchange must end soon when its peer is gone: at once when
// liveness says the peer is no longer up (peersChanged), and otherwise when the peer sent no step
// for exchangeTimeoutMs (a lost message, a peer that restarted and forgot the exchange).

import type { Clock } from '../ports/clock';
import { randomInt, type Random } from '../ports/random';
import type { Json, ScanPage, Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import { receive, respond, start, type Session } from './antientropy-exchange';
import { digestOf, MerkleTree } from './merkle';
import type { Placement } from './placement';
import { validateExchangePayload, type AaeMessage, type ExchangePayload } from './protocol/antientropy';
import type { Ring } from './protocol/ring';
import type { KeySet } from './protocol/wire';
import { SHIPMENT_KEYS } from './shipping';
import * as versions from './versions';

export interface AntiEntropyDeps {
  self: NodeId;
  q: number;
  clock: Clock;
  random: Random;
  storage: Storage;
  ring(): Ring | undefined;
  /** Who replicates a partition, and which co-replicas are up (placement.ts). */
  placement: Pick<Placement, 'replicates' | 'coReplicas'>;
  send(to: NodeId, msg: AaeMessage): void;
  /** Ships sets to a peer in acknowledged shipments (shipping.ts); true once it merged them all. */
  push(to: NodeId, sets: KeySet[]): Promise<boolean>;
  /** Keys were pushed to a peer that lacked them (for the 'repair' event). */
  onRepair(keys: number): void;
  /** Pause between two exchanges of a sweep. */
  gapMs: number;
  /** Pause after a sweep over every partition. */
  sweepPauseMs: number;
  /** An exchange whose peer sent no step for this long is dropped (the deadline restarts at each step). */
  exchangeTimeoutMs: number;
  /** Whether a peer is up (liveness.ts); an exchange with a peer that is not ends at peersChanged(). */
  healthy?(peer: NodeId): boolean;
  /**
   * A key's current set went into its tree (`seq` counts these); `tombstoneDigest` is given when the
   * set holds only tombstones. For the reaper (reaper.ts), which needs what exchanges confirmed.
   */
  onHashed?(key: string, partition: number, tombstoneDigest: string | undefined, seq: number): void;
  /** An exchange begun at hashing count `seq` completed; `differing` are the keys it found unequal. */
  onExchanged?(peer: NodeId, partition: number, seq: number, differing: ReadonlySet<string>): void;
}

export interface AntiEntropyStats {
  exchanges: number;
  /** Exchanges that found at least one difference. */
  repairs: number;
  keysPushed: number;
  lastRepairAt: number | undefined;
  treesReady: number;
  sweeps: number;
}

interface Exchange {
  session: Session;
  peer: NodeId;
  partition: number;
  /** The hashing count when the exchange read its tree first. */
  seq: number;
  cancel: () => void;
}

const BUILD_KEYS_PER_TICK = 500;
/** Virtual ms before a build retries a page whose read failed. */
const BUILD_RETRY_MS = 1000;

export class AntiEntropy {
  private readonly trees: MerkleTree[];
  /** Partitions whose tree holds everything in storage (built, or empty from the start). */
  private readonly ready = new Set<number>();
  /** Key writes not yet applied to their partition's tree (see stored). */
  private readonly unhashed = new Map<number, Map<string, Json | undefined>>();
  /** Keys written while their partition was being scanned: the scan must not overwrite them. */
  private touched = new Set<string>();
  private readonly exchanges = new Map<string, Exchange>();
  /** Key sets hashed into the trees so far (see onHashed). */
  private seq = 0;
  private nextExchange = 1;
  private sweep: number[] = [];
  private cancel: () => void = () => {};
  private stopped = false;
  private counts = { exchanges: 0, repairs: 0, keysPushed: 0, lastRepairAt: undefined as number | undefined, sweeps: 0 };

  constructor(private readonly deps: AntiEntropyDeps) {
    this.trees = Array.from({ length: deps.q }, () => new MerkleTree());
    this.nextExchange = 1 + randomInt(deps.random, 2 ** 30);
  }

  start(): void {
    this.stopped = false;
    // build() never rejects: scan() retries a failed read, and a record that does not parse is skipped.
    void this.build().then(() => this.schedule(0));
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
    for (const e of this.exchanges.values()) e.cancel();
    this.exchanges.clear();
  }

  /**
   * Noted now, hashed when the partition's tree is next read: a hot key written a hundred times
   * between two exchanges costs one digest, not a hundred.
   */
  stored(key: string, partition: number, value: Json | undefined): void {
    if (!this.trees[partition]) return;
    if (!this.ready.has(partition)) this.touched.add(key);
    let pending = this.unhashed.get(partition);
    if (!pending) this.unhashed.set(partition, (pending = new Map()));
    pending.set(key, value);
  }

  peersChanged(): void {
    const healthy = this.deps.healthy;
    if (!healthy) return;
    for (const [key, e] of this.exchanges) if (!healthy(e.peer)) this.finish(key);
  }

  stats(): AntiEntropyStats {
    return { ...this.counts, treesReady: this.ready.size };
  }

  /** Handles the message; returns why it was dropped unapplied (for the node's counters), if it was. */
  handle(from: NodeId, msg: AaeMessage): string | undefined {
    const payload = validateExchangePayload(msg.payload);
    if (!payload) return 'aae-payload';
    const tree = this.treeOf(msg.p);
    if (!tree) return 'aae-partition';
    const key = exchangeKey(from, msg.x, !msg.init);
    const known = this.exchanges.get(key);
    if (known) {
      const step = receive(known.session, tree, payload);
      // A round answered: the deadline starts again (at most MAX_ROUNDS times; repeats do not count).
      if (step.send.length > 0) this.arm(key, known);
      return void this.advance(key, known, step);
    }
    // A step of an exchange that is over here (timed out, finished) or never was.
    if (!msg.init || payload.r !== 0) return 'aae-no-exchange';
    if (!this.ready.has(msg.p)) {
      // An unbuilt tree would report keys missing that are not: say no, the peer tries later.
      return void this.deps.send(from, { type: 'aae', id: 0, x: msg.x, p: msg.p, init: false, payload: refusal('tree not built yet') });
    }
    if (!this.replicas(msg.p, [this.deps.self, from])) {
      // A peer sweeping with an older ring: comparing would copy keys to a node that must not keep them.
      return void this.deps.send(from, { type: 'aae', id: 0, x: msg.x, p: msg.p, init: false, payload: refusal('not replicas of this partition') });
    }
    const step = respond(tree, payload);
    this.advance(key, this.track(key, from, msg.p, step.session), step);
    return undefined;
  }

  /** The partition's tree with every write noted so far applied. */
  private treeOf(p: number): MerkleTree | undefined {
    const tree = this.trees[p];
    const pending = this.unhashed.get(p);
    if (tree && pending) {
      this.unhashed.delete(p);
      for (const [key, value] of pending) {
        if (value !== undefined && this.tryInsert(tree, p, key, value)) continue;
        tree.remove(key);
        this.deps.onHashed?.(key, p, undefined, ++this.seq);
      }
    }
    return tree;
  }

  /**
   * False when the stored set does not parse (written by an older version with other bounds, or
   * damaged): left out of the tree, as build() does, rather than thrown from a timer or a handler.
   */
  private tryInsert(tree: MerkleTree, p: number, key: string, value: Json): boolean {
    try {
      this.insert(tree, p, key, value);
      return true;
    } catch {
      return false;
    }
  }

  private insert(tree: MerkleTree, p: number, key: string, value: Json): void {
    const set = versions.fromJson(value);
    const digest = digestOf(set);
    tree.insert(key, digest);
    this.deps.onHashed?.(key, p, versions.hasOnlyTombstones(set) ? digest : undefined, ++this.seq);
  }

  // --- building -------------------------------------------------------------------------------

  /** Scans storage partition by partition, yielding between chunks. */
  private async build(): Promise<void> {
    let budget = BUILD_KEYS_PER_TICK;
    for (let p = 0; p < this.deps.q && !this.stopped; p++) {
      let after: string | undefined;
      do {
        const page = await this.scan(p, after);
        if (page === undefined) return;
        for (const r of page.records) {
          if (this.touched.has(r.key)) continue;
          try {
            this.insert(this.trees[p]!, p, r.key, r.value);
          } catch {
            // A record that does not parse is left out; the peer's copy will be pushed to us.
          }
        }
        after = page.next;
        budget -= page.records.length;
        if (budget <= 0) {
          budget = BUILD_KEYS_PER_TICK;
          await new Promise<void>((r) => this.deps.clock.setTimer(0, r));
        }
      } while (after !== undefined && !this.stopped);
      this.ready.add(p);
    }
    this.touched = new Set();
  }

  /**
   * One page of the build's scan, retried until it is read. Why: a failed read (an I/O error, an
   * aborted transaction) used to reject build(), so the node never swept again in its life, and
   * the rejection went unhandled (a Node replica exits on one). Undefined once the node stopped.
   */
  private async scan(p: number, after: string | undefined): Promise<ScanPage | undefined> {
    for (;;) {
      try {
        return await this.deps.storage.scanPartition(p, { after, limit: 200 });
      } catch {
        if (this.stopped) return undefined;
        await new Promise<void>((r) => this.deps.clock.setTimer(BUILD_RETRY_MS, r));
        if (this.stopped) return undefined;
      }
    }
  }

  // --- sweeps ---------------------------------------------------------------------------------

  /** The next exchange of this sweep `gapMs` from now, or the next sweep after the pause. */
  private scheduleNext(): void {
    this.schedule(this.sweep.length > 0 ? this.deps.gapMs : this.deps.sweepPauseMs);
  }

  private schedule(ms: number): void {
    this.cancel = this.deps.clock.setTimer(ms, () => {
      if (this.stopped) return;
      this.next();
    });
  }

  private next(): void {
    if (this.sweep.length === 0) {
      this.sweep = this.partitionsToSweep();
      this.counts.sweeps++;
      if (this.sweep.length === 0) return this.schedule(this.deps.sweepPauseMs);
    }
    const p = this.sweep.shift()!;
    // The sweep was listed with the ring of its start; a partition handed off since is skipped.
    const peer = this.replicas(p, [this.deps.self]) ? this.pickPeer(p) : undefined;
    if (peer === undefined) return this.scheduleNext();
    const x = this.nextExchange++;
    const key = exchangeKey(peer, x, true);
    const step = start(this.treeOf(p)!);
    const exchange = this.track(key, peer, p, step.session);
    this.counts.exchanges++;
    this.sendAll(exchange, x, true, step.send);
  }

  private partitionsToSweep(): number[] {
    const ring = this.deps.ring();
    if (!ring) return [];
    const out: number[] = [];
    for (let p = 0; p < ring.q; p++) {
      if (this.ready.has(p) && this.deps.placement.replicates(p)) out.push(p);
    }
    // Start each sweep at a random point: nodes that started together do not compare in lockstep.
    const shift = out.length > 0 ? randomInt(this.deps.random, out.length) : 0;
    return [...out.slice(shift), ...out.slice(0, shift)];
  }

  /** Whether all of `nodes` replicate partition `p` in the current ring. */
  private replicas(p: number, nodes: NodeId[]): boolean {
    return nodes.every((x) => this.deps.placement.replicates(p, x));
  }

  private pickPeer(p: number): NodeId | undefined {
    const peers = this.deps.placement.coReplicas(p);
    return peers.length > 0 ? peers[randomInt(this.deps.random, peers.length)] : undefined;
  }

  // --- one exchange ---------------------------------------------------------------------------

  private track(key: string, peer: NodeId, partition: number, session: Session): Exchange {
    const exchange = { session, peer, partition, seq: this.seq, cancel: () => {} };
    this.arm(key, exchange);
    this.exchanges.set(key, exchange);
    return exchange;
  }

  /** The exchange's deadline, from now: the peer must send its next step within exchangeTimeoutMs. */
  private arm(key: string, e: Exchange): void {
    e.cancel();
    e.cancel = this.deps.clock.setTimer(this.deps.exchangeTimeoutMs, () => this.finish(key));
  }

  private advance(key: string, e: Exchange, step: ReturnType<typeof receive>): void {
    const x = Number(key.split('\u0000')[1]);
    this.sendAll(e, x, e.session.role === 'initiator', step.send);
    if (!step.done) return;
    this.finish(key);
    if (step.diff) {
      const keys = [...step.diff.localOnly, ...step.diff.different];
      this.deps.onExchanged?.(e.peer, e.partition, e.seq, new Set([...keys, ...step.diff.remoteOnly]));
      if (keys.length > 0 || step.diff.remoteOnly.length > 0) this.counts.repairs++;
      if (keys.length > 0 && this.replicas(e.partition, [this.deps.self, e.peer])) void this.pushKeys(e.peer, keys).catch(() => undefined); // a failed read: the next exchange finds the keys again
    }
  }

  private sendAll(e: Exchange, x: number, init: boolean, payloads: ExchangePayload[]): void {
    for (const payload of payloads) this.deps.send(e.peer, { type: 'aae', id: 0, x, p: e.partition, init, payload });
  }

  private finish(key: string): void {
    const e = this.exchanges.get(key);
    if (!e) return;
    e.cancel();
    this.exchanges.delete(key);
    if (e.session.role === 'initiator' && !this.stopped) this.scheduleNext();
  }

  /** Sends our sets of `keys` to the peer, a page at a time, in acknowledged shipments (shipping.ts). */
  private async pushKeys(peer: NodeId, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += SHIPMENT_KEYS) {
      const sets: KeySet[] = [];
      for (const key of keys.slice(i, i + SHIPMENT_KEYS)) {
        const rec = await this.deps.storage.get(key);
        if (rec) sets.push({ key, set: rec.value });
      }
      if (sets.length === 0) continue;
      if (!(await this.deps.push(peer, sets))) return;
      this.counts.keysPushed += sets.length;
      this.counts.lastRepairAt = this.deps.clock.now();
      this.deps.onRepair(sets.length);
    }
  }
}

function exchangeKey(peer: NodeId, x: number, mine: boolean): string {
  return `${peer}\u0000${x}\u0000${mine ? 'i' : 'r'}`;
}

function refusal(why: string): ExchangePayload {
  return { v: 1, r: 1, n: 0, of: 1, items: [], abort: why };
}
