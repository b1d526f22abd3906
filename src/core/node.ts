// A Dynamo node (paper §4): wiring, lifecycle and the public API. Each policy lives in its own file:
// placement.ts (where replicas go), coordinate/ (the put and get paths), local.ts (applying what peers
// send), handoff.ts and shipping.ts (hints and bulk transfer), liveness.ts, membership.ts and gossip.ts
// (§4.8), transfer.ts (§4.9), antientropy.ts (§4.7), reaper.ts (tombstones). Driven only by client
// calls, peer messages and Clock timers. Construction order: storage (tracked, so Merkle trees and
// transfers follow every write), the stores (replica, hints, minted), liveness and placement, the
// local view, the coordinators, then the background services, which only start in attach().

import type { Clock } from '../ports/clock';
import { Listeners } from '../ports/emitter';
import type { Json } from '../ports/storage';
import type { NodeId, Transport, Unsubscribe } from '../ports/transport';
import { decodeContext, encodeContext } from './context';
import { ClosedError, ValidationError } from './errors';
import { Actor } from './actor';
import type { Write } from './coordinate/mint';
import { Counters } from './counters';
import { handOff, handOffDeps, type HandOffResult } from './farewell';
import { partitionOf } from './hash';
import { Membership, type MembershipView } from './membership';
import { droppingVersioning } from './mutants';
import type { Change } from './protocol/membership';
import { decode, encode } from './protocol/messages';
import type { Ring } from './protocol/ring';
import type { KeySet } from './protocol/wire';
import { partitionsOf } from './ring';
import { seedEntries } from './seed';
import { checkKey, checkOptions, checkQuorum, checkTimeout, checkValue } from './validate';
import * as versions from './versions';
import { attributesDiffer, DEFAULT_CONFIG, joinAttributes, memberAttributes, type GetResult, type LeaveResult, type Member, type NodeConfig, type NodeDeps, type NodeEvent, type NodeStats, type PutResult, type RequestOptions, type WriteOptions } from './node-config';
import { build } from './node-build';
import { nodeStats } from './node-stats';
import { dispatch, type DispatchContext } from './dispatch';
import type { NodeHooks, Parts } from './parts';

export * from './node-config';

export class DynamoCore {
  readonly id: NodeId;
  readonly config: NodeConfig;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly parts: Parts;
  /** What peer messages are dispatched with (dispatch.ts), made once. */
  private readonly inbox: DispatchContext;
  private readonly counters: Counters;
  private readonly listeners: Record<NodeEvent, Listeners<[string?]>> = { members: new Listeners(), change: new Listeners(), repair: new Listeners() };
  private readonly unsubscribe: Unsubscribe[] = [];
  private closed = false;
  private leaving = false;

  private constructor(
    deps: NodeDeps,
    config: NodeConfig,
    private readonly membershipStore: Membership,
    private readonly actor: Actor,
  ) {
    this.id = deps.id;
    this.config = config;
    this.transport = deps.transport;
    this.clock = deps.clock;
    this.counters = new Counters(deps.clock.precise?.bind(deps.clock) ?? (() => deps.clock.now()));
    this.parts = build(deps, config, this.counters, () => this.view, actor, this.hooks());
    const transport = this.parts.transport;
    const view = () => this.view;
    this.inbox = { parts: this.parts, counters: this.counters, get digest() { return view().digest; }, reply: (to, m) => void transport.send(to, encode(m)) };
  }

  static async start(deps: NodeDeps, config: Partial<NodeConfig> = {}): Promise<DynamoCore> {
    const full = { ...DEFAULT_CONFIG, ...config, ...(deps.mutants?.has('merge-drops-sibling') ? { versioning: droppingVersioning(config.versioning ?? DEFAULT_CONFIG.versioning) } : {}) };
    checkQuorum('r', full.r, full.n);
    checkQuorum('w', full.w, full.n);
    const membership = await Membership.load(deps.storage, full.q, deps.id, deps.mutants);
    const node = new DynamoCore(deps, full, membership, await Actor.load(deps.storage, deps.id, deps.random));
    await node.parts.hints.load();
    await node.parts.minted.load();
    if (full.autoJoin && (!membership.view.isMember(deps.id) || attributesDiffer(membership.view.attributesOf(deps.id), full))) {
      membership.view.propose('join', deps.id, deps.id, joinAttributes(full));
      await membership.save();
    }
    node.parts.transfers.seen(membership.view.ring, membership.view.zones());
    // Keys left here by an earlier life on partitions this node no longer replicates move on now.
    node.parts.transfers.queueAll();
    node.attach();
    return node;
  }

  private get view(): MembershipView {
    return this.membershipStore.view;
  }

  // --- client API -----------------------------------------------------------------------------

  async put(key: string, value: Json, context?: string, opts: WriteOptions = {}): Promise<PutResult> {
    return this.clientWrite('put', key, () => ({ value: checkValue(value) }), context, opts);
  }

  async delete(key: string, context: string, opts: WriteOptions = {}): Promise<PutResult> {
    return this.clientWrite('delete', key, () => ({ tombstone: true }), context, opts);
  }

