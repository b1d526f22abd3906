// Key transfer when the ring changes (paper §4.9.2): data moves to its new owners, and a node drops
// its copy only after they acknowledged storing it.
//
// Public API
//   new Transfers(deps)
//   .ringChanged(prev, next)     queue the partitions whose keys must move
//   .queueAll()                  queue every partition this node is not a replica of (start, leave)
//   .seen(ring, zones)           what the node starts from (no move planned for it)
//   .layout(ring, zones)         the view changed: plan for a new ring, or for moved zones (queueAll),
//                                and run; true when the ring's owners changed
//   .noteWrite(partition)        a key was stored here: queue its partition if this node does not
//                                replicate it (a late hint, a read repair or push from a stale view)
//   .run(): Promise<void>        work through the queue; one run at a time
//   .pending(): number           partitions still queued
//   .stats()                     { moved, copied, partitionsPending }
//
// Two kinds of work. Evacuate: this node is no longer among a partition's N replicas (a join took
// the partition, or this node left), so it ships the partition's keys to the current replicas and
// deletes each key whose stored set is still exactly what was shipped; a write that raced the
// shipment keeps the key for the next pass. Copy: a replica was *removed* (its data is gone with
// it), so the first surviving old replica copies the partition to the replicas that replaced it
// (§4.9: the new node's data is rebuilt from the others). Leaves and joins need no copy: the node
// that drops out of a preference list evacuates to the one that comes in.
//
// Why ship to every healthy replica and keep until W of them acknowledged: the copy being deleted
// may be the only one some replica lacks, and after the delete it must still exist on at least as
// many nodes as a write requires. A target that is down gets it from anti-entropy later. A key a
// target refused to merge (refusals.ts) is not deleted: it stays here, parked, and its partition
// stays pending (a leave reports it) until the key changes or the park ends.
//
// Forgetting safely (Riak's KV679). A node that deletes a key it coordinated writes for would count
// that key's dots from one again if it ever coordinated it later, reissuing dots some replica has
// seen. Before the first such delete of a run, the node moves its actor to a new epoch (actor.ts):
// dots it mints from then on can never collide with the ones it let go of. A key written under the
// new actor during the same run keeps a minted record instead (minted.ts). One epoch per run, not a
// record per key: a join moves thousands of keys, and the records were never deleted.

import type { Json, KeyRecord, Storage } from '../ports/storage';
import type { NodeId } from '../ports/transport';
import type { MintLog } from './minted';
import type { Refusals } from './refusals';
import type { ReplicaStore } from './replica';
import type { Placement } from './placement';
import type { Ring } from './protocol/ring';
import { sameOwners } from './ring';
import { Shipper, type SendShipment, type ShipmentLimits } from './shipping';
import * as versions from './versions';

export interface TransferDeps {
  self: NodeId;
  /** Who replicates what, in the current ring or another (placement.ts). */
  placement: Pick<Placement, 'primaries' | 'replicates'>;
  w: number;
  /** Keys read from storage at a time (a scan page; shipping.ts cuts it into shipments). */
  batchKeys: number;
  /** Shipment caps; shipping.ts's defaults unless a test wants small ones. */
  shipment?: ShipmentLimits;
  /** Sets peers refused to merge, shared with the node's other shipments (refusals.ts). */
  refusals?: Refusals;
  storage: Storage;
  replica: ReplicaStore;
  minted: MintLog;
  /** The actor this node mints dots under now (actor.ts). */
  actor(): string;
  /** Move to a new actor epoch, durably. */
  newEpoch(): Promise<void>;
  ring(): Ring | undefined;
  /** True for a member removed from the ring (not one that left: a leaver hands its data over itself). */
  wasRemoved(id: NodeId): boolean;
  healthy(id: NodeId): boolean;
  /** One acknowledged shipment (shipping.ts chunks before calling it). */
  ship: SendShipment;
}

type Task = { kind: 'evacuate' } | { kind: 'copy'; to: NodeId[] };

const PARALLEL_PARTITIONS = 4;

export class Transfers {
  private readonly tasks = new Map<number, Task>();
  private running: Promise<void> | undefined;
  /** This run's move to a new actor epoch, once a key minted under the old one is about to go. */
  private epochMove: Promise<void> | undefined;
  private counts = { moved: 0, copied: 0 };
  /** The ring and zones the last planning saw; a different ring means partitions changed hands. */
  private planned: Ring | undefined;
  private plannedZones: ReadonlyMap<NodeId, string> | undefined;

  private readonly shipper: Shipper;

  constructor(private readonly deps: TransferDeps) {
    this.shipper = new Shipper(deps.ship, deps.shipment, deps.refusals);
  }

  ringChanged(prev: Ring | undefined, next: Ring): void {
    const { self, placement } = this.deps;
    for (let p = 0; p < next.q; p++) {
      const now = placement.primaries(p, next);
      const before = prev ? placement.primaries(p, prev) : undefined;
      if (!now.includes(self)) {
        // Only a partition this node replicated can hold its keys (a stray write queues itself: noteWrite).
        if (!before || before.includes(self)) this.tasks.set(p, { kind: 'evacuate' });
        continue;
      }
      if (this.tasks.get(p)?.kind === 'evacuate') this.tasks.delete(p);
      if (!before) continue;
      const to = this.copyTargets(before, now);
      if (to.length > 0) this.addCopy(p, to);
    }
  }

  queueAll(): void {
    const ring = this.deps.ring();
    for (let p = 0; p < (ring?.q ?? 0); p++) {
      if (!this.deps.placement.replicates(p)) this.tasks.set(p, { kind: 'evacuate' });
    }
  }

  seen(ring: Ring | undefined, zones: ReadonlyMap<NodeId, string>): void {
    this.planned = ring;
    this.plannedZones = zones;
  }

  layout(next: Ring, zones: ReadonlyMap<NodeId, string>): boolean {
    const prev = this.planned;
    const ringMoved = !sameOwners(prev, next);
    const zonesMoved = zones !== this.plannedZones;
    this.seen(next, zones);
    // Other zones over the same owners still move keys (placement.ts spreads over zones).
    if (ringMoved) this.ringChanged(prev, next);
    else if (zonesMoved) this.queueAll();
    else return false;
    void this.run();
    return ringMoved;
  }

  noteWrite(partition: number): void {
    const ring = this.deps.ring();
    if (!ring || this.tasks.has(partition)) return;
    if (partition < ring.q && !this.deps.placement.replicates(partition)) this.tasks.set(partition, { kind: 'evacuate' });
  }

  pending(): number {
    return this.tasks.size;
  }

  stats(): { moved: number; copied: number; partitionsPending: number } {
    return { ...this.counts, partitionsPending: this.tasks.size };
  }