  async get(key: string, opts: RequestOptions & { r?: number } = {}): Promise<GetResult> {
    return this.track('get', async () => {
      checkKey(key);
      const o = checkOptions(opts);
      const r = checkQuorum('r', o.r ?? this.config.r, this.config.n);
      const timeoutMs = checkTimeout(o.timeoutMs) ?? this.config.timeoutMs;
      this.counters.requests.get++;
      const { values, context } = versions.read(await this.parts.gets.get(key, r, timeoutMs));
      return { values, context: encodeContext(context, key) };
    });
  }

  members(): Member[] {
    const ring = this.view.ring;
    return this.view.members().map((id) => ({
      id,
      status: id === this.id ? 'up' : this.parts.liveness.status(id),
      tokens: ring ? partitionsOf(ring, id) : [],
      ...memberAttributes(this.view.attributesOf(id), id),
    }));
  }

  /** Tells peers whether this tab is hidden: they then allow it longer silences (liveness.ts). */
  setHidden(hidden: boolean): void {
    this.parts.liveness.setHidden(hidden);
  }

  /** Peers whose tab said it is hidden. */
  hiddenPeers(): NodeId[] {
    return this.parts.liveness.hiddenPeers();
  }

  /** Partitions whose replicas all sit in one zone, per zone (placement.ts): what a zone failure would take. */
  sameZonePartitions(): Array<{ zone: string; partitions: number }> {
    return this.parts.placement.sameZone();
  }

  /** This tab is closing or frozen: hand the hints it holds to live nodes, synchronously (farewell.ts). */
  handOffHints(): HandOffResult {
    return this.closed ? { toOwner: 0, toFallback: 0, kept: this.parts.hints.count() } : handOff(handOffDeps(this.id, this.parts));
  }

  /** The key's clockwise walk: the first N are its primaries, the rest fallbacks in order. */
  preferenceList(key: string): NodeId[] {
    return [...this.parts.placement.walk(key)];
  }

  /** The ring partition holding `key` (for UIs: which arc of the ring a key lives on). */
  partitionOf(key: string): number {
    checkKey(key);
    return partitionOf(key, this.config.q);
  }

  /** The membership history and the ring derived from it (for UIs, tests and debugging). */
  membership(): { changes: readonly Change[]; ring: Ring | undefined; digest: string } {
    return { changes: this.view.changes(), ring: this.view.ring, digest: this.view.digest };
  }

  /**
   * Leaves the ring for good: the leave is gossiped, every partition this node holds moves to its
   * new owners (each key dropped here only once they acknowledged it), then the node stops. Keys
   * whose owners stay unreachable past the deadline remain in this node's storage, and the result
   * says so; the other replicas still hold them.
   */
  async leave(opts: { timeoutMs?: number } = {}): Promise<LeaveResult> {
    this.ensureOpen();
    const deadline = this.clock.now() + (checkTimeout(checkOptions(opts).timeoutMs, 24 * 3600_000) ?? 60_000);
    this.leaving = true;
    if (this.view.isMember(this.id)) await this.propose('leave', this.id);
    const { hints, transfers } = this.parts;
    for (const owner of hints.owners()) await this.parts.background.adoptHints(owner);
    transfers.queueAll();
    while (transfers.pending() > 0 && this.clock.now() < deadline && !this.closed) {
      await transfers.run();
      if (transfers.pending() > 0) await new Promise<void>((r) => this.clock.setTimer(Math.min(500, this.config.transferIntervalMs), r));
    }
    const { moved, partitionsPending } = transfers.stats();
    // Gossip is pulled: a peer that got our digest asks for the history, and we may be gone by
    // then. Whatever the transfers took, every live peer gets the leave itself before we stop.
    for (const p of this.transport.peers()) this.parts.gossip.announce(p);
    await this.stop();
    return { complete: partitionsPending === 0, moved, partitionsPending };
  }

  /** Bulk-loads keys never written, each on its primaries, with no message sent (seed.ts). */
  async seed(entries: ReadonlyArray<{ key: string; value: Json }>): Promise<number> {
    this.ensureOpen();
    return seedEntries(entries, this.parts.placement, this.parts.replica, this.config.versioning);
  }

  /** Removes a member that is gone for good: its partitions are reassigned and rebuilt from replicas. */
  async removeMember(id: NodeId): Promise<void> {
    this.ensureOpen();
    if (id === this.id) throw new ValidationError('a node cannot remove itself: use leave()');
    if (!this.view.isMember(id)) throw new ValidationError(`"${String(id)}" is not a member of this ring`);
    await this.propose('remove', id);
  }

  stats(): NodeStats {
    return nodeStats(this.parts, this.counters, this.view, this.actor.epoch);
  }

  on(event: NodeEvent, fn: (key?: string) => void): Unsubscribe {
    const list = Object.hasOwn(this.listeners, event) ? this.listeners[event] : undefined;
    if (!list) throw new ValidationError(`unknown event "${String(event)}"`);
    return list.add(fn);
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { background, gossip, aae, requests, storage, liveness } = this.parts;
    background.stop();
    liveness.stop();
    gossip.stop();
    aae.stop();
    for (const u of this.unsubscribe) u();
    requests.closeAll();
    await this.transport.close();
    await storage.close();
  }