  run(): Promise<void> {
    this.running ??= this.runAll().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Replicas that replace a removed one, if this node is the survivor that rebuilds them. */
  private copyTargets(before: readonly NodeId[], now: readonly NodeId[]): NodeId[] {
    if (!before.includes(this.deps.self)) return [];
    const removed = before.filter((x) => !now.includes(x) && this.deps.wasRemoved(x));
    if (removed.length === 0) return [];
    const survivors = now.filter((x) => before.includes(x));
    if (survivors[0] !== this.deps.self) return [];
    return now.filter((x) => !before.includes(x));
  }

  private addCopy(p: number, to: NodeId[]): void {
    const task = this.tasks.get(p);
    if (task?.kind === 'copy') this.tasks.set(p, { kind: 'copy', to: [...new Set([...task.to, ...to])] });
    else if (!task) this.tasks.set(p, { kind: 'copy', to });
  }

  /**
   * A few partitions at a time: one alone leaves the link and both stores idle while each batch
   * waits for its acknowledgements, and a join moves dozens of partitions.
   */
  private async runAll(): Promise<void> {
    this.epochMove = undefined;
    const queue = [...this.tasks];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [p, task] = next;
        const done = await this.process(p, task).catch(() => false);
        if (done && this.tasks.get(p) === task) this.tasks.delete(p);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL_PARTITIONS }, worker));
  }

  /** True when the partition needs nothing more from this node. */
  private async process(p: number, task: Task): Promise<boolean> {
    const ring = this.deps.ring();
    if (!ring) return false;
    const evacuate = task.kind === 'evacuate';
    const targets = evacuate ? this.deps.placement.primaries(p, ring).filter((x) => x !== this.deps.self) : task.to;
    if (targets.length === 0) return !evacuate;
    let after: string | undefined;
    let complete = true;
    do {
      const page = await this.deps.storage.scanPartition(p, { after, limit: this.deps.batchKeys });
      if (page.records.length === 0) break;
      after = page.next;
      const shipped = await this.shipToAll(targets, page.records, evacuate);
      if (shipped === 'unreachable') return false;
      if (shipped === 'partial') complete = false;
    } while (after !== undefined);
    return complete;
  }

  private async shipToAll(targets: NodeId[], records: KeyRecord[], evacuate: boolean): Promise<'done' | 'partial' | 'unreachable'> {
    const live = targets.filter(this.deps.healthy);
    const need = evacuate ? Math.min(this.deps.w, targets.length) : 1;
    if (live.length < need) return 'unreachable';
    const sets = records.map((r) => ({ key: r.key, set: r.value }));
    const taken = live.map(() => new Set<string>());
    const acked = await Promise.all(live.map((t, i) => this.shipper.ship(t, sets, (got) => got.forEach((s) => taken[i]!.add(s.key)))));
    const ok = acked.filter(Boolean).length;
    // A key a target refused to merge (refusals.ts) stays here, and its partition stays pending.
    const everywhere = records.filter((r) => taken.every((keys) => keys.has(r.key)));
    if (!evacuate) {
      if (ok === 0) return 'unreachable';
      this.counts.copied += taken.reduce((sum, keys) => sum + keys.size, 0);
      return ok === live.length && everywhere.length === records.length ? 'done' : 'partial';
    }
    if (ok < live.length || ok < need) return 'unreachable';
    const dropped = await this.dropShipped(everywhere);
    return dropped && everywhere.length === records.length ? 'done' : 'partial';
  }

  /** Deletes each shipped key unless it changed meanwhile; true when all were deleted. */
  private async dropShipped(records: KeyRecord[]): Promise<boolean> {
    // Once an epoch move has started, every drop of this run waits for it (the actor may already read new).
    if (!this.epochMove && records.some((r) => namesActor(r.value, this.deps.actor()))) this.epochMove = this.deps.newEpoch();
    if (this.epochMove) await this.epochMove;
    // Concurrently, for the same reason as handoffs are stored concurrently: group commit.
    const dropped = await Promise.all(records.map((r) => this.dropOne(r)));
    return dropped.every(Boolean);
  }

  private dropOne(r: KeyRecord): Promise<boolean> {
    return this.deps.replica.exclusive(r.key, async () => {
      const current = await this.deps.storage.get(r.key);
      if (!current) return true;
      if (JSON.stringify(current.value) !== JSON.stringify(r.value)) return false;
      if (namesActor(r.value, this.deps.actor())) await this.deps.minted.record(r.key, versions.fromJson(r.value));
      await this.deps.storage.delete(r.key);
      this.counts.moved++;
      return true;
    });
  }
}

/** Whether a stored set's clock has an entry for `actor` (versions.toJson: clock = [[node, counter, ts]]). */
function namesActor(value: Json, actor: string): boolean {
  const clock = (value as { clock?: unknown } | null)?.clock;
  return Array.isArray(clock) && clock.some((e) => Array.isArray(e) && e[0] === actor);
}