  // --- wiring ---------------------------------------------------------------------------------

  private hooks(): NodeHooks {
    return {
      send: (to, msg) => void this.parts.transport.send(to, encode(msg)),
      emit: (event, key) => this.listeners[event].emit(key),
      viewChanged: () => this.viewChanged(),
      newEpoch: async () => {
        await this.actor.advance();
        await this.parts.minted.dropOld();
      },
      propose: (kind, node) => this.propose(kind, node),
      ship: (to, sets) => this.shipment(to, sets),
      isClosed: () => this.closed,
      isLeaving: () => this.leaving,
    };
  }

  private attach(): void {
    const t = this.transport;
    const { liveness, requests, gossip, aae, background, transfers } = this.parts;
    this.unsubscribe.push(
      t.onMessage((from, raw) => this.onMessage(from, raw)),
      t.onPeerUp((p) => this.peerUp(p)),
      t.onPeerDown((p) => {
        liveness.linkDown(p);
        aae.peersChanged();
        requests.peerDown(p);
        this.listeners.members.emit();
      }),
    );
    for (const p of t.peers()) this.peerUp(p);
    this.parts.liveness.start();
    gossip.start();
    if (this.config.antiEntropy) aae.start();
    background.start();
    void transfers.run();
  }

  private peerUp(peer: NodeId): void {
    this.parts.liveness.linkUp(peer);
    // A new link is the fastest way for a joining node to learn the ring, and for the ring to learn it.
    this.parts.gossip.push(peer);
    this.listeners.members.emit();
    this.parts.background.deliverHints(peer);
  }

  private onMessage(from: NodeId, raw: string): void {
    if (this.closed) return;
    const decoded = decode(raw);
    if (!decoded.ok) return this.counters.malformed(decoded.reason, from);
    this.counters.messages.received++;
    this.parts.liveness.heard(from);
    dispatch(from, decoded.msg, this.inbox);
  }

  /** One acknowledged handoff message; shipping.ts chunks before calling it. */
  private shipment(to: NodeId, sets: KeySet[]): Promise<boolean | readonly string[]> {
    return new Promise((resolve) => {
      const msg = { type: 'handoff' as const, sets, digest: this.view.digest };
      this.parts.requests.send(to, msg, (reply) => resolve(reply.type === 'handoff-ack' && (reply.refused ?? true)), () => resolve(false));
    });
  }

  /** Records a change of our own, persists it and tells every live peer at once. */
  private async propose(kind: Change['kind'], node: NodeId): Promise<void> {
    this.view.propose(kind, node, this.id, node === this.id ? joinAttributes(this.config) : {});
    await this.membershipStore.save();
    for (const p of this.transport.peers()) this.parts.gossip.push(p);
    this.viewChanged(false);
  }

  /** The view gained changes: persist them, and move data if the ring changed. */
  private viewChanged(save = true): void {
    if (save) void this.membershipStore.save().catch(() => undefined);
    if (this.view.stateOf(this.id) === 'removed' && this.config.autoJoin && !this.leaving && !this.closed) {
      // Removed while alive (cut off past autoRemoveAfterMs, say): an open tab is a node, so it
      // joins again with a new join, ordered after the removal. Stale gossip alone never does this.
      void this.propose('join', this.id).catch(() => undefined);
      return;
    }
    const next = this.view.ring;
    if (next && this.parts.transfers.layout(next, this.view.zones())) this.counters.ringChanges++;
    this.listeners.members.emit();
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClosedError('node stopped');
  }

  /** Runs a client request on an open node, counting it, its latency and its liveness by type. */
  private async track<T>(kind: 'put' | 'get' | 'delete', run: () => Promise<T>): Promise<T> {
    const started = this.clock.now();
    try {
      this.ensureOpen();
      const result = await run();
      this.counters.latency[kind === 'get' ? 'get' : 'put'].add(this.clock.now() - started);
      return result;
    } catch (err) {
      this.counters.failed(err);
      throw err;
    }
  }

  private clientWrite(kind: 'put' | 'delete', key: string, makeWrite: () => Write, context: string | undefined, opts: WriteOptions): Promise<PutResult> {
    return this.track(kind, async () => {
      checkKey(key);
      if (kind === 'delete' && typeof context !== 'string') {
        throw new ValidationError('delete needs the context of a read: a tombstone removes only what it saw');
      }
      const write = makeWrite();
      const ctx = decodeContext(context, key);
      const o = checkOptions(opts);
      const w = o.w === 'any' ? 'any' : checkQuorum('w', o.w ?? this.config.w, this.config.n);
      const timeoutMs = checkTimeout(o.timeoutMs) ?? this.config.timeoutMs;
      this.counters.requests[kind]++;
      const result = await this.parts.puts.put(key, write, ctx, w, timeoutMs);
      if (result.degraded) this.counters.requests.degraded++;
      return result;
    });
  }
}
